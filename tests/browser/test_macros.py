import pytest
from playwright.sync_api import expect

from conversations.models import Draft, Message
from tests.factories import ContactFactory, TicketFactory, UserFactory
from tickets.models import Ticket, TicketEvent
from workflows.models import Macro

pytestmark = pytest.mark.browser


def test_a_macro_with_a_conditional_status_from_the_ticket_header(page, sign_in, team_a, pipeline):
    agent = UserFactory(username="maya", first_name="Maya", last_name="L", main_team=team_a)
    contact = ContactFactory(first_name="Emma", last_name="Wilson")
    ticket = TicketFactory(
        pipeline=pipeline, owner=agent, name="Where is my order?", contacts=[contact]
    )
    closed = pipeline.stages.get(name="Closed")  # requires a category
    macro = Macro(
        owner=agent,
        name="Solve and ask for the order number",
        sharing=Macro.Sharing.EVERYONE,
        actions=[
            {"type": "set_priority", "value": "low"},
            {"type": "set_status", "stage": closed.pk},
            {
                "type": "reply_text",
                "html": "<p>Hi {contact_first_name}, what is your order number?</p>",
            },
        ],
    )
    macro.full_clean()
    macro.save()

    sign_in(agent)
    page.goto(f"/views/mine/tickets/{ticket.pk}/")
    expect(page.locator("#composer-reply [data-editor]")).to_be_visible()
    page.keyboard.press("m")  # the shortcut opens the header's picker
    panel = page.locator("#macro-panel")
    panel.get_by_placeholder("Search macros").fill("order")
    panel.locator("[data-macro]", has_text="Solve and ask").click()

    expect(panel).to_contain_text("Priority: — → Low")
    expect(panel).to_contain_text("Ticket status: New → Closed")
    expect(panel).to_contain_text("“Closed” needs these properties.")
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.stage.name) == ("", "New")  # the preview changes nothing

    panel.get_by_role("button", name="Apply").click()
    expect(panel.locator(".field-error")).to_contain_text("This field is required")
    panel.locator("select[name=category]").select_option("general_inquiry")
    panel.get_by_role("button", name="Apply").click()

    expect(page.locator("#macro-panel")).to_have_count(0)
    editor = page.locator("#composer-reply [data-editor]")
    expect(editor).to_contain_text("Hi Emma, what is your order number?")
    expect(page.locator("#toasts")).to_contain_text("applied: 3 changes")
    expect(page.locator("#ticket-header select[name=stage]")).to_have_value(str(closed.pk))
    expect(page.locator(".timeline-via").first).to_contain_text(
        "by macro “Solve and ask for the order number”"
    )

    ticket.refresh_from_db()
    assert (ticket.priority, ticket.stage, ticket.category) == ("low", closed, "general_inquiry")
    fields = set(ticket.events.filter(via=TicketEvent.Via.MACRO).values_list("field", flat=True))
    assert fields == {"priority", "stage", "category"}
    assert not Message.objects.filter(ticket=ticket).exists()  # nothing sent unseen
    # The reply text is kept as the agent's draft until they send it.
    for _turn in range(20):  # saved after the editor's pause (DRAFT_DELAY)
        draft = Draft.objects.filter(ticket=ticket, user=agent, kind=Draft.Kind.REPLY).first()
        if draft and "order number" in draft.html:
            break
        page.wait_for_timeout(250)
    else:
        pytest.fail("the reply text was not kept as a draft")


def test_a_macro_applied_in_bulk_from_the_table(page, sign_in, team_a, pipeline):
    agent = UserFactory(username="maya", main_team=team_a)
    tickets = [TicketFactory(pipeline=pipeline, name=f"Invoice {n}") for n in range(3)]
    macro = Macro(
        owner=agent,
        name="Billing, urgent",
        actions=[
            {"type": "set_priority", "value": "urgent"},
            {"type": "reply_text", "html": "<p>Never sent in bulk</p>"},
        ],
    )
    macro.full_clean()
    macro.save()
    sign_in(agent)
    page.goto("/views/all-open/list/?sort=name")
    for ticket in tickets[:2]:
        page.get_by_label(f"Select ticket #{ticket.pk}").check()
    select = page.locator("select[data-bulk-action=macro]")
    expect(select.locator("option", has_text="Billing, urgent")).to_have_count(1)
    with page.expect_navigation():
        select.select_option(label="Billing, urgent")
    expect(page.get_by_role("heading", name="Apply “Billing, urgent” to 2 tickets")).to_be_visible()
    expect(page.locator("main")).to_contain_text("not applied in bulk")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()
    expect(page.locator(".table-messages")).to_contain_text("changed 2 tickets")
    assert "sort=name" in page.url
    priorities = [
        t.priority for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("pk")
    ]
    assert priorities == ["urgent", "urgent", ""]
    assert not Message.objects.exists()

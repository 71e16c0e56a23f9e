"""The agent's flow by keyboard (issue 19): open tickets with j/k, reply and
send-and-next through a list, search from the top bar with an operator and
come Back, the shortcuts dialog, and the next ticket opening when the open
one leaves the agent's list."""

import re

import pytest
from playwright.sync_api import expect

from conversations.models import Message
from tests.browser.conftest import htmx_settled
from tests.factories import (
    ContactFactory,
    EmailAddressFactory,
    TicketFactory,
    UserFactory,
    inbound_message,
)
from tickets.models import Ticket

pytestmark = pytest.mark.browser


@pytest.fixture
def three(agent, pipeline, team_a, settings):
    """Three open tickets of the agent's, each with a customer's mail, newest first."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    EmailAddressFactory(email="support@helpdesk.example", display_name="Support")
    tickets = []
    for name in ("Oldest question", "Middle question", "Newest question"):
        ticket = TicketFactory(pipeline=pipeline, owner=agent, team=team_a, name=name)
        inbound_message(ticket, text=f"About: {name}")
        tickets.append(ticket)
    return list(reversed(tickets))  # the list's order


def heading(page):
    return page.locator("#ticket-header h2")


def test_send_and_next_through_three_tickets_by_keyboard(page, sign_in, agent, three):
    sign_in(agent)
    page.goto("/views/mine/")
    htmx_settled(page)
    page.keyboard.press("j")  # the first ticket opens
    expect(heading(page)).to_have_text(three[0].name)
    for number, ticket in enumerate(three):
        expect(heading(page)).to_have_text(ticket.name)
        htmx_settled(page)
        page.keyboard.press("r")  # the reply editor takes the focus
        expect(page.locator("#composer-reply [data-editor]")).to_be_focused()
        page.keyboard.type(f"Answer number {number}")
        page.keyboard.press("Control+Shift+Enter")
        # The next of the list opens; after the last row, the one before it.
        # (A ticket answered moves to the top of the list: after two, the
        # list reads Middle, Newest, Oldest.)
        following = three[number + 1] if number < 2 else three[0]
        expect(heading(page)).to_have_text(following.name, timeout=15_000)
        expect(page).to_have_url(re.compile(rf"/views/mine/tickets/{following.pk}/$"))
        expect(page.locator(".toast").last).to_have_text("Reply sent")
    sent = Message.objects.filter(direction="outbound", kind="message")
    assert sorted(sent.values_list("ticket_id", flat=True)) == sorted(t.pk for t in three)
    assert [m.text for m in sent.order_by("id")] == [f"Answer number {n}" for n in range(3)]


def test_enter_on_send_after_j_sends_and_opens_nothing_else(page, sign_in, agent, three):
    sign_in(agent)
    page.goto("/views/mine/")
    htmx_settled(page)
    page.keyboard.press("j")
    page.keyboard.press("j")  # the second ticket; its row link has the focus
    expect(heading(page)).to_have_text(three[1].name)
    htmx_settled(page)
    page.locator("#composer-reply [data-editor]").click()
    page.keyboard.type("Thanks, done.")
    page.locator("#composer-reply button.btn-primary").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".toast")).to_have_text("Reply sent")
    expect(heading(page)).to_have_text(three[1].name)
    assert Message.objects.get(direction="outbound").ticket_id == three[1].pk
    # k goes back up the list; the header's buttons follow the list too.
    page.keyboard.press("Escape")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("k")
    expect(heading(page)).to_have_text(three[0].name)
    expect(page.get_by_role("button", name="Previous ticket")).to_be_disabled()
    page.get_by_role("button", name="Next ticket").click()
    expect(heading(page)).to_have_text(three[1].name)


def test_search_from_the_top_bar_with_an_operator_then_back(page, sign_in, agent, pipeline):
    mine = TicketFactory(pipeline=pipeline, owner=agent, name="Printer jam")
    nobody = TicketFactory(
        pipeline=pipeline, name="Printer smoke", contacts=[ContactFactory(first_name="Kim")]
    )
    sign_in(agent)
    page.goto("/views/mine/")
    htmx_settled(page)
    page.keyboard.press("/")
    box = page.get_by_role("combobox", name="Search all tickets")
    expect(box).to_be_focused()
    box.type("printer is:unassigned")
    suggestions = page.locator("#search-suggest")
    expect(suggestions.locator(".suggest-ticket")).to_have_count(1)
    expect(suggestions.locator(".suggest-ticket")).to_contain_text("Printer smoke")
    expect(suggestions.locator(".suggest-ticket")).to_contain_text("Kim")
    page.keyboard.press("Enter")  # no option chosen: every result
    expect(page).to_have_url(re.compile(r"/search/\?q=printer\+is%3Aunassigned$"))
    results = page.locator(".search-found .ticket-row")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Printer smoke")
    results.first.locator("a").click()
    expect(heading(page)).to_have_text("Printer smoke")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/search/\?q=printer\+is%3Aunassigned$"))
    expect(page.locator(".search-found .ticket-row")).to_have_count(1)
    expect(box).to_have_value("printer is:unassigned")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/views/mine/$"))
    # The arrow keys choose a suggestion; Enter opens it. The search is remembered.
    page.keyboard.press("/")
    expect(
        suggestions.get_by_role("option", name=re.compile("printer is:unassigned"))
    ).to_be_visible()
    box.type("printer jam")
    expect(suggestions.locator(".suggest-ticket").first).to_contain_text("Printer jam")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Printer jam")
    assert mine.pk != nobody.pk


def test_the_shortcuts_dialog_and_the_view_and_field_keys(page, sign_in, agent, pipeline):
    ticket = TicketFactory(pipeline=pipeline, name="Printer jam")
    sign_in(agent)
    page.goto(f"/views/all-open/tickets/{ticket.pk}/")
    htmx_settled(page)
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Send and open the next ticket")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.keyboard.press("s")
    expect(page.locator("#field-stage select")).to_be_focused()
    page.locator("#ticket-header h2").click()
    page.keyboard.press("#")
    expect(page.locator("#ticket-tags input[name=add]")).to_be_focused()
    page.keyboard.type("a")  # typing in a field: no shortcut
    expect(page.locator("#ticket-tags input[name=add]")).to_have_value("a")
    page.locator("#ticket-header h2").click()
    page.keyboard.press("a")
    expect(page.locator("#field-owner select")).to_have_value(str(agent.pk))
    htmx_settled(page)
    ticket.refresh_from_db()
    assert ticket.owner == agent
    page.locator("#ticket-header h2").click()
    page.keyboard.press("g")
    page.keyboard.press("a")
    expect(page).to_have_url(re.compile(r"/views/all/$"))


def test_an_owned_only_agent_assigning_her_ticket_away_gets_the_next_one(
    page, sign_in, owned_agent, pipeline, team_a
):
    teammate = UserFactory(username="teammate", first_name="Tea", main_team=team_a)
    first = TicketFactory(pipeline=pipeline, owner=owned_agent, name="First of mine")
    second = TicketFactory(pipeline=pipeline, owner=owned_agent, name="Second of mine")
    sign_in(owned_agent)
    page.goto(f"/views/mine/tickets/{second.pk}/")
    htmx_settled(page)
    page.locator("#field-owner select").select_option(str(teammate.pk))
    expect(heading(page)).to_have_text("First of mine")
    expect(page.locator(f"#row-{second.pk}")).to_have_count(0)
    expect(page.locator(".toast")).to_contain_text("no longer yours to see")
    assert Ticket.objects.get(pk=second.pk).owner == teammate
    assert first.pk


def test_deleting_opens_the_next_ticket(page, sign_in, agent, pipeline):
    older = TicketFactory(pipeline=pipeline, owner=agent, name="Older")
    newer = TicketFactory(pipeline=pipeline, owner=agent, name="Newer")
    sign_in(agent)
    page.goto(f"/views/mine/tickets/{newer.pk}/")
    htmx_settled(page)
    page.locator(".ticket-menu summary").click()
    page.get_by_role("menuitem", name="Delete").click()
    page.locator(".confirm-overlay [data-confirm-ok]").click()  # our own dialog
    expect(heading(page)).to_have_text("Older")
    assert Ticket.objects.get(pk=newer.pk).deleted_at is not None
    assert older.pk

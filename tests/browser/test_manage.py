"""Managing a ticket in the browser (S10, S11, S14): follow, split, merge, move,
delete and restore, the timeline's older pages, and a concurrent edit."""

import pytest
from playwright.sync_api import expect

from conversations.models import Inbox, Message, Notification
from tests.browser.conftest import htmx_settled, wait_for_url
from tests.factories import (
    ContactFactory,
    PipelineFactory,
    TicketFactory,
    UserFactory,
    inbound_message,
)
from tickets import services
from tickets.models import Follower, Ticket, TicketEvent

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(team_a, pipeline):
    agent = UserFactory(
        username="maya", first_name="Maya", last_name="L", main_team=team_a, has_account_access=True
    )
    other = UserFactory(username="jonas", first_name="Jonas", last_name="B", main_team=team_a)
    contact = ContactFactory(first_name="Lukas", last_name="Schmidt")
    ticket = TicketFactory(pipeline=pipeline, owner=agent, team=team_a, name="Refund please")
    first = inbound_message(ticket, contact=contact, text="First mail about my refund")
    second = inbound_message(ticket, contact=contact, text="Also: my address changed")
    return {
        "agent": agent,
        "other": other,
        "ticket": ticket,
        "first": first,
        "second": second,
        "contact": contact,
        "pipeline": pipeline,
    }


def open_ticket(page, sign_in, desk, ticket=None, user=None):
    sign_in(user or desk["agent"])
    page.goto(f"/views/all/tickets/{(ticket or desk['ticket']).pk}/")
    expect(page.locator(".ticket-title h2")).to_be_visible()


def menu(page, item: str):
    page.locator(".ticket-menu summary").click()
    page.locator(".ticket-menu [role=menuitem]", has_text=item).click()
    htmx_settled(page)


def test_follow_and_unfollow_from_the_header(page, sign_in, desk):
    ticket = desk["ticket"]
    Follower.objects.filter(ticket=ticket).delete()
    open_ticket(page, sign_in, desk, user=desk["other"])
    button = page.locator(".follow-form button")
    expect(button).to_contain_text("Follow")
    button.click()
    expect(page.locator(".follow-form button")).to_contain_text("Following")
    assert Follower.objects.filter(ticket=ticket, user=desk["other"]).exists()
    # A teammate's status change now reaches the follower.
    waiting = desk["pipeline"].stages.get(name="Waiting on contact")
    services.ticket_set_stage(actor=desk["agent"], ticket=ticket, stage=waiting)
    assert Notification.objects.filter(user=desk["other"], kind="status").exists()
    page.locator(".follow-form button").click()
    expect(page.locator(".follow-form button")).not_to_contain_text("Following")
    assert not Follower.objects.filter(ticket=ticket, user=desk["other"]).exists()


def test_split_moves_the_chosen_message_into_a_linked_ticket(page, sign_in, desk):
    open_ticket(page, sign_in, desk)
    menu(page, "Split ticket")
    dialog = page.locator("#split-panel")
    # Splitting everything is refused with the reason.
    dialog.locator("input[name=messages]").nth(0).check()
    dialog.locator("input[name=messages]").nth(1).check()
    dialog.locator("button[type=submit]").click()
    expect(page.locator("#split-panel")).to_contain_text("Leave at least one message")
    htmx_settled(page)
    dialog = page.locator("#split-panel")
    dialog.locator("input[name=messages]").nth(0).uncheck()
    dialog.locator("input[name=name]").fill("Address change")
    dialog.locator("button[type=submit]").click()
    expect(page.locator(".ticket-title h2")).to_have_text("Address change")
    new = Ticket.objects.get(name="Address change")
    wait_for_url(page, rf"/tickets/{new.pk}/$")
    expect(page.locator("#thread")).to_contain_text("my address changed")
    expect(page.locator("#thread")).not_to_contain_text("First mail about my refund")
    expect(page.locator(".timeline")).to_contain_text(f"#{desk['ticket'].pk}")
    expect(page.locator("#toasts")).to_contain_text(f"Split into #{new.pk}")
    assert list(Message.objects.filter(ticket=desk["ticket"])) == [desk["first"]]
    assert desk["ticket"].linked_tickets.filter(pk=new.pk).exists()


def test_merge_finds_the_other_ticket_and_redirects_the_merged_one(page, sign_in, desk):
    other = TicketFactory(pipeline=desk["pipeline"], name="Refund again, second mail")
    inbound_message(other, contact=desk["contact"], text="Did you see my first mail?")
    before = Message.objects.filter(ticket__in=[desk["ticket"], other]).count()
    open_ticket(page, sign_in, desk)
    menu(page, "Merge")
    dialog = page.locator("#merge-panel")
    # Typed key by key, as a person does: each keystroke searches.
    dialog.locator("#merge-search").press_sequentially(f"#{other.pk}", delay=60)
    expect(dialog.locator("#merge-results")).to_contain_text("Refund again")
    dialog.locator("input[name=other]").first.check()
    dialog.locator("input[name=primary][value=this]").check()
    dialog.locator("button[type=submit]").click()
    expect(page.locator("#toasts")).to_contain_text(f"#{other.pk} was merged into")
    expect(page.locator("#thread")).to_contain_text("Did you see my first mail?")
    other.refresh_from_db()
    assert other.merged_into == desk["ticket"] and not other.is_open
    assert Message.objects.filter(ticket=desk["ticket"]).count() == before
    # The merged ticket's address leads to the one that stays.
    page.goto(f"/tickets/{other.pk}/")
    wait_for_url(page, rf"/tickets/{desk['ticket'].pk}/$")
    expect(page.locator(".ticket-title h2")).to_have_text("Refund please")


def test_merging_into_a_deleted_ticket_is_refused_in_the_dialog(page, sign_in, desk):
    other = TicketFactory(pipeline=desk["pipeline"], name="Duplicate refund")
    open_ticket(page, sign_in, desk)
    menu(page, "Merge")
    dialog = page.locator("#merge-panel")
    # Typed key by key, as a person does: each keystroke searches.
    dialog.locator("#merge-search").press_sequentially(f"#{other.pk}", delay=60)
    expect(dialog.locator("#merge-results")).to_contain_text("Duplicate refund")
    dialog.locator("input[name=other]").first.check()
    services.ticket_delete(actor=desk["other"], ticket=other)
    dialog.locator("button[type=submit]").click()
    expect(page.locator("#merge-panel .alert-error")).to_contain_text("Choose the ticket")
    assert Ticket.objects.get(pk=desk["ticket"].pk).merged_into is None


def test_move_to_another_pipeline_maps_the_status(page, sign_in, desk):
    PipelineFactory(name="Billing pipeline")
    open_ticket(page, sign_in, desk)
    menu(page, "Move to another pipeline")
    dialog = page.locator("#move-panel")
    dialog.locator("select[name=stage]").select_option(label="Closed")
    # A conditional status asks for what it requires first.
    expect(page.locator("#move-panel select[name=category]")).to_be_visible()
    page.locator("#move-panel select[name=category]").select_option("billing_issue")
    page.locator("#move-panel button[type=submit]").click()
    expect(page.locator("#toasts")).to_contain_text("moved to another pipeline")
    expect(page.locator(".timeline")).to_contain_text("Billing pipeline")
    ticket = Ticket.objects.get(pk=desk["ticket"].pk)
    assert (ticket.pipeline.name, ticket.stage.name, ticket.category) == (
        "Billing pipeline",
        "Closed",
        "billing_issue",
    )


def test_move_the_conversation_to_another_inbox_and_back(page, sign_in, desk):
    Inbox.objects.create(name="Sales")
    open_ticket(page, sign_in, desk)
    menu(page, "Move to another inbox")
    dialog = page.locator("#inbox-panel")
    dialog.locator("select[name=inbox]").select_option(label="Sales")
    dialog.locator("select[name=owner]").select_option(label="Jonas B")
    dialog.locator("textarea[name=comment]").fill("Upsell question, over to sales")
    dialog.locator("button[type=submit]").click()
    expect(page.locator(".inbox-banner")).to_contain_text("“Sales” inbox")
    expect(page.locator("#thread")).to_contain_text("Upsell question, over to sales")
    expect(page.locator("#field-owner select")).to_have_value(str(desk["other"].pk))
    # The ticket stays in the help desk's views.
    expect(page.locator(f"#row-{desk['ticket'].pk}")).to_be_visible()
    page.locator(".inbox-banner button").click()
    expect(page.locator(".inbox-banner")).to_have_count(0)
    assert desk["ticket"].threads.get().inbox.is_help_desk


def test_agents_without_account_access_cannot_move_conversations(page, sign_in, desk):
    open_ticket(page, sign_in, desk, user=desk["other"])
    page.locator(".ticket-menu summary").click()
    expect(page.locator(".ticket-menu [role=menuitem]", has_text="Split ticket")).to_be_visible()
    expect(page.locator(".ticket-menu [role=menuitem]", has_text="another inbox")).to_have_count(0)
    url = f"/tickets/{desk['ticket'].pk}/inbox/"
    assert page.request.get(url).status == 403


def test_delete_then_restore_from_recently_deleted(page, sign_in, desk):
    ticket = desk["ticket"]
    open_ticket(page, sign_in, desk)
    menu(page, "Delete")
    page.locator(".confirm-overlay [data-confirm-ok]").click()
    wait_for_url(page, r"/views/all/$")
    expect(page.locator("#toasts")).to_contain_text(f"Ticket #{ticket.pk} deleted")
    expect(page.locator(f"#row-{ticket.pk}")).to_have_count(0)
    page.locator(".nav-link", has_text="Recently deleted").click()
    row = page.locator(f"#deleted-{ticket.pk}")
    expect(row).to_contain_text("Refund please")
    expect(row).to_contain_text("Maya L")
    row.locator("button", has_text="Restore").click()
    wait_for_url(page, rf"/tickets/{ticket.pk}/$")
    expect(page.locator("#thread")).to_contain_text("First mail about my refund")
    expect(page.locator(".timeline")).to_contain_text("restored the ticket")
    assert Ticket.objects.alive().filter(pk=ticket.pk).exists()


def test_a_concurrent_edit_says_who_changed_the_field(page, sign_in, desk):
    ticket = desk["ticket"]
    open_ticket(page, sign_in, desk)
    # A teammate sets the priority while the page is open.
    services.ticket_update(actor=desk["other"], ticket=ticket, priority="urgent")
    page.locator("#field-priority select").select_option("low")
    expect(page.locator("#field-priority .field-error")).to_contain_text(
        "Changed by Jonas B while you were editing"
    )
    # The field shows the teammate's value; choosing again now saves.
    expect(page.locator("#field-priority select")).to_have_value("urgent")
    page.locator("#field-priority select").select_option("low")
    expect(page.locator("#field-priority .field-error")).to_have_count(0)
    ticket.refresh_from_db()
    assert ticket.priority == "low"


def test_the_timeline_loads_older_activity_on_demand(page, sign_in, desk):
    ticket = desk["ticket"]
    TicketEvent.objects.bulk_create(
        TicketEvent(ticket=ticket, kind="changed", field="priority", old_value="", new_value="low")
        for _ in range(70)
    )
    open_ticket(page, sign_in, desk)
    items = page.locator(".timeline .timeline-item")
    expect(items).to_have_count(30)
    page.locator(".timeline-more button").click()
    expect(items).to_have_count(60)
    page.locator(".timeline-more button").click()
    expect(items).to_have_count(ticket.events.count())
    expect(page.locator(".timeline-more")).to_have_count(0)
    expect(page.locator(".timeline")).to_contain_text("created the ticket")


def test_rename_in_the_header_and_describe_in_the_sidebar(page, sign_in, desk):
    ticket = desk["ticket"]
    open_ticket(page, sign_in, desk)
    page.locator(".rename-toggle").click()
    page.locator("#field-name input[name=name]").fill("Refund for order 4821")
    page.locator("#field-name button[type=submit]").click()
    expect(page.locator(".ticket-title h2")).to_have_text("Refund for order 4821")
    expect(page.locator(f"#row-{ticket.pk} .row-subject")).to_have_text("Refund for order 4821")
    page.locator(".description-form textarea").fill("Customer wants the refund to the card.")
    page.locator(".description-form textarea").blur()
    expect(page.locator(".timeline")).to_contain_text("set Description to")
    expect(page.locator(".timeline")).to_contain_text("set Ticket name from “Refund please”")
    ticket.refresh_from_db()
    assert (ticket.name, ticket.description) == (
        "Refund for order 4821",
        "Customer wants the refund to the card.",
    )
    # An empty name is refused where it was typed.
    page.locator(".rename-toggle").click()
    page.locator("#field-name input[name=name]").fill(" ")
    page.locator("#field-name button[type=submit]").click()
    expect(page.locator("#field-name .field-error")).to_be_visible()

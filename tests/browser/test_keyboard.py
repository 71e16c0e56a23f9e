"""The agent's day by keyboard alone (issue 19): sign in, open a view, open a
ticket, reply, change the status, merge, with where focus is asserted at
every step. Header selects save on a deliberate choice, never on an arrow key."""

import time

import pytest
from playwright.sync_api import expect

from conversations.models import Message
from tests.browser.conftest import htmx_settled
from tests.factories import (
    PASSWORD,
    EmailAddressFactory,
    TicketFactory,
    UserFactory,
    inbound_message,
)
from tickets.models import Ticket

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(team_a, pipeline, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    EmailAddressFactory(email="support0@helpdesk.example", display_name="Support")
    agent = UserFactory(username="maya", first_name="Maya", last_name="L", main_team=team_a)
    ticket = TicketFactory(pipeline=pipeline, owner=agent, team=team_a, name="Refund please")
    inbound_message(ticket, text="Where is my refund?")
    duplicate = TicketFactory(pipeline=pipeline, owner=agent, team=team_a, name="Refund again")
    return {"agent": agent, "ticket": ticket, "duplicate": duplicate, "pipeline": pipeline}


def focused(page, selector: str) -> bool:
    return page.evaluate(
        "(s) => !!document.activeElement && document.activeElement.matches(s)", selector
    )


def tab_to(page, selector: str, *, back: bool = False, most: int = 40) -> int:
    """Press Tab (or Shift+Tab) until `selector` has the focus; how many presses."""
    key = "Shift+Tab" if back else "Tab"
    for presses in range(1, most + 1):
        page.keyboard.press(key)
        if focused(page, selector):
            return presses
    raise AssertionError(f"{selector} not reached in {most} presses of {key}")


def test_a_morning_by_keyboard_alone(page, desk):
    ticket, duplicate = desk["ticket"], desk["duplicate"]

    # Sign in: the username field has the focus.
    page.goto("/accounts/login/")
    expect(page.locator("input[name=username]")).to_be_focused()
    page.keyboard.type("maya")
    page.keyboard.press("Tab")
    expect(page.locator("input[name=password]")).to_be_focused()
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".pane-title")).to_be_visible()

    # The first Tab offers the skip link.
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link").first).to_be_focused()

    # Open a view: focus stays on its link, now the current one.
    mine = "#nav-pane [data-view=mine]"
    tab_to(page, mine)
    page.keyboard.press("Enter")
    expect(page.locator(".pane-title")).to_have_text("Assigned to me")
    expect(page.locator(mine)).to_have_attribute("aria-current", "page")
    expect(page.locator(mine)).to_be_focused()

    # Open the ticket: focus moves to its heading.
    tab_to(page, f"#row-{ticket.pk} .row-link")
    page.keyboard.press("Enter")
    heading = page.locator(".ticket-title h2")
    expect(heading).to_have_text("Refund please")
    expect(heading).to_be_focused()
    htmx_settled(page)

    # Reply: the editor is two keys away, and has the focus again after sending.
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link-inline")).to_be_focused()
    page.keyboard.press("Enter")
    editor = page.locator("#composer-reply [data-editor]")
    expect(editor).to_be_focused()
    page.keyboard.type("Your refund is on its way.")
    presses = tab_to(page, "#composer-reply button[type=submit]:not([name])", most=10)
    assert presses <= 4
    page.keyboard.press("Enter")
    expect(page.locator(".message", has_text="Your refund is on its way.")).to_be_visible()
    assert Message.objects.filter(
        direction="outbound", text__contains="refund is on its way"
    ).exists()
    expect(page.locator("#composer-reply [data-editor]")).to_be_focused()
    htmx_settled(page)

    # Change the status: an arrow key alone saves nothing; Enter saves, and
    # the status field keeps the focus.
    status = "#field-stage select"
    tab_to(page, status, back=True, most=60)
    new = ticket.stage
    page.keyboard.press("ArrowDown")
    time.sleep(0.8)
    ticket.refresh_from_db()
    assert ticket.stage == new
    page.keyboard.press("Enter")
    expect(page.locator("#field-stage select option:checked")).to_have_text("Waiting on contact")
    htmx_settled(page)
    ticket.refresh_from_db()
    assert ticket.stage.name == "Waiting on contact"
    expect(page.locator(status)).to_be_focused()

    # A closed status chosen by keyboard asks first; Esc keeps the status.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    confirm = page.locator(".confirm-overlay [role=dialog]")
    expect(confirm).to_contain_text("Closed")
    expect(page.locator(".confirm-overlay [data-confirm-ok]")).to_be_focused()
    expect(page.locator("#workspace")).to_have_js_property("inert", True)
    page.keyboard.press("Escape")
    expect(confirm).to_have_count(0)
    expect(page.locator(status)).to_be_focused()
    expect(page.locator(status)).to_have_value(str(ticket.stage_id))
    ticket.refresh_from_db()
    assert ticket.stage.name == "Waiting on contact"

    # Merge: the More actions menu by arrow keys, a dialog that keeps the focus.
    tab_to(page, ".ticket-menu summary", back=True, most=15)
    page.keyboard.press("ArrowDown")
    expect(page.locator(".ticket-menu [role=menuitem]").first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator(".ticket-menu [role=menuitem]", has_text="Merge")).to_be_focused()
    page.keyboard.press("Enter")
    search = page.locator("#merge-search")
    expect(search).to_be_focused()
    htmx_settled(page)
    # Tab stays inside the dialog, round and round.
    for _ in range(12):
        page.keyboard.press("Tab")
        assert page.evaluate("() => !!document.activeElement.closest('#merge-panel')")
    search.focus()
    page.keyboard.type(str(duplicate.pk))
    expect(page.locator(f"#merge-results input[value='{duplicate.pk}']")).to_be_checked()
    htmx_settled(page)
    tab_to(page, "#merge-panel button[type=submit]", most=10)
    page.keyboard.press("Enter")
    expect(page.locator("#merge-panel")).to_have_count(0)
    expect(page.locator(".ticket-title h2")).to_be_focused()
    assert Ticket.objects.get(pk=ticket.pk).merged_into_id == duplicate.pk


def test_esc_closes_a_dialog_and_gives_the_focus_back(page, sign_in, desk):
    sign_in(desk["agent"])
    page.goto(f"/views/mine/tickets/{desk['ticket'].pk}/")
    htmx_settled(page)
    summary = page.locator(".ticket-menu summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".ticket-menu [role=menuitem]").first).to_be_focused()
    page.keyboard.press("End")
    page.keyboard.press("Escape")
    expect(summary).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.locator(".ticket-menu [role=menuitem]", has_text="Move to another pipeline").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#move-panel")).to_be_visible()
    expect(page.locator("#workspace")).to_have_js_property("inert", True)
    page.keyboard.press("Escape")
    expect(page.locator("#move-panel")).to_have_count(0)
    expect(page.locator("#workspace")).to_have_js_property("inert", False)
    expect(summary).to_be_focused()


def test_deleting_a_ticket_asks_in_our_own_dialog(page, sign_in, desk):
    sign_in(desk["agent"])
    page.goto(f"/views/mine/tickets/{desk['ticket'].pk}/")
    htmx_settled(page)
    page.on("dialog", lambda d: pytest.fail(f"a browser dialog opened: {d.message}"))
    page.click(".ticket-menu summary")
    page.locator(".ticket-menu [role=menuitem]", has_text="Delete").click()
    confirm = page.locator(".confirm-overlay [role=dialog]")
    expect(confirm).to_contain_text("Recently deleted")
    page.locator(".confirm-overlay [data-confirm-cancel]").click()
    expect(confirm).to_have_count(0)
    assert not Ticket.objects.get(pk=desk["ticket"].pk).deleted_at
    page.click(".ticket-menu summary")
    page.locator(".ticket-menu [role=menuitem]", has_text="Delete").click()
    page.locator(".confirm-overlay [data-confirm-ok]").click()
    expect(confirm).to_have_count(0)
    htmx_settled(page)
    for _ in range(50):
        if Ticket.objects.get(pk=desk["ticket"].pk).deleted_at:
            break
        time.sleep(0.1)
    assert Ticket.objects.get(pk=desk["ticket"].pk).deleted_at

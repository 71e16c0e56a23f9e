"""A rule built in the settings, tried against a ticket, then set off by an
email (issue 17). The page fixture fails on any console error (CSP included)."""

import os

import pytest
from playwright.sync_api import expect

from accounts.models import User
from channels_inbound.models import InboundItem
from channels_inbound.store import inbound_store
from tests.browser.conftest import htmx_settled
from tests.channels_inbound.mail import mail
from tests.factories import EmailAddressFactory, EmailChannelFactory, TicketFactory, UserFactory
from tickets.models import Ticket, TicketEvent
from workflows.models import Rule

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("RULE_SHOTS_DIR")


def build_rule(page):
    """Name, event, one condition and one action, each drawn by htmx."""
    page.goto("/admin/workflows/rule/add/")
    page.fill("input[name=name]", "Refunds are urgent")
    page.check("input[name=events][value=created]")
    page.click("#conditions-all .rule-add")
    htmx_settled(page)
    row = page.locator("#conditions-all [data-rule-row]").first
    row.locator("select").first.select_option("message_text")
    htmx_settled(page)
    row = page.locator("#conditions-all [data-rule-row]").first
    row.locator("select").nth(1).select_option("matches_word")
    htmx_settled(page)
    page.locator("#conditions-all [data-rule-row] input[type=text]").fill("refund")
    page.click("#add-action")
    htmx_settled(page)
    page.locator("[data-action-row] select").first.select_option("set_priority")
    htmx_settled(page)
    page.locator("[data-action-row] select").nth(1).select_option("urgent")


def test_a_rule_is_built_tested_against_a_ticket_and_set_off_by_an_email(
    admin_page, pipeline, agent
):
    page = admin_page
    address = EmailAddressFactory(email="support@helpdesk.example")
    EmailChannelFactory(address=address, pipeline=pipeline)
    inbound_store(
        source=InboundItem.Source.PIPE, payload=mail(subject="Old order", text="A refund, please")
    )
    tried = Ticket.objects.get(name="Old order")
    build_rule(page)

    page.fill("#id_test_ticket", str(tried.pk))
    page.click("text=Test against this ticket")
    result = page.locator("#rule-test-result")
    expect(result).to_contain_text("Refunds are urgent (this rule)")
    expect(result).to_contain_text("Priority: — → Urgent")
    tried.refresh_from_db()
    assert tried.priority == ""  # the dry run changed nothing
    if SHOTS:
        for width in (1280, 1920):
            page.set_viewport_size({"width": width, "height": 1000})
            page.screenshot(path=f"{SHOTS}/rule-builder-{width}.png", full_page=True)

    with page.expect_navigation():
        page.click("input[name=_save]")
    rule = Rule.objects.get()
    assert rule.conditions_all == [["message_text", "matches_word", "refund"]]
    assert rule.actions == [{"type": "set_priority", "value": "urgent"}]

    inbound_store(
        source=InboundItem.Source.PIPE, payload=mail(subject="Broken mug", text="Refund it")
    )
    inbound_store(
        source=InboundItem.Source.PIPE, payload=mail(subject="Hello", text="Refunded, thanks")
    )
    assert Ticket.objects.get(name="Broken mug").priority == "urgent"
    assert Ticket.objects.get(name="Hello").priority == ""
    line = TicketEvent.objects.get(ticket__name="Broken mug", via=TicketEvent.Via.RULE)
    assert line.via_name == "Refunds are urgent"


def test_the_rule_builder_reads_in_korean(page, sign_in):
    admin = UserFactory(role=User.Role.SUPER_ADMIN, language="ko")
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    sign_in(admin)
    TicketFactory()
    build_rule(page)
    expect(page.locator("#conditions-all")).to_contain_text("단어를 포함함")
    expect(page.locator("body")).to_contain_text("조건 추가")
    if SHOTS:
        page.set_viewport_size({"width": 1280, "height": 1000})
        page.screenshot(path=f"{SHOTS}/rule-builder-ko.png", full_page=True)

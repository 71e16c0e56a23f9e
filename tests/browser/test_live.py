"""The live list (issue 19): a new inbound email shows in an open list within
one check (5 s) as a bar the agent clicks, the rows in place never move, and
a changed row is redrawn where it is. The page's clock is Playwright's."""

import datetime

import pytest
from playwright.sync_api import expect

from channels_inbound.ingest import inbound_process
from channels_inbound.store import inbound_store
from tests.channels_inbound.mail import mail
from tests.factories import EmailAddressFactory, EmailChannelFactory, TicketFactory
from tickets import services

pytestmark = pytest.mark.browser

INTERVAL = 5000


def test_a_new_email_shows_in_the_open_list_within_five_seconds(
    page, sign_in, agent, pipeline, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    address = EmailAddressFactory(email="support@helpdesk.example")
    EmailChannelFactory(address=address, pipeline=pipeline)
    first = TicketFactory(pipeline=pipeline, name="Printer jam")
    second = TicketFactory(pipeline=pipeline, name="Lost parcel")
    sign_in(agent)
    start = datetime.datetime.now(datetime.UTC)
    page.clock.install(time=start)
    page.clock.pause_at(start + datetime.timedelta(minutes=1))
    page.goto("/views/all-open/")
    rows = page.locator(".ticket-row")
    expect(rows).to_have_count(2)
    order = [rows.nth(i).get_attribute("id") for i in range(2)]
    rows.first.hover()  # the agent's cursor rests on the first row

    item, _new = inbound_store(
        source="pipe", payload=mail(sender="kim@acme.example", subject="Refund please")
    )
    inbound_process(item.pk)
    services.ticket_update(actor=agent, ticket=second, priority="high")

    page.clock.run_for(INTERVAL)
    bar = page.locator("[data-live-bar]")
    expect(bar).to_be_visible(timeout=4_000)
    expect(bar).to_have_text("1 new ticket · Show")
    # The changed row was redrawn in place; nothing moved under the cursor.
    expect(page.locator(f"#row-{second.pk} .priority")).to_have_text("High")
    assert [rows.nth(i).get_attribute("id") for i in range(2)] == order
    expect(rows).to_have_count(2)
    assert "Refund please" not in page.locator("#ticket-list").inner_text()

    bar.click()
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Refund please")
    expect(page.locator("[data-live-bar]")).to_be_hidden()
    assert first.pk  # still listed
    expect(page.locator(f"#row-{first.pk}")).to_be_visible()


def test_the_open_ticket_header_follows_a_status_change_by_someone_else(
    page, sign_in, agent, pipeline, super_admin
):
    ticket = TicketFactory(pipeline=pipeline, name="Printer jam")
    sign_in(agent)
    start = datetime.datetime.now(datetime.UTC)
    page.clock.install(time=start)
    page.clock.pause_at(start + datetime.timedelta(minutes=1))
    page.goto(f"/views/all/tickets/{ticket.pk}/")
    status = page.locator("#field-stage select")
    waiting = pipeline.stages.filter(is_closed=False).exclude(pk=ticket.stage_id).first()
    expect(status).not_to_have_value(str(waiting.pk))
    # While the agent is in one of its fields, the header waits.
    page.locator("#field-priority select").focus()
    services.ticket_set_stage(actor=super_admin, ticket=ticket, stage=waiting)
    page.clock.run_for(INTERVAL)
    page.wait_for_timeout(1500)
    expect(status).not_to_have_value(str(waiting.pk))
    page.locator("#ticket-header h2").click()  # the focus leaves the fields
    page.clock.run_for(INTERVAL)
    expect(status).to_have_value(str(waiting.pk), timeout=4_000)

"""Settings that cannot lose a customer's message, walked in the browser
(issue 14): a channel's status picker offers its pipeline's statuses, a
status that cannot take new tickets is refused with a message, a web form
without a contact and a message field cannot be published, and a status
holding tickets stays open or closed."""

import pytest
from playwright.sync_api import expect

from channels_inbound.models import ChatWidget, WebForm
from tests.factories import PipelineFactory, TicketFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(page, pipeline, super_admin):
    # Django admin's pages name no icon, so Chromium asks for /favicon.ico and
    # logs its 404 as a console error (the admin's theme is another change).
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    return {"support": pipeline, "billing": PipelineFactory(name="Billing"), "admin": super_admin}


def test_a_chat_widgets_status_must_be_an_open_one_of_its_pipeline(page, sign_in, desk):
    support, billing = desk["support"], desk["billing"]
    sign_in(desk["admin"])
    page.goto("/admin/channels_inbound/chatwidget/add/")
    page.fill("input[name=name]", "Website chat")
    page.select_option("select[name=pipeline]", str(support.pk))
    # The picker offers the chosen pipeline's statuses only.
    billing_new = page.locator(f"select[name=stage] option[value='{billing.stages.first().pk}']")
    expect(billing_new).to_be_disabled()
    closed = support.stages.get(name="Closed")
    page.select_option("select[name=stage]", str(closed.pk))
    page.click("input[name=_save]")
    expect(page.locator(".errorlist")).to_contain_text("New tickets cannot start closed")
    # The picker narrows the list once the page has loaded; edit it after that.
    page.wait_for_load_state("load")

    # A page opened before the pipeline changed posts another pipeline's status.
    page.evaluate(
        "value => { const o = document.querySelector(`select[name=stage] option[value='${value}']`);"
        " o.disabled = false; o.hidden = false; o.selected = true; }",
        str(billing.stages.first().pk),
    )
    page.click("input[name=_save]")
    expect(page.locator(".errorlist")).to_contain_text("Choose a status of the selected pipeline.")
    assert not ChatWidget.objects.exists()

    page.select_option("select[name=stage]", str(support.stages.get(name="New").pk))
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    assert ChatWidget.objects.get().stage.name == "New"


def test_an_empty_web_form_cannot_be_published(page, sign_in, desk):
    support = desk["support"]
    sign_in(desk["admin"])
    page.goto("/admin/channels_inbound/webform/add/")
    page.fill("input[name=name]", "Contact us")
    page.fill("input[name=title]", "How can we help?")
    page.select_option("select[name=pipeline]", str(support.pk))
    page.select_option("select[name=stage]", str(support.stages.get(name="New").pk))
    page.click("input[name=_save]")
    errors = page.locator(".errorlist")
    expect(errors.first).to_be_visible()
    expect(page.locator("body")).to_contain_text("Add a required email or phone field")
    expect(page.locator("body")).to_contain_text("Add a required message field")
    assert not WebForm.objects.exists()

    add = page.locator(".add-row a")
    for n, kind in enumerate(["email", "message"]):
        add.click()
        page.select_option(f"select[name=fields-{n}-kind]", kind)
        page.fill(f"input[name=fields-{n}-label]", kind.title())
        page.check(f"input[name=fields-{n}-required]")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    assert WebForm.objects.get().fields.count() == 2


def test_a_status_holding_tickets_stays_open_or_closed(page, sign_in, desk):
    """Its tickets carry whether they are open, which the views and the status
    filters read (issue 22): the switch is refused above the status's row,
    and an empty status still switches."""
    support = desk["support"]
    waiting = support.stages.get(name="Waiting on contact")
    ticket = TicketFactory(pipeline=support, stage=waiting)
    sign_in(desk["admin"])
    page.goto(f"/admin/tickets/pipeline/{support.pk}/change/")
    row_id = page.locator(f"input[name^='stages-'][name$='-id'][value='{waiting.pk}']")
    prefix = row_id.get_attribute("name").removesuffix("-id")
    page.check(f"input[name='{prefix}-is_closed']")
    page.click("input[name=_save]")
    error = page.locator(".errorlist.nonfield")
    expect(error).to_contain_text("“Waiting on contact” has tickets, so it stays open or closed")
    # Said in the row just above the status's own, not in its narrow checkbox cell.
    expect(page.locator(f"tr.row-form-errors + tr:has(input[name='{prefix}-id'])")).to_be_visible()
    expect(page.locator(f"input[name='{prefix}-is_closed']")).to_be_checked()
    waiting.refresh_from_db()
    assert not waiting.is_closed

    ticket.delete()
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    waiting.refresh_from_db()
    assert waiting.is_closed

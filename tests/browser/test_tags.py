"""Tags in Chromium (issue 17): added inline on an open ticket with a
suggestion from the existing tags, then used to filter the list."""

from playwright.sync_api import expect

from tests.browser.conftest import htmx_settled
from tests.factories import TicketFactory
from tickets.models import Tag


def test_add_a_tag_inline_then_filter_the_list_by_it(page, sign_in, agent, pipeline):
    Tag.objects.create(name="refund", colour="amber")
    ticket = TicketFactory(pipeline=pipeline, name="Charged twice for order 48213")
    TicketFactory(pipeline=pipeline, name="Cannot log in")
    sign_in(agent)
    page.goto(f"/views/all-open/tickets/{ticket.pk}/")
    htmx_settled(page)

    box = page.get_by_role("combobox", name="Add a tag")
    box.click()
    box.press_sequentially("ref")
    # The suggestions come from the existing tags.
    expect(page.locator(f"#tag-options-{ticket.pk} option[value=refund]")).to_be_attached()
    box.fill("refund")
    box.press("Enter")
    tags = page.locator("#ticket-tags")
    expect(tags.locator(".tag-amber", has_text="refund")).to_be_visible()
    # The timeline and the list row say so without a reload.
    expect(page.locator(".timeline-tagged").first).to_contain_text("added the tag “refund”")
    expect(page.locator(f"#row-{ticket.pk} .tag", has_text="refund")).to_be_visible()
    htmx_settled(page)
    assert list(ticket.tags.values_list("name", flat=True)) == ["refund"]

    page.goto("/views/all/list/")
    with page.expect_navigation():
        page.locator("select[data-quick=tags]").select_option(label="Tags: refund")
    rows = page.locator(".ticket-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".col-name")).to_contain_text("Charged twice")
    expect(rows.first.locator(".col-tags .tag")).to_have_text("refund")

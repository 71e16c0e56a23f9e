"""Rows in an order are moved with the keyboard as well as dragged (issue 14):
a status's grip is a button that the arrow keys move, the move is announced,
and the pipeline saves the new order; a list saves it at once."""

import pytest
from playwright.sync_api import expect

from tests.factories import PipelineFactory
from tickets.models import Pipeline

pytestmark = pytest.mark.browser


def test_statuses_are_reordered_with_the_arrow_keys_and_saved(admin_page, pipeline):
    page = admin_page
    before = list(pipeline.stages.order_by("position", "id").values_list("name", flat=True))
    page.goto(f"/admin/tickets/pipeline/{pipeline.pk}/change/")
    page.wait_for_load_state("load")
    handle = page.locator("#stages-group .sort-handle").first
    expect(handle).to_have_attribute(
        "aria-label", f"Move “{before[0]}”: use the up and down arrow keys"
    )

    handle.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#sortable-keys")).to_have_text(
        f"“{before[0]}” moved to position 3 of {len(before)}. Save to keep the new order."
    )
    # The moved row keeps the focus, so the keys can go on moving it.
    assert page.evaluate("document.activeElement.closest('tr').id") == page.evaluate(
        "document.querySelectorAll('#stages-group tr.has_original')[2].id"
    )
    page.keyboard.press("Home")
    page.keyboard.press("End")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    after = list(pipeline.stages.order_by("position", "id").values_list("name", flat=True))
    assert after == [*before[1:], before[0]]


def test_pipelines_are_reordered_from_their_list_with_the_keyboard(admin_page, pipeline):
    page = admin_page
    PipelineFactory(name="Billing", position=pipeline.position + 1)
    page.goto("/admin/tickets/pipeline/")
    page.wait_for_load_state("load")
    handle = page.locator("#result_list .drag.handle").last
    expect(handle).to_have_attribute("role", "button")
    handle.focus()
    page.keyboard.press("ArrowUp")
    expect(page.locator("#sortable-keys")).to_have_text("“Billing” moved to position 1 of 2.")
    names = list(Pipeline.objects.order_by("position", "id").values_list("name", flat=True))
    assert names == ["Billing", pipeline.name]

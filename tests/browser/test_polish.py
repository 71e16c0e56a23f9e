"""Polish of the agent's day (issue 19): files over the size limit refused
before uploading, and sidebar properties that can be dragged (S29)."""

import time

import pytest
from playwright.sync_api import expect

from conversations.models import Attachment
from tests.browser.conftest import htmx_settled
from tests.factories import PropertyDefinitionFactory, TicketFactory, UserFactory, inbound_message
from tickets.models import WorkspacePreference

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(team_a, pipeline):
    agent = UserFactory(username="maya", first_name="Maya", last_name="L", main_team=team_a)
    ticket = TicketFactory(pipeline=pipeline, owner=agent, team=team_a, name="Refund please")
    inbound_message(ticket, text="Where is my refund?")
    return {"agent": agent, "ticket": ticket}


def test_a_file_over_the_limit_is_refused_before_uploading(page, sign_in, desk, settings):
    settings.HELPDESK_ATTACHMENT_MAX_BYTES = 2 * 2**20
    sign_in(desk["agent"])
    page.goto(f"/views/mine/tickets/{desk['ticket'].pk}/")
    htmx_settled(page)
    page.locator("#composer-reply [data-editor]").click()
    uploads = []
    page.on("request", lambda r: uploads.append(r.url) if "/attachments/" in r.url else None)
    page.locator("#composer-reply [data-upload-input]").set_input_files(
        {"name": "big.pdf", "mimeType": "application/pdf", "buffer": b"x" * (3 * 2**20)}
    )
    expect(page.locator("#composer-reply [data-upload-error]")).to_have_text(
        "“big.pdf” is larger than 2 MB."
    )
    assert not uploads
    assert not Attachment.objects.exists()


def test_sidebar_properties_can_be_dragged_into_the_agents_order(page, sign_in, desk):
    PropertyDefinitionFactory(key="area", label="Product area")
    sign_in(desk["agent"])
    page.goto(f"/views/mine/tickets/{desk['ticket'].pk}/")
    htmx_settled(page)
    props = page.locator("#record-sidebar .props > .prop")
    first = props.first.get_attribute("data-key")
    last = props.last.get_attribute("data-key")
    assert first != last
    # A property row is a real box (not display: contents), so it can be dragged.
    assert props.first.evaluate("el => getComputedStyle(el).display") != "contents"
    props.last.locator("dt").hover()
    handle = props.last.locator("[data-drag-handle]")
    handle.drag_to(props.first.locator("dt"))
    expect(props.first).to_have_attribute("data-key", last)
    for _ in range(50):
        order = WorkspacePreference.objects.filter(user=desk["agent"]).values_list(
            "property_order", flat=True
        )
        if order and order[0] and order[0][0] == last:
            break
        time.sleep(0.1)
    assert order[0][0] == last
    page.reload()
    expect(props.first).to_have_attribute("data-key", last)

"""Polish of the agent's day (issue 19): files over the size limit refused
before uploading, and sidebar properties that can be dragged (S29)."""

import time

import pytest
from playwright.sync_api import expect

from conversations.models import Attachment
from tests.browser.conftest import htmx_settled, requests_finished, sign_in_on
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


def test_a_korean_agent_is_refused_a_large_file_in_korean_without_an_upload(
    page, sign_in, desk, settings
):
    settings.HELPDESK_ATTACHMENT_MAX_BYTES = 2 * 2**20
    desk["agent"].language = "ko"
    desk["agent"].save(update_fields=["language"])
    sign_in(desk["agent"])
    page.goto(f"/views/mine/tickets/{desk['ticket'].pk}/")
    htmx_settled(page)
    uploads = []
    page.on("request", lambda r: uploads.append(r.url) if "/attachments/" in r.url else None)
    page.locator("#composer-reply [data-upload-input]").set_input_files(
        {"name": "견적서.pdf", "mimeType": "application/pdf", "buffer": b"x" * (3 * 2**20)}
    )
    expect(page.locator("#composer-reply [data-upload-error]")).to_have_text(
        "“견적서.pdf” 파일이 2MB보다 큽니다."
    )
    assert not uploads
    assert not Attachment.objects.exists()


@pytest.fixture
def page_413(browser, live_server, transactional_db):
    """A page whose console may show the browser's own line for a 413 answer
    (the network error this test makes) and nothing else."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield page
    context.close()
    requests_finished()
    assert [p for p in problems if "status of 413" not in p] == []


def test_a_request_refused_for_its_size_says_so_plainly_in_the_composer(page_413, desk, settings):
    """The size limit answers 413 "Request too large" in English before the
    app sees the request; the composer shows its own sentence instead."""
    page = page_413
    settings.HELPDESK_ATTACHMENT_MAX_BYTES = 2 * 2**20
    settings.HELPDESK_FORM_MAX_BYTES = 3 * 2**20
    sign_in_on(page, desk["agent"])
    page.goto(f"/views/mine/tickets/{desk['ticket'].pk}/")
    htmx_settled(page)
    too_large = {"status": 413, "body": "Request too large", "content_type": "text/plain"}
    page.route("**/attachments/", lambda route: route.fulfill(**too_large))
    page.locator("#composer-reply [data-upload-input]").set_input_files(
        {"name": "small.pdf", "mimeType": "application/pdf", "buffer": b"x" * 1000}
    )
    error = page.locator("#composer-reply [data-upload-error]")
    expect(error).to_have_text("“small.pdf” is larger than 2 MB.")
    # A reply refused the same way (pasted images past the form limit).
    page.route("**/reply/", lambda route: route.fulfill(**too_large))
    page.locator("#composer-reply [data-editor]").click()
    page.keyboard.type("Here is the screenshot")
    page.locator("#composer-reply button.btn-primary[type=submit]").click()
    expect(error).to_have_text("This message is too large to send: at most 3 MB.")
    expect(page.get_by_text("Request too large")).to_have_count(0)


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

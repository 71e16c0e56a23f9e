"""The browser console stays silent (issue 19): every dialog and popover of
the workspace opened in turn, the collaborator's workspace, and the pages
outside it (settings, chat, web form). Any console message fails: an error,
a warning, a Content Security Policy report or a failed request alike."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from channels_inbound.models import ChatWidget, WebForm, WebFormField
from tests.browser.conftest import htmx_settled, requests_finished, sign_in_on
from tests.factories import (
    EmailAddressFactory,
    PropertyDefinitionFactory,
    TicketFactory,
    UserFactory,
    inbound_message,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def quiet_page(browser, live_server, transactional_db):
    """A page that records every console message, not only errors; the CSP
    stays on."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-US", base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.messages = []
    page.on(
        "console",
        lambda m: page.messages.append(f"{m.type}: {m.text} ({m.location.get('url') or page.url})"),
    )
    page.on("pageerror", lambda e: page.messages.append(f"pageerror: {e} ({page.url})"))
    yield page
    context.close()
    requests_finished()


@pytest.fixture
def desk(team_a, pipeline, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    EmailAddressFactory(email="support0@helpdesk.example", display_name="Support")
    PropertyDefinitionFactory(
        key="area", label="Product area", type="choice", choices=["Billing", "App"]
    )
    agent = UserFactory(
        username="maya",
        first_name="Maya",
        last_name="L",
        main_team=team_a,
        role=User.Role.SUPER_ADMIN,
    )
    sam = UserFactory(
        username="sam",
        first_name="Sam",
        last_name="C",
        main_team=team_a,
        role=User.Role.COLLABORATOR,
        visibility=User.Visibility.TEAMS,
    )
    ticket = TicketFactory(pipeline=pipeline, owner=agent, team=team_a, name="Refund please")
    inbound_message(ticket, text="First mail about my refund")
    TicketFactory(pipeline=pipeline, owner=sam, team=team_a, name="Sam's own")
    return {"agent": agent, "sam": sam, "ticket": ticket, "pipeline": pipeline}


def opened(page, selector):
    expect(page.locator(selector).first).to_be_visible()
    htmx_settled(page)


def escape(page, selector):
    page.keyboard.press("Escape")
    expect(page.locator(selector)).to_have_count(0)


def test_every_dialog_and_popover_keeps_the_console_silent(quiet_page, desk):
    page = quiet_page
    sign_in_on(page, desk["agent"])
    page.goto(f"/views/mine/tickets/{desk['ticket'].pk}/")
    opened(page, "#composer-reply [data-editor]")

    menu = page.locator(".ticket-menu summary")
    for label, dialog in [
        ("Merge", "#merge-panel"),
        ("Split ticket", "#split-panel"),
        ("Move to another pipeline", "#move-panel"),
        ("Delete", ".confirm-overlay"),
    ]:
        menu.click()
        page.locator(".ticket-menu [role=menuitem]", has_text=label).click()
        opened(page, dialog)
        escape(page, dialog)

    page.click("[data-shortcut=m]")
    opened(page, "#dialog-root [role=dialog]")
    escape(page, "#dialog-root [role=dialog]")

    page.click("[data-shortcut=c]")
    opened(page, "#create-panel")
    escape(page, "#create-panel")

    page.select_option("#field-stage select", label="Closed")
    opened(page, "#field-stage .popover")
    # Sent without what it needs, the popover comes back with its errors.
    page.click("#field-stage .popover [type=submit]")
    opened(page, "#field-stage .popover .field-error, #field-stage .popover .alert-error")
    page.click("#field-stage .popover [data-dismiss]")

    page.click("[data-action=shortcuts]")
    opened(page, "#shortcuts")
    escape(page, "#shortcuts:not([hidden])")

    page.click(".notifications-menu summary")
    opened(page, ".notifications-panel .panel-header")
    page.click(".account-menu summary")
    opened(page, ".account-menu .menu-panel")

    page.click(".nav-create")
    opened(page, "#view-panel")
    page.click("#view-panel [type=submit]")
    opened(page, "#view-panel .field-error")
    escape(page, "#view-panel")

    # The table's "Save as new view" dialog.
    page.goto("/views/mine/list/?priority=high")
    page.get_by_role("button", name="Save as new view").click()
    opened(page, "#view-panel")
    escape(page, "#view-panel")

    # The collaborator's workspace.
    sign_in_on(page, desk["sam"])
    opened(page, ".pane-title")
    page.goto("/views/mine/")
    opened(page, ".pane-title")
    page.locator(".row-link").first.click()
    opened(page, ".ticket-title h2")
    page.click(".notifications-menu summary")
    opened(page, ".notifications-panel .panel-header")

    assert not page.messages, "\n".join(page.messages)


@pytest.fixture
def public_channels(pipeline):
    form = WebForm.objects.create(
        name="Contact us",
        slug="contact",
        title="How can we help?",
        pipeline=pipeline,
        stage=pipeline.stages.first(),
    )
    WebFormField.objects.create(
        form=form, kind=WebFormField.Kind.EMAIL, label="Your email", required=True, position=0
    )
    widget = ChatWidget.objects.create(
        name="Acme chat", pipeline=pipeline, stage=pipeline.stages.first()
    )
    return {"form": form, "widget": widget}


def test_settings_chat_and_form_pages_keep_the_console_silent(
    quiet_page, public_channels, super_admin
):
    page = quiet_page
    page.goto("/admin/login/")
    page.wait_for_load_state("networkidle")
    page.goto("/forms/contact/")
    page.wait_for_load_state("networkidle")
    page.goto(f"/chat/{public_channels['widget'].key}/")
    page.wait_for_load_state("networkidle")
    sign_in_on(page, super_admin)
    for url in ["/admin/", "/admin/tickets/pipeline/"]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
    assert not page.messages, "\n".join(page.messages)

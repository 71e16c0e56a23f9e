"""Accessibility (issue 19, WCAG 2.1 AA): axe-core audits every screen and
dialog an agent uses, and fails on any serious or critical violation.

axe is injected as a script, which our CSP refuses: the audit's browser
context bypasses the CSP (the console-silence tests keep it on)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import User
from channels_inbound.models import ChatWidget, WebForm, WebFormField
from tests.browser.conftest import htmx_settled, requests_finished, sign_in_on
from tests.factories import (
    EmailAddressFactory,
    PropertyDefinitionFactory,
    SurveyFactory,
    TicketFactory,
    UserFactory,
    inbound_message,
)

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SERIOUS = ("serious", "critical")


@pytest.fixture
def audit_page(browser, live_server, transactional_db):
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        locale="en-US",
        base_url=live_server.url,
        bypass_csp=True,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield page
    context.close()
    requests_finished()
    assert not problems, problems


def audit(page, where: str, context: str = "document") -> list[str]:
    """Run axe on the page (or the part `context` names): what is serious or
    critical, naming the rule and the elements."""
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async (selector) => {
            const root = selector === "document" ? document : document.querySelector(selector);
            const r = await axe.run(root, {resultTypes: ["violations"]});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary)
            }));
        }""",
        context,
    )
    return [
        f"{where}: [{v['impact']}] {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in result
        if v["impact"] in SERIOUS
    ]


@pytest.fixture
def desk(team_a, pipeline, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    EmailAddressFactory(email="support0@helpdesk.example", display_name="Support")
    agent = UserFactory(
        username="maya",
        first_name="Maya",
        last_name="L",
        main_team=team_a,
        role=User.Role.SUPER_ADMIN,
    )
    PropertyDefinitionFactory(
        key="area",
        label="Product area",
        type="choice",
        choices=["Billing", "App"],
        on_create_form=True,
    )
    PropertyDefinitionFactory(key="order", label="Order number", on_create_form=True)
    PropertyDefinitionFactory(key="renewal", label="Renewal", type="date")
    ticket = TicketFactory(pipeline=pipeline, owner=agent, team=team_a, name="Refund please")
    inbound_message(ticket, text="First mail about my refund")
    inbound_message(ticket, text="Second mail: any news?")
    other = TicketFactory(pipeline=pipeline, owner=agent, team=team_a, name="Invoice twice")
    return {"agent": agent, "ticket": ticket, "other": other, "pipeline": pipeline}


def open_dialog(page, opener, dialog: str):
    opener()
    expect(page.locator(dialog)).to_be_visible()
    htmx_settled(page)


def close_dialog(page, dialog: str):
    page.keyboard.press("Escape")
    expect(page.locator(dialog)).to_have_count(0)


def test_the_agents_screens_and_dialogs_have_no_serious_axe_violation(audit_page, desk):
    page = audit_page
    found: list[str] = []
    page.goto("/accounts/login/")
    found += audit(page, "sign-in")

    sign_in_on(page, desk["agent"])
    page.goto("/views/mine/")
    expect(page.locator(".row-subject").first).to_be_visible()
    found += audit(page, "workspace")

    ticket = desk["ticket"]
    page.goto(f"/views/mine/tickets/{ticket.pk}/")
    expect(page.locator("#composer-reply [data-editor]")).to_be_visible()
    htmx_settled(page)
    found += audit(page, "open ticket")

    # Each dialog of the ticket, audited while open.
    menu = page.locator(".ticket-menu summary")
    for label, dialog in [
        ("Merge", "#merge-panel"),
        ("Split ticket", "#split-panel"),
        ("Move to another pipeline", "#move-panel"),
    ]:

        def opener(label=label):
            menu.click()
            page.locator(".ticket-menu [role=menuitem]", has_text=label).click()

        open_dialog(page, opener, dialog)
        found += audit(page, f"dialog {label}")
        close_dialog(page, dialog)

    # The status that needs more (Closed needs a category) asks in a popover.
    page.select_option("#field-stage select", label="Closed")
    expect(page.locator("#field-stage .popover")).to_be_visible()
    htmx_settled(page)
    found += audit(page, "conditional status popover")
    page.click("#field-stage .popover [data-dismiss]")

    page.click("[data-action=shortcuts]")
    found += audit(page, "shortcuts")
    close_dialog(page, "#shortcuts:not([hidden])")

    def delete():
        menu.click()
        page.locator(".ticket-menu [role=menuitem]", has_text="Delete").click()

    open_dialog(page, delete, ".confirm-overlay")
    found += audit(page, "delete confirmation")
    close_dialog(page, ".confirm-overlay")

    open_dialog(page, lambda: page.click("[data-shortcut=c]"), "#create-panel")
    found += audit(page, "create panel")
    close_dialog(page, "#create-panel")

    open_dialog(page, lambda: page.click(".nav-create"), "#view-panel")
    found += audit(page, "save view dialog")
    close_dialog(page, "#view-panel")

    page.click(".notifications-menu summary")
    expect(page.locator(".notifications-panel .panel-header")).to_be_visible()
    found += audit(page, "notifications")

    page.goto("/views/mine/list/")
    expect(page.locator("table").first).to_be_visible()
    found += audit(page, "table")

    page.goto("/reports/sla/")
    found += audit(page, "SLA report")

    SurveyFactory(ticket=desk["other"], rating="bad", comment="Charged twice, still no refund")
    page.goto("/reports/satisfaction/")
    found += audit(page, "Satisfaction report")

    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.goto("/admin/")
    found += audit(page, "settings")
    page.goto(f"/admin/tickets/pipeline/{desk['pipeline'].pk}/change/")
    found += audit(page, "settings: a pipeline's statuses")
    page.goto("/admin/tickets/propertydefinition/add/")
    found += audit(page, "settings: a new property")
    assert not found, "\n".join(found)


@pytest.fixture
def public_channels(pipeline):
    form = WebForm.objects.create(
        name="Contact us",
        slug="contact",
        title="How can we help?",
        pipeline=pipeline,
        stage=pipeline.stages.first(),
    )
    for position, (kind, label, required) in enumerate(
        [
            (WebFormField.Kind.EMAIL, "Your email", True),
            (WebFormField.Kind.SUBJECT, "Subject", True),
            (WebFormField.Kind.MESSAGE, "Message", True),
        ]
    ):
        WebFormField.objects.create(
            form=form, kind=kind, label=label, required=required, position=position
        )
    widget = ChatWidget.objects.create(
        name="Acme chat", pipeline=pipeline, stage=pipeline.stages.first()
    )
    return {"form": form, "widget": widget}


def test_the_public_form_and_chat_have_no_serious_axe_violation(audit_page, public_channels):
    page = audit_page
    found: list[str] = []
    page.goto("/forms/contact/")
    found += audit(page, "public form")
    # Sent empty, the form focuses its error summary.
    page.click("button[type=submit]")
    summary = page.locator("#form-errors")
    expect(summary).to_be_focused()
    expect(summary.locator("li")).to_have_count(3)
    # Each invalid field is marked and names its message, which a reader hears.
    invalid = page.locator("form [aria-invalid=true]")
    expect(invalid).to_have_count(3)
    for n in range(3):
        field = invalid.nth(n)
        message = page.locator(f"#{field.get_attribute('aria-describedby')}")
        expect(message).to_have_text("This field is required.")
    # The summary's links take the keyboard to the field.
    summary.get_by_role("link").first.click()
    expect(invalid.first).to_be_focused()
    found += audit(page, "public form with errors")
    page.goto(f"/chat/{public_channels['widget'].key}/")
    found += audit(page, "chat widget")
    assert not found, "\n".join(found)


assert os.path.exists(AXE), "tests/browser/vendor/axe.min.js is missing"

"""The settings fit a 1280 px screen (issue 14), in English and in Korean,
whose words run longer in some columns: the web form's table of fields
beside its preview, and the lists beside their filters, need no sideways
scroll."""

import os

import pytest
from playwright.sync_api import expect

from channels_inbound.models import WebForm, WebFormField
from tests.factories import (
    EmailAddressFactory,
    EmailChannelFactory,
    PropertyDefinitionFactory,
    TeamFactory,
    UserFactory,
)
from tickets.models import PropertyDefinition

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SETTINGS_SHOTS_DIR")  # where to keep screenshots, if anywhere


@pytest.fixture
def webform(pipeline):
    area = PropertyDefinitionFactory(
        key="product_area",
        label="Product area",
        type=PropertyDefinition.Type.CHOICE,
        choices=["Mobile app", "API"],
        labels={"ko": "제품 영역"},
    )
    form = WebForm.objects.create(
        name="Support",
        slug="support",
        title="Contact support",
        pipeline=pipeline,
        stage=pipeline.stages.first(),
    )
    rows = [
        (WebFormField.Kind.EMAIL, "Your email", "We answer here.", None),
        (WebFormField.Kind.SUBJECT, "Subject", "", None),
        (WebFormField.Kind.PROPERTY, "Which part of the product?", "", area),
        (WebFormField.Kind.MESSAGE, "How can we help?", "As much detail as you can.", None),
        (WebFormField.Kind.FILE, "Screenshot", "", None),
    ]
    for n, (kind, label, help_text, prop) in enumerate(rows, 1):
        WebFormField.objects.create(
            form=form,
            kind=kind,
            label=label,
            help_text=help_text,
            required=kind in ("email", "message"),
            property=prop,
            position=n,
        )
    return form


def sideways(page) -> dict:
    """How far the page and the fields' table reach past their boxes."""
    return page.evaluate(
        """() => {
          const table = document.querySelector('#fields-group table');
          let box = table.parentElement, over = 0;
          for (; box && box !== document.body; box = box.parentElement) {
            over = Math.max(over, box.scrollWidth - box.clientWidth);
          }
          const root = document.scrollingElement;
          return {table: over, page: root.scrollWidth - root.clientWidth,
                  right: table.getBoundingClientRect().right,
                  preview: document.querySelector('.settings-preview').getBoundingClientRect().left};
        }"""
    )


@pytest.mark.parametrize(
    "width,language", [(1280, "en"), (1920, "en"), (1280, "ko")], ids=["1280", "1920", "ko"]
)
def test_the_web_form_fields_fit_beside_the_preview(
    admin_page, super_admin, webform, width, language
):
    super_admin.language = language
    super_admin.save()
    page = admin_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/admin/channels_inbound/webform/{webform.pk}/change/")
    page.locator("#fields-group").evaluate("el => el.scrollIntoView({block: 'center'})")
    expect(page.frame_locator("iframe[data-preview-url]").locator("h1")).to_be_visible()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/webform-fields-{width}-{language}.png")
    over = sideways(page)
    assert over["table"] <= 0, over
    assert over["page"] <= 0, over
    assert over["right"] <= over["preview"], over  # beside the preview, not under it


@pytest.fixture
def long_rows(pipeline, team_a):
    """Rows as long as a real help desk's: display names with their
    addresses, a team and a status on every email channel, users with full
    names and addresses."""
    support = TeamFactory(name="Customer Support", labels={"ko": "고객 지원"})
    for name, email in [
        ("Customer Support", "support@helpdesk.example"),
        ("Billing and invoices", "billing-and-invoices@helpdesk.example"),
    ]:
        EmailChannelFactory(
            address=EmailAddressFactory(email=email, display_name=name),
            pipeline=pipeline,
            team=support,
        )
    for n in range(3):
        UserFactory(
            first_name="Katarzyna",
            last_name=f"Nowak-Wiśniewska {n}",
            email=f"katarzyna.nowak-wisniewska{n}@helpdesk.example",
            main_team=support,
        )


@pytest.mark.parametrize("language", ["en", "ko"])
@pytest.mark.parametrize(
    "url",
    ["/admin/channels_inbound/emailchannel/", "/admin/accounts/user/"],
    ids=["email-channels", "users"],
)
def test_a_settings_list_fits_beside_its_filters_at_1280(
    admin_page, super_admin, long_rows, url, language
):
    super_admin.language = language
    super_admin.save()
    page = admin_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url)
    expect(page.locator("#result_list tbody tr").first).to_be_visible()
    if SHOTS:
        name = url.strip("/").split("/")[-1]
        page.screenshot(path=f"{SHOTS}/list-{name}-1280-{language}.png")
    over = page.evaluate(
        """() => {
          const box = document.querySelector('#result_list').parentElement;
          const root = document.scrollingElement;
          return {table: box.scrollWidth - box.clientWidth,
                  page: root.scrollWidth - root.clientWidth};
        }"""
    )
    assert over == {"table": 0, "page": 0}, over

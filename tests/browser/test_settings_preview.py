"""The preview beside a web form's and a chat widget's settings follows the
admin's typing, in a frame that runs nothing and sends nothing (issue 14)."""

import os

import pytest
from playwright.sync_api import expect

from channels_inbound.models import ChatWidget, WebForm, WebFormField
from tickets.models import Ticket

pytestmark = pytest.mark.browser


def test_the_web_form_preview_follows_unsaved_edits(admin_page, pipeline):
    page = admin_page
    webform = WebForm.objects.create(
        name="Support",
        slug="support",
        title="Contact support",
        pipeline=pipeline,
        stage=pipeline.stages.first(),
    )
    for n, kind in enumerate([WebFormField.Kind.EMAIL, WebFormField.Kind.MESSAGE], 1):
        WebFormField.objects.create(
            form=webform, kind=kind, label=kind.label, required=True, position=n
        )
    page.goto(f"/admin/channels_inbound/webform/{webform.pk}/change/")
    preview = page.frame_locator("iframe[data-preview-url]")
    expect(preview.locator("h1")).to_have_text("Contact support")

    page.fill("input[name=title]", "Write to us")
    page.fill("input[name=fields-1-label]", "What happened?")
    expect(preview.locator("h1")).to_have_text("Write to us")
    expect(preview.locator("label").nth(1)).to_contain_text("What happened?")
    expect(preview.locator("button[type=submit]")).to_be_disabled()

    # A field moved with the keyboard moves in the preview too.
    page.locator("#fields-group .sort-handle").nth(1).focus()
    page.keyboard.press("ArrowUp")
    expect(preview.locator("label").first).to_contain_text("What happened?")

    # Removing the message field (the form's second row, shown first now)
    # shows why the form could not be saved.
    page.check("input[name=fields-1-DELETE]")
    expect(preview.locator(".preview-problems")).to_contain_text("Add a required message field")

    webform.refresh_from_db()
    assert webform.title == "Contact support"
    assert list(webform.fields.values_list("label", flat=True)) == [
        "Contact: email",
        "Ticket: message",
    ]
    assert not Ticket.objects.exists()


def test_the_chat_preview_follows_the_greeting_and_the_bot(admin_page, pipeline):
    page = admin_page
    widget = ChatWidget.objects.create(
        name="Northwind help", pipeline=pipeline, stage=pipeline.stages.first()
    )
    page.goto(f"/admin/channels_inbound/chatwidget/{widget.pk}/change/")
    preview = page.frame_locator("iframe[data-preview-url]")
    expect(preview.locator(".chat-head h1")).to_have_text("Northwind help")
    page.fill("input[name=greeting]", "Hej! Ask us anything.")
    expect(preview.locator(".chat-agent")).to_have_text("Hej! Ask us anything.")
    expect(preview.locator(".chat-person")).to_have_count(0)
    page.check("input[name=bot_enabled]")
    expect(preview.locator(".chat-person")).to_have_text("Talk to a person")
    widget.refresh_from_db()
    assert widget.greeting != "Hej! Ask us anything." and not widget.bot_enabled


SHOTS = os.environ.get("SETTINGS_SHOTS_DIR")  # where to keep screenshots, if anywhere


@pytest.mark.parametrize(
    "width,language", [(1280, "en"), (1920, "en"), (1280, "ko")], ids=["1280", "1920", "ko"]
)
def test_the_chat_preview_steps_through_the_windows_screens(
    admin_page, super_admin, pipeline, width, language
):
    """Each text the chat's settings hold can be seen: the welcome, each
    topic's answer, the answer to what the bot does not understand, the
    answer when a person is asked for, and a conversation with a person."""
    super_admin.language = language
    super_admin.save()
    widget = ChatWidget.objects.create(
        name="Northwind help",
        pipeline=pipeline,
        stage=pipeline.stages.first(),
        bot_enabled=True,
        bot_fallback="Sorry, I did not get that.",
        handoff_reply="Someone from Northwind will answer here.",
    )
    widget.bot_answers.create(question="Opening hours", answer="Weekdays 9 to 17.", position=1)
    widget.bot_answers.create(question="Refunds", answer="Within 30 days.", position=2)
    page = admin_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/admin/channels_inbound/chatwidget/{widget.pk}/change/")
    preview = page.frame_locator("iframe[data-preview-url]")
    screens = page.locator("[data-preview-screens] button")
    expect(screens).to_have_count(5)
    expected = {
        "welcome": ".chat-options",
        "answers": "text=Within 30 days.",
        "fallback": "text=Sorry, I did not get that.",
        "person": "text=Someone from Northwind will answer here.",
        "conversation": ".chat-contact[open]",
    }
    for screen, shows in expected.items():
        page.click(f"[data-preview-screen={screen}]")
        expect(page.locator(f"[data-preview-screen={screen}]")).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(preview.locator(shows)).to_be_visible()
        if SHOTS:
            page.locator(".settings-preview").screenshot(
                path=f"{SHOTS}/chat-preview-{screen}-{width}-{language}.png"
            )
    # The text typed is shown on the screen chosen; the chatbot's screens go
    # with the chatbot.
    page.fill("input[name=handoff_reply]", "A person is on the way.")
    page.click("[data-preview-screen=person]")
    expect(preview.locator("text=A person is on the way.")).to_be_visible()
    page.uncheck("input[name=bot_enabled]")
    expect(page.locator("[data-preview-screen=fallback]")).to_be_hidden()
    expect(page.locator("[data-preview-screen=welcome]")).to_have_attribute("aria-pressed", "true")
    expect(preview.locator(".chat-options")).to_have_count(0)
    if SHOTS and width == 1280 and language == "en":
        page.screenshot(path=f"{SHOTS}/chat-settings-{width}-{language}.png")

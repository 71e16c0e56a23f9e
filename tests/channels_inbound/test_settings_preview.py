"""The preview beside a web form's and a chat widget's settings (issue 14): it
draws the public page from the settings as they stand on the page, unsaved,
shows what would refuse them instead of failing, stores nothing, and answers
super admins only."""

import pytest
from django.urls import reverse

from channels_inbound.models import (
    ChatBotAnswer,
    ChatWidget,
    InboundItem,
    WebForm,
    WebFormField,
)
from conversations.models import Message
from tests.factories import UserFactory
from tickets.models import Ticket

Kind = WebFormField.Kind


@pytest.fixture
def webform(pipeline):
    form = WebForm.objects.create(
        name="Support",
        slug="support",
        title="Contact support",
        pipeline=pipeline,
        stage=pipeline.stages.first(),
    )
    WebFormField.objects.create(
        form=form, kind=Kind.EMAIL, label="Email", required=True, position=1
    )
    WebFormField.objects.create(
        form=form, kind=Kind.MESSAGE, label="Message", required=True, position=2
    )
    return form


@pytest.fixture
def widget(pipeline):
    widget = ChatWidget.objects.create(
        name="Northwind help", pipeline=pipeline, stage=pipeline.stages.first(), bot_enabled=True
    )
    ChatBotAnswer.objects.create(widget=widget, question="Opening hours", answer="9 to 5")
    return widget


def webform_data(webform, fields, **changes):
    """The change page's form as the admin has it: `fields` are (id or None,
    kind, label, required, position) rows, saved or added."""
    saved = sum(1 for row in fields if row[0])
    data = {
        "name": webform.name,
        "slug": webform.slug,
        "title": webform.title,
        "intro": "",
        "thanks": webform.thanks,
        "pipeline": webform.pipeline_id,
        "stage": webform.stage_id,
        "is_active": "on",
        "fields-TOTAL_FORMS": len(fields),
        "fields-INITIAL_FORMS": saved,
        "fields-MIN_NUM_FORMS": 0,
        "fields-MAX_NUM_FORMS": 1000,
    } | changes
    for i, (pk, kind, label, required, position) in enumerate(fields):
        data |= {
            f"fields-{i}-id": pk or "",
            f"fields-{i}-form": webform.pk or "",
            f"fields-{i}-kind": kind,
            f"fields-{i}-label": label,
            f"fields-{i}-position": position,
        }
        if required:
            data[f"fields-{i}-required"] = "on"
    return data


def preview_url(obj):
    name = f"admin:channels_inbound_{obj._meta.model_name}_preview"
    return reverse(name, args=[obj.pk])


def stored(webform):
    return (
        list(WebForm.objects.values_list("title", flat=True)),
        list(webform.fields.order_by("position").values_list("label", flat=True)),
        Ticket.objects.count(),
        Message.objects.count(),
        InboundItem.objects.count(),
    )


def test_the_web_form_preview_draws_unsaved_fields_in_their_new_order(client, super_admin, webform):
    client.force_login(super_admin)
    email, message = webform.fields.order_by("position")
    before = stored(webform)
    rows = [
        (message.pk, Kind.MESSAGE, "What happened?", True, 1),  # relabelled, moved up
        (email.pk, Kind.EMAIL, "Email", True, 2),
        (None, Kind.PHONE, "Phone number", False, 3),  # added
    ]
    data = webform_data(webform, rows, title="Write to us", intro="We answer within a day.")

    response = client.post(preview_url(webform), data)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Write to us" in body and "We answer within a day." in body
    assert body.index("What happened?") < body.index("Email") < body.index("Phone number")
    assert '<button type="submit" disabled>' in body
    assert "<form novalidate>" in body  # nowhere to post
    assert "preview-problems" not in body
    assert stored(webform) == before


def test_the_web_form_preview_leaves_out_deleted_fields(client, super_admin, webform):
    client.force_login(super_admin)
    email, message = webform.fields.order_by("position")
    rows = [(email.pk, Kind.EMAIL, "Email", True, 1), (message.pk, Kind.MESSAGE, "Gone", True, 2)]
    data = webform_data(webform, rows) | {"fields-1-DELETE": "on"}
    body = client.post(preview_url(webform), data).content.decode()
    assert "Gone" not in body
    # A form left without its message field says so above the page.
    assert "Add a required message field" in body
    assert webform.fields.count() == 2


def test_an_invalid_configuration_is_drawn_with_its_errors(client, super_admin, webform):
    client.force_login(super_admin)
    rows = [(None, Kind.PROPERTY, "Plan", True, 1)]  # a property field without its property
    data = webform_data(webform, rows, slug="not a slug", pipeline="", stage="")
    data["fields-INITIAL_FORMS"] = 0

    response = client.post(preview_url(webform), data)

    assert response.status_code == 200
    body = response.content.decode()
    assert "preview-problems" in body and "These settings cannot be saved yet:" in body
    assert "Choose the ticket property this field fills." in body
    assert "Plan" in body  # still drawn, as a text field
    assert WebForm.objects.get().slug == "support"


def test_a_new_web_form_is_previewed_before_it_exists(client, super_admin, pipeline):
    client.force_login(super_admin)
    unsaved = WebForm(name="New", slug="new", title="Brand new form", pipeline=pipeline)
    data = webform_data(unsaved, [(None, Kind.EMAIL, "Your email", True, 1)])
    data["stage"] = pipeline.stages.first().pk
    response = client.post(reverse("admin:channels_inbound_webform_preview"), data)
    assert response.status_code == 200
    assert "Brand new form" in response.content.decode()
    assert not WebForm.objects.exists()


def test_the_chat_preview_draws_unsaved_greeting_and_bot_topics(client, super_admin, widget):
    client.force_login(super_admin)
    answer = widget.bot_answers.get()
    data = {
        "name": "Ask Northwind",
        "greeting": "Hello there!",
        "pipeline": widget.pipeline_id,
        "stage": widget.stage_id,
        "is_active": "on",
        "bot_enabled": "on",
        "handoff_label": "A human, please",
        "handoff_keywords": widget.handoff_keywords,
        "handoff_reply": widget.handoff_reply,
        "bot_fallback": widget.bot_fallback,
        "bot_answers-TOTAL_FORMS": 2,
        "bot_answers-INITIAL_FORMS": 1,
        "bot_answers-MIN_NUM_FORMS": 0,
        "bot_answers-MAX_NUM_FORMS": 1000,
        "bot_answers-0-id": answer.pk,
        "bot_answers-0-widget": widget.pk,
        "bot_answers-0-question": "Opening hours",
        "bot_answers-0-answer": "9 to 5",
        "bot_answers-0-position": 2,
        "bot_answers-1-question": "Refunds",
        "bot_answers-1-answer": "Within 30 days",
        "bot_answers-1-position": 1,
    }

    response = client.post(preview_url(widget), data)

    body = response.content.decode()
    assert response.status_code == 200
    assert "Ask Northwind" in body and "Hello there!" in body and "A human, please" in body
    assert body.index("Refunds") < body.index("Opening hours")
    assert "js/chat.js" not in body  # the preview runs nothing and sends nothing
    widget.refresh_from_db()
    assert widget.name == "Northwind help" and widget.bot_answers.count() == 1


def chat_data(widget, **changes) -> dict:
    answer = widget.bot_answers.get()
    return {
        "name": widget.name,
        "greeting": "Hello there!",
        "pipeline": widget.pipeline_id,
        "stage": widget.stage_id,
        "is_active": "on",
        "bot_enabled": "on",
        "handoff_label": "A human, please",
        "handoff_keywords": widget.handoff_keywords,
        "handoff_reply": "Hang on, fetching a person.",
        "bot_fallback": "Beg your pardon?",
        "bot_answers-TOTAL_FORMS": 2,
        "bot_answers-INITIAL_FORMS": 1,
        "bot_answers-MIN_NUM_FORMS": 0,
        "bot_answers-MAX_NUM_FORMS": 1000,
        "bot_answers-0-id": answer.pk,
        "bot_answers-0-widget": widget.pk,
        "bot_answers-0-question": "Opening hours",
        "bot_answers-0-answer": "9 to 5",
        "bot_answers-0-position": 1,
        "bot_answers-1-question": "Refunds",
        "bot_answers-1-answer": "Within 30 days",
        "bot_answers-1-position": 2,
    } | changes


@pytest.mark.parametrize(
    "screen,shown,hidden",
    [
        ("welcome", ["Hello there!", "A human, please"], ["9 to 5", "Beg your pardon?"]),
        ("answers", ["9 to 5", "Within 30 days", "Refunds"], ["Beg your pardon?"]),
        ("fallback", ["Beg your pardon?"], ["9 to 5", "Hang on, fetching a person."]),
        ("person", ["Hang on, fetching a person."], ["Beg your pardon?"]),
        ("conversation", ["What is the order number?", " open>"], ["Beg your pardon?"]),
    ],
)
def test_the_chat_preview_shows_the_screen_asked_for_with_its_texts(
    client, super_admin, widget, screen, shown, hidden
):
    """Each text the chat's settings hold can be seen on one of its screens."""
    client.force_login(super_admin)
    body = client.post(
        preview_url(widget), chat_data(widget, _preview_screen=screen)
    ).content.decode()
    for text in shown:
        assert text in body, text
    for text in hidden:
        assert text not in body, text
    assert ("data-options role" in body) and (
        ("hidden>" in body.split("data-options", 1)[1][:200])
        == (screen in ("person", "conversation"))
    )


def test_a_chatbot_screen_of_a_widget_without_the_chatbot_shows_the_welcome(
    client, super_admin, widget
):
    client.force_login(super_admin)
    data = chat_data(widget, _preview_screen="fallback")
    del data["bot_enabled"]
    body = client.post(preview_url(widget), data).content.decode()
    assert "Hello there!" in body and "Beg your pardon?" not in body


def test_the_chat_settings_page_offers_the_screens(client, super_admin, widget):
    client.force_login(super_admin)
    page = client.get(
        reverse("admin:channels_inbound_chatwidget_change", args=[widget.pk])
    ).content.decode()
    for screen in ("welcome", "answers", "fallback", "person", "conversation"):
        assert f'data-preview-screen="{screen}"' in page
    assert 'data-preview-screen="answers" data-needs="bot_enabled"' in page


def test_the_preview_is_for_super_admins_only(client, agent, collaborator, webform, widget):
    rows = [(None, Kind.EMAIL, "Email", True, 1)]
    for user in (agent, collaborator):
        client.force_login(user)
        for obj in (webform, widget):
            response = client.post(preview_url(obj), webform_data(webform, rows))
            assert response.status_code in (302, 403, 404)
            assert b"Contact support" not in response.content
    client.logout()
    response = client.post(preview_url(webform), webform_data(webform, rows))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_preview_only_answers_posts(client, super_admin, webform):
    client.force_login(super_admin)
    assert client.get(preview_url(webform)).status_code == 405


def test_the_preview_of_a_missing_form_is_404(client, super_admin, webform):
    client.force_login(super_admin)
    url = reverse("admin:channels_inbound_webform_preview", args=[webform.pk + 100])
    assert client.post(url, {}).status_code == 404


def test_the_settings_page_frames_the_preview_without_scripts_or_forms(
    client, super_admin, webform
):
    client.force_login(super_admin)
    page = client.get(reverse("admin:channels_inbound_webform_change", args=[webform.pk]))
    body = page.content.decode()
    assert 'sandbox="allow-same-origin"' in body
    assert f'data-preview-url="{preview_url(webform)}"' in body
    assert "js/admin_preview.js" in body


def test_a_staff_lookalike_without_the_super_admin_role_is_refused(client, webform):
    """is_staff follows the role: no other flag opens the preview."""
    user = UserFactory()
    client.force_login(user)
    response = client.post(preview_url(webform), {})
    assert response.status_code in (302, 403)

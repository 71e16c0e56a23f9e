"""Chat tickets are asked inside the chat window (issue 20): once the
survey is due, the window's poll carries the question and a link per
answer; no email goes out; answered or past its deadline, it is gone."""

import json

import pytest
from django.core import mail

from channels_inbound.models import ChatWidget
from surveys.models import Survey
from surveys.services import surveys_send_due
from tickets import services as ticket_services
from tickets.models import Ticket

from .helpers import settings_for


@pytest.fixture
def widget(db, pipeline):
    return ChatWidget.objects.create(
        name="Acme help", pipeline=pipeline, stage=pipeline.stages.first()
    )


def chat(client, widget, capture, text="Where is my parcel?"):
    with capture(execute=True):
        response = client.post(
            f"/chat/{widget.key}/messages/",
            json.dumps({"text": text, "email": "lee@shop.example"}),
            content_type="application/json",
        )
    return response.json()["visitor"]


def poll(client, widget, visitor):
    return client.get(
        f"/chat/{widget.key}/messages/",
        {"visitor": visitor, "after": 0},
        HTTP_ACCEPT_LANGUAGE="fi",
    ).json()


def close(ticket, pipeline):
    ticket_services.ticket_set_stage(
        actor=None, ticket=ticket, stage=pipeline.stages.get(is_closed=True), category="question"
    )


def test_a_closed_chat_asks_in_the_window_not_by_email(
    client, widget, pipeline, django_capture_on_commit_callbacks
):
    settings_for(pipeline, scale="good_bad")
    visitor = chat(client, widget, django_capture_on_commit_callbacks)
    ticket = Ticket.objects.get()
    assert "survey" not in poll(client, widget, visitor)  # open: nothing to ask
    close(ticket, pipeline)
    surveys_send_due()
    survey = Survey.objects.get(ticket=ticket)
    assert survey.status == Survey.Status.SENT and not mail.outbox
    asked = poll(client, widget, visitor)["survey"]
    assert asked["question"] == "Miten arvioisit saamaasi tukea?"
    assert [a["url"].rsplit("=", 1)[1] for a in asked["answers"]] == ["good", "bad"]
    form = asked["answers"][1]["url"].split("?")[0]
    assert form.startswith("/survey/")
    client.post(form, {"rating": "bad", "with_comment": "0"})
    survey.refresh_from_db()
    assert survey.rating == "bad"
    assert "survey" not in poll(client, widget, visitor)  # answered: not asked again


def test_another_visitor_is_never_asked_about_this_chat(
    client, widget, pipeline, django_capture_on_commit_callbacks
):
    settings_for(pipeline)
    chat(client, widget, django_capture_on_commit_callbacks)
    other = chat(client, widget, django_capture_on_commit_callbacks, "Unrelated")
    first = Ticket.objects.order_by("id").first()
    close(first, pipeline)
    surveys_send_due()
    assert "survey" not in poll(client, widget, other)

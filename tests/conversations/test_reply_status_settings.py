"""A reply that cannot set its status tells the agent why, in the editor, and
keeps the text (issue 14): before, a pipeline whose "status after an agent's
reply" was of another pipeline made every such reply do nothing at all."""

import pytest
from django.core import mail
from django.urls import reverse

from conversations.models import Message
from tests.factories import EmailAddressFactory, PipelineFactory, TicketFactory, inbound_message
from tickets.models import Pipeline

HTMX = {"HX-Request": "true", "HX-Target": "composer-reply"}


@pytest.fixture
def ticket(pipeline, team_a):
    EmailAddressFactory(email="support0@helpdesk.example")
    return TicketFactory(pipeline=pipeline, team=team_a, name="Printer on fire")


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def send(client, ticket, capture, **extra):
    inbound = inbound_message(ticket)
    data = {"html": "<p>Kept words</p>", "to": inbound.from_email, "seen": inbound.pk, **extra}
    with capture(execute=True):
        return client.post(
            reverse("conversations:reply_send", args=[ticket.pk]), data, **{"headers": HTMX}
        )


def test_an_automatic_status_of_another_pipeline_stops_the_reply_with_a_message(
    signed_in, ticket, django_capture_on_commit_callbacks, mismatched_pairs
):
    other = PipelineFactory(name="Billing")
    Pipeline.objects.filter(pk=ticket.pipeline_id).update(
        stage_on_agent_reply=other.stages.get(name="Waiting on contact")
    )
    response = send(signed_in, ticket, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#composer-reply"
    page = response.content.decode()
    assert "belongs to another pipeline, so nothing was sent" in page
    assert "Kept words" in page  # the editor keeps the text
    assert not Message.objects.filter(direction="outbound").exists() and not mail.outbox
    ticket.refresh_from_db()
    assert ticket.stage.name == "New"


def test_with_a_status_chosen_the_same_reply_is_sent(
    signed_in, ticket, django_capture_on_commit_callbacks, mismatched_pairs
):
    other = PipelineFactory(name="Billing")
    Pipeline.objects.filter(pk=ticket.pipeline_id).update(stage_on_agent_reply=other.stages.first())
    waiting = ticket.pipeline.stages.get(name="Waiting on contact")
    response = send(signed_in, ticket, django_capture_on_commit_callbacks, stage=waiting.pk)
    assert response.get("HX-Retarget") != "#composer-reply"
    assert len(mail.outbox) == 1
    ticket.refresh_from_db()
    assert ticket.stage == waiting


def test_a_chosen_status_of_another_pipeline_is_refused_by_the_picker(
    signed_in, ticket, django_capture_on_commit_callbacks
):
    """The ticket moved to another pipeline after the editor was opened."""
    other = PipelineFactory(name="Billing")
    response = send(
        signed_in, ticket, django_capture_on_commit_callbacks, stage=other.stages.first().pk
    )
    page = response.content.decode()
    assert response["HX-Retarget"] == "#composer-reply"
    assert "Choose a status of this ticket" in page and "Kept words" in page
    assert not mail.outbox


def test_an_automatic_status_that_needs_properties_asks_for_them_in_the_editor(
    signed_in, ticket, django_capture_on_commit_callbacks
):
    closed = ticket.pipeline.stages.get(name="Closed")  # needs a category
    Pipeline.objects.filter(pk=ticket.pipeline_id).update(stage_on_agent_reply=closed)
    response = send(signed_in, ticket, django_capture_on_commit_callbacks)
    page = response.content.decode()
    assert response["HX-Retarget"] == "#composer-reply" and "Kept words" in page
    assert "“Closed” needs these properties before sending." in page
    assert 'name="category"' in page and not mail.outbox
    response = send(signed_in, ticket, django_capture_on_commit_callbacks, category="billing_issue")
    assert len(mail.outbox) == 1
    ticket.refresh_from_db()
    assert (ticket.stage, ticket.category) == (closed, "billing_issue")

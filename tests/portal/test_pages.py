"""What a signed-in contact does in the portal (issue 20): reply with files
into the ticket's email conversation (as their email reply would land),
open a request, close a request; bad input is told and loses nothing; the
pages run a fixed number of queries."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conversations.models import Channel, Message, Thread
from portal.models import PortalSettings
from tests.factories import CompanyFactory, ContactFactory, TicketFactory
from tickets import services as ticket_services
from tickets.models import Pipeline, Source

from .helpers import PNG, conversation, sign_in


@pytest.fixture
def contact(db):
    return ContactFactory(email="mira@customer.example")


@pytest.fixture
def ticket(pipeline, contact, agent):
    ticket = TicketFactory(pipeline=pipeline, contacts=[contact], name="Printer on fire")
    conversation(ticket, contact, agent=agent)
    return ticket


@pytest.fixture
def signed_in(client, contact):
    sign_in(client, contact)
    return client


def test_a_reply_lands_in_the_email_conversation_with_its_files(signed_in, ticket, contact):
    thread = ticket.threads.get()
    response = signed_in.post(
        reverse("portal:reply", args=[ticket.pk]),
        {
            "text": "It still smokes.\n\nSee the photo.",
            "files": [SimpleUploadedFile("photo.png", PNG), SimpleUploadedFile("log.txt", b"x")],
        },
    )
    assert response.status_code == 302
    message = Message.objects.filter(ticket=ticket).latest("id")
    assert message.thread == thread
    assert message.direction == Message.Direction.INBOUND and message.contact == contact
    assert message.from_email == "mira@customer.example"
    assert "It still smokes." in message.html and "See the photo." in message.html
    assert sorted(a.filename for a in message.attachments.all()) == ["log.txt", "photo.png"]
    ticket.refresh_from_db()
    assert ticket.last_customer_message_at == message.created_at
    page = signed_in.get(reverse("portal:ticket", args=[ticket.pk]) + "?sent=1")
    assert "It still smokes." in page.content.decode()


def test_the_agent_sees_the_portal_reply_in_the_workspace(signed_in, ticket, agent, client):
    signed_in.post(reverse("portal:reply", args=[ticket.pk]), {"text": "Any news?"})
    client.force_login(agent)
    pane = client.get(reverse("tickets:ticket_open", args=[ticket.pk]), follow=True)
    assert "Any news?" in pane.content.decode()


def test_a_reply_on_a_ticket_without_email_opens_an_email_conversation(
    signed_in, pipeline, contact
):
    ticket = TicketFactory(pipeline=pipeline, contacts=[contact])
    signed_in.post(reverse("portal:reply", args=[ticket.pk]), {"text": "Hello"})
    message = Message.objects.get(ticket=ticket)
    assert message.thread.channel == Channel.EMAIL


def test_a_reply_to_a_closed_ticket_follows_the_pipeline(signed_in, ticket, pipeline):
    closed = pipeline.stages.get(is_closed=True)
    ticket_services.ticket_set_stage(actor=None, ticket=ticket, stage=closed, category="question")
    pipeline.closed_reply = Pipeline.ClosedReply.REOPEN
    pipeline.save()
    signed_in.post(reverse("portal:reply", args=[ticket.pk]), {"text": "Back again"})
    ticket.refresh_from_db()
    assert ticket.is_open
    assert Message.objects.filter(ticket=ticket, html__contains="Back again").exists()
    ticket_services.ticket_set_stage(actor=None, ticket=ticket, stage=closed)
    pipeline.closed_reply = Pipeline.ClosedReply.NEW_TICKET
    pipeline.save()
    response = signed_in.post(reverse("portal:reply", args=[ticket.pk]), {"text": "Once more"})
    follow_up = Message.objects.get(html__contains="Once more").ticket
    assert follow_up.pk != ticket.pk and follow_up.source == Source.PORTAL
    assert response["Location"].startswith(reverse("portal:ticket", args=[follow_up.pk]))
    assert ticket in follow_up.linked_tickets.all()


@pytest.mark.parametrize(
    "data, error",
    [
        ({"text": "   "}, "Write your message."),
        ({"text": "x" * 20_001}, "under 20000 characters"),
        (
            {"text": "ok", "files": [SimpleUploadedFile(f"{n}.txt", b"x") for n in range(11)]},
            "at most 10 files",
        ),
    ],
)
def test_a_bad_reply_is_told_and_keeps_the_text(signed_in, ticket, data, error):
    before = Message.objects.count()
    response = signed_in.post(reverse("portal:reply", args=[ticket.pk]), data)
    body = response.content.decode()
    assert response.status_code == 400 and error in body
    if data["text"].strip() and len(data["text"]) < 100:
        assert ">ok</textarea>" in body
    assert Message.objects.count() == before


def test_files_over_the_limit_are_refused(signed_in, ticket, settings):
    settings.HELPDESK_ATTACHMENT_MAX_BYTES = 10
    response = signed_in.post(
        reverse("portal:reply", args=[ticket.pk]),
        {"text": "big", "files": [SimpleUploadedFile("big.bin", b"x" * 11)]},
    )
    assert response.status_code == 400 and "Files can add up to" in response.content.decode()


def test_a_new_request_lands_where_the_portal_settings_say(signed_in, contact, pipeline, team_a):
    contact.company = CompanyFactory()
    contact.save()
    stage = pipeline.stages.get(name="Waiting on contact")
    PortalSettings.objects.create(pipeline=pipeline, stage=stage, team=team_a)
    response = signed_in.post(
        reverse("portal:new"),
        {
            "subject": "Invoice missing",
            "text": "Please resend.",
            "files": [SimpleUploadedFile("a.png", PNG)],
        },
    )
    message = Message.objects.get(html__contains="Please resend.")
    ticket = message.ticket
    assert response["Location"].startswith(reverse("portal:ticket", args=[ticket.pk]))
    assert (ticket.name, ticket.stage, ticket.team, ticket.source) == (
        "Invoice missing",
        stage,
        team_a,
        Source.PORTAL,
    )
    assert list(ticket.contacts.all()) == [contact]
    assert list(ticket.companies.all()) == [contact.company]
    assert message.joined_by == Message.JoinedBy.NEW
    assert message.attachments.count() == 1
    assert Thread.objects.get(ticket=ticket).channel == Channel.EMAIL


def test_a_new_request_without_settings_goes_to_the_first_pipeline(signed_in, pipeline):
    signed_in.post(reverse("portal:new"), {"subject": "Hi", "text": "Help"})
    ticket = Message.objects.get(html__contains="Help").ticket
    assert ticket.pipeline == pipeline and ticket.stage == pipeline.first_open_stage()


def test_a_new_request_needs_a_subject_and_a_message(signed_in):
    response = signed_in.post(reverse("portal:new"), {"subject": "", "text": "Kept text"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Give your request a subject." in body and "Kept text" in body
    both = signed_in.post(
        reverse("portal:new"),
        {
            "subject": "",
            "text": "",
            "files": [SimpleUploadedFile(f"{n}.txt", b"x") for n in range(11)],
        },
    ).content.decode()
    assert "Give your request a subject." in both and "Write your message." in both
    assert "at most 10 files" in both
    assert not Message.objects.exists()


def test_closing_a_solved_request(signed_in, ticket, pipeline):
    closed = pipeline.stages.get(is_closed=True)
    closed.required_properties = []
    closed.save()
    response = signed_in.post(reverse("portal:close", args=[ticket.pk]))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.stage == closed and not ticket.is_open


def test_a_request_whose_closed_status_needs_a_field_cannot_be_closed_here(signed_in, ticket):
    response = signed_in.post(reverse("portal:close", args=[ticket.pk]))
    assert response.status_code == 400
    assert "cannot be closed here" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.is_open


def test_the_pages_run_a_fixed_number_of_queries(
    signed_in, contact, pipeline, agent, django_assert_max_num_queries
):
    for _n in range(8):
        ticket = TicketFactory(pipeline=pipeline, contacts=[contact])
        conversation(ticket, contact, agent=agent)
    with django_assert_max_num_queries(8):
        assert signed_in.get(reverse("portal:home")).status_code == 200
    with django_assert_max_num_queries(8):
        assert signed_in.get(reverse("portal:ticket", args=[ticket.pk])).status_code == 200


def test_message_bodies_are_shown_cleaned(signed_in, ticket, contact):
    Message.objects.filter(ticket=ticket, direction=Message.Direction.INBOUND).update(
        html='<p>Hi</p><script>alert(1)</script><img src="x" onerror="alert(2)">'
    )
    Message.objects.filter(ticket=ticket, direction=Message.Direction.OUTBOUND).update(
        html='<p onclick="alert(3)">Answer</p><iframe src="https://evil.example"></iframe>',
        sanitizer_version=0,
    )
    body = signed_in.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert "<p>Hi</p>" in body and "Answer" in body
    assert "<script>alert" not in body and "onerror" not in body
    assert "onclick" not in body and "<iframe" not in body


def test_the_timeline_says_the_customer_closed_it_in_the_portal(
    signed_in, ticket, pipeline, contact, agent
):
    from django.test import Client

    closed = pipeline.stages.get(is_closed=True)
    closed.required_properties = []
    closed.save()
    signed_in.post(reverse("portal:close", args=[ticket.pk]))
    event = ticket.events.get(field="stage")
    assert (event.actor, event.via, event.via_name) == (None, "portal", contact.display_name)
    workspace = Client()
    workspace.force_login(agent)
    html = workspace.get(reverse("tickets:ticket_open", args=[ticket.pk]), follow=True)
    text = html.content.decode()
    assert f"<strong>{contact.display_name}</strong>" in text
    assert "in the customer portal" in text

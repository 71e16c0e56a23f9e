"""Messages and files are reached through their ticket's visibility, in one
query, and what is out of sight answers exactly like what does not exist."""

import pytest
from django.core.files.base import ContentFile
from django.http import Http404
from django.urls import reverse

from conversations.access import get_attachment_for_user, get_message_for_user
from conversations.models import Attachment
from tests.factories import TicketFactory, inbound_message


@pytest.fixture
def filed(team_a, pipeline):
    ticket = TicketFactory(pipeline=pipeline, team=team_a)
    message = inbound_message(ticket, text="The invoice is attached.")
    attachment = Attachment.objects.create(
        ticket=ticket,
        message=message,
        file=ContentFile(b"%PDF-1.4", name="invoice.pdf"),
        filename="invoice.pdf",
        content_type="application/pdf",
        size=8,
    )
    return message, attachment


def test_a_teammate_gets_the_message_and_its_ticket_in_one_query(
    team_agent, filed, django_assert_num_queries
):
    message, _attachment = filed
    assert team_agent.team_ids  # read once per request, whatever the request does
    with django_assert_num_queries(1):
        found = get_message_for_user(team_agent, message.pk, related=("thread",))
        assert (found, found.ticket.pipeline.name, found.thread.pk) == (
            message,
            message.ticket.pipeline.name,
            message.thread_id,
        )


def test_a_teammate_gets_the_file_in_one_query(team_agent, filed, django_assert_num_queries):
    _message, attachment = filed
    assert team_agent.team_ids
    with django_assert_num_queries(1):
        assert get_attachment_for_user(team_agent, attachment.pk) == attachment


def test_out_of_sight_is_missing(outsider, filed):
    message, attachment = filed
    for pk in (message.pk, 999_999, "abc", None):
        with pytest.raises(Http404):
            get_message_for_user(outsider, pk)
    for pk in (attachment.pk, 999_999, "abc", None):
        with pytest.raises(Http404):
            get_attachment_for_user(outsider, pk)


def test_a_pending_upload_is_only_its_uploaders(agent, team_agent, team_a, pipeline):
    ticket = TicketFactory(pipeline=pipeline, team=team_a)
    upload = Attachment.objects.create(
        ticket=ticket,
        file=ContentFile(b"draft", name="draft.txt"),
        filename="draft.txt",
        content_type="text/plain",
        size=5,
        uploaded_by=agent,
    )
    assert get_attachment_for_user(agent, upload.pk) == upload
    with pytest.raises(Http404):
        get_attachment_for_user(team_agent, upload.pk)


def test_the_views_answer_an_outsider_as_for_a_missing_id(client, outsider, filed):
    message, attachment = filed
    client.force_login(outsider)
    urls = [
        (reverse("conversations:attachment_download", args=[pk]),) for pk in (attachment.pk, 9**9)
    ] + [(reverse("conversations:message_frame", args=[pk]),) for pk in (message.pk, 9**9)]
    answers = [client.get(url) for (url,) in urls]
    assert [a.status_code for a in answers] == [404] * 4
    assert answers[0].content == answers[1].content
    assert answers[2].content == answers[3].content

"""An agent corrects threading: a customer's message moves to a new ticket or
to another one, with its files, and both tickets say so (ARCHITECTURE rule 3)."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from conversations import services
from conversations.models import Attachment, Channel, Message, Thread
from conversations.services import InboundFile, help_desk_inbox
from tests.factories import ContactFactory, TicketFactory, inbound_message
from tickets.models import Ticket


@pytest.fixture
def mixed(pipeline, team_a):
    """A ticket on which a second customer's unrelated mail landed, with a file."""
    ticket = TicketFactory(pipeline=pipeline, team=team_a, name="Printer jam")
    first = inbound_message(ticket, text="The printer jams.")
    bo = ContactFactory(first_name="Bo", email="bo@other.example")
    # Five minutes later, stored as ingestion stores it (which keeps the list's
    # last activity current).
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5), tick=False):
        stray = services.message_receive(
            ticket=ticket,
            thread=first.thread,
            channel=Channel.EMAIL,
            contact=bo,
            from_name=bo.display_name,
            from_email=bo.email,
            to=["support0@helpdesk.example"],
            cc=[],
            subject="Where is my invoice",
            html="",
            text="Invoice?",
            message_id="<invoice@other.example>",
            files=[
                InboundFile(
                    filename="invoice.pdf", content_type="application/pdf", data=b"%PDF-1.4"
                )
            ],
        )
    return ticket, first, stray


def test_a_message_moves_to_a_new_ticket_with_its_files_and_both_tickets_say_so(agent, mixed):
    ticket, first, stray = mixed
    new = services.message_move(actor=agent, message=stray)
    stray.refresh_from_db()
    assert (stray.ticket, stray.thread.ticket) == (new, new)
    assert (stray.joined_by, stray.joined_ticket_id) == (Message.JoinedBy.MOVED, ticket.pk)
    assert stray.get_joined_by_display() == "Moved here by an agent"
    assert Attachment.objects.get().ticket == new
    assert (new.name, new.pipeline, new.team) == (
        "Where is my invoice",
        ticket.pipeline,
        ticket.team,
    )
    assert list(new.contacts.values_list("email", flat=True)) == ["bo@other.example"]
    assert list(new.linked_tickets.all()) == [ticket]
    for t in (ticket, new):
        assert t.events.filter(
            kind="message_moved", actor=agent, old_value=f"#{ticket.pk}", new_value=f"#{new.pk}"
        ).exists()
    # The list columns follow: each ticket's latest message is what it shows.
    ticket.refresh_from_db()
    new.refresh_from_db()
    assert (ticket.preview, ticket.last_activity_at) == ("The printer jams.", first.created_at)
    assert (new.preview, new.last_activity_at) == ("Invoice?", stray.created_at)
    assert list(ticket.messages.all()) == [first]


def test_a_message_moves_to_an_existing_ticket(agent, mixed, pipeline, team_a):
    ticket, _first, stray = mixed
    other = TicketFactory(pipeline=pipeline, team=team_a)
    inbound_message(other, text="Earlier mail about the invoice")
    assert services.message_move(actor=agent, message=stray, to_ticket=other) == other
    assert other.messages.count() == 2 and ticket.messages.count() == 1
    assert other.contacts.filter(email="bo@other.example").exists()
    assert Ticket.objects.count() == 2


def test_moves_that_make_no_sense_are_refused_with_the_reason(agent, mixed, pipeline):
    ticket, first, stray = mixed
    comment = services.comment_add(actor=agent, ticket=ticket, html="<p>note</p>")
    cases = [
        (comment, None, "Only a customer's message"),
        (stray, ticket, "already on this ticket"),
    ]
    gone = TicketFactory(pipeline=pipeline)
    Ticket.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    cases.append((stray, gone, "deleted"))
    lonely = TicketFactory(pipeline=pipeline)
    cases.append((inbound_message(lonely), None, "only message"))
    chat_ticket = TicketFactory(pipeline=pipeline)
    chat = Thread.objects.create(
        ticket=chat_ticket, inbox=help_desk_inbox(), channel=Channel.CHAT, visitor_key="w:v"
    )
    chat_message = Message.objects.create(
        thread=chat, ticket=chat_ticket, direction="inbound", text="hi"
    )
    cases.append((chat_message, None, "Chat and Messenger"))
    for message, target, reason in cases:
        with pytest.raises(ValidationError, match=reason):
            services.message_move(actor=agent, message=message, to_ticket=target)
    assert Ticket.objects.count() == 4
    assert set(ticket.messages.values_list("pk", flat=True)) == {first.pk, stray.pk, comment.pk}


def test_the_move_menu_moves_or_re_renders_with_the_reason(
    client, team_agent, outsider, mixed, htmx
):
    ticket, _first, stray = mixed
    client.force_login(team_agent)
    url = reverse("conversations:message_move", args=[stray.pk])
    missing = client.post(url, {"to": "999999", "view": "all"}, headers=htmx())
    assert missing.status_code == 200 and missing["HX-Retarget"] == f"#message-{stray.pk}"
    assert "There is no ticket #999999 that you can open." in missing.content.decode()
    # A ticket the agent cannot see answers exactly like one that does not exist.
    hidden = TicketFactory(pipeline=ticket.pipeline, team=outsider.main_team)
    unseen = client.post(url, {"to": str(hidden.pk)}, headers=htmx())
    assert f"There is no ticket #{hidden.pk} that you can open." in unseen.content.decode()
    assert hidden.messages.count() == 0
    moved = client.post(url, {"view": "all"}, headers=htmx())
    assert moved["HX-Retarget"] == "#detail-pane"
    assert "Message moved. The two tickets are linked." in moved.content.decode()
    stray.refresh_from_db()
    assert stray.ticket != ticket
    shown = client.get(reverse("tickets:ticket_open", args=[stray.ticket_id]), follow=True)
    assert f"Moved here by an agent (#{ticket.pk})" in shown.content.decode()


def test_an_agent_who_cannot_see_the_ticket_cannot_move_its_messages(client, outsider, mixed):
    _ticket, _first, stray = mixed
    client.force_login(outsider)
    response = client.post(reverse("conversations:message_move", args=[stray.pk]))
    assert response.status_code == 404
    assert Ticket.objects.count() == 1

"""BCC recipients show on the sent message in the thread, to agents only
(issue 19): the contact's copy never carries them."""

from conversations.models import Message
from tests.factories import TicketFactory, inbound_message


def test_a_sent_message_shows_its_bcc_to_agents(client, agent, pipeline):
    ticket = TicketFactory(pipeline=pipeline, owner=agent)
    first = inbound_message(ticket)
    Message.objects.create(
        thread=first.thread,
        ticket=ticket,
        direction=Message.Direction.OUTBOUND,
        author=agent,
        from_email="support0@helpdesk.example",
        to=[first.from_email],
        cc=["manager@customer.example"],
        bcc=["audit@customer.example"],
        subject=ticket.name,
        text="Done.",
        html="<p>Done.</p>",
    )
    client.force_login(agent)
    page = client.get(f"/views/all/tickets/{ticket.pk}/").content.decode()
    assert "CC: manager@customer.example · BCC: audit@customer.example" in page

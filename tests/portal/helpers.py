"""Shared set-up of the portal tests: conversations as the channels store
them, and signing a test client in the way a customer does."""

from django.urls import reverse

from conversations.attachments import store_file
from conversations.models import Channel, Message, Thread
from conversations.services import InboundFile, help_desk_inbox
from portal.links import link_token
from portal.models import SignInLink

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def sign_in(client, contact):
    link = SignInLink.objects.create(contact=contact, email=contact.email)
    response = client.post(reverse("portal:link", args=[link_token(link)]))
    assert response.status_code == 302, response.status_code
    return response


def conversation(ticket, contact, *, agent=None):
    """A customer email, an agent's reply and an internal comment on
    `ticket`, each with a file; returns the three messages."""
    thread = Thread.objects.create(ticket=ticket, inbox=help_desk_inbox(), channel=Channel.EMAIL)
    common = {"thread": thread, "ticket": ticket}
    inbound = Message.objects.create(
        **common,
        direction=Message.Direction.INBOUND,
        contact=contact,
        from_email=contact.email,
        html=f"<p>Customer words {ticket.pk}</p>",
    )
    reply = Message.objects.create(
        **common,
        direction=Message.Direction.OUTBOUND,
        author=agent,
        html=f"<p>Agent answer {ticket.pk}</p>",
    )
    comment = Message.objects.create(
        **common,
        kind=Message.Kind.COMMENT,
        direction=Message.Direction.OUTBOUND,
        author=agent,
        html=f"<p>Secret internal note {ticket.pk}</p>",
    )
    for message, name in ((inbound, "customer.png"), (reply, "answer.png"), (comment, "note.png")):
        store_file(ticket=ticket, message=message, file=InboundFile(name, "", PNG))
    return inbound, reply, comment

"""The Spam view's way in and out (S26): blocked senders' mail lands there,
and agents mark tickets as spam (blocking the sender if they want) or not."""

import pytest
from django.urls import reverse

from channels_inbound.ingest import inbound_process
from channels_inbound.models import BlockedSender
from channels_inbound.spam import ticket_spam
from channels_inbound.store import inbound_store
from conversations import services
from tests.channels_inbound.mail import mail
from tests.factories import EmailAddressFactory, EmailChannelFactory
from tickets.models import Ticket


@pytest.fixture
def channel(db, pipeline, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    address = EmailAddressFactory(email="support@helpdesk.example")
    return EmailChannelFactory(address=address, pipeline=pipeline)


def deliver(raw):
    item, _new = inbound_store(source="pipe", payload=raw)
    inbound_process(item.pk)
    item.refresh_from_db()
    return item


def test_mail_from_a_blocked_address_or_domain_lands_in_spam_and_joins_nothing(
    channel, agent, django_capture_on_commit_callbacks
):
    first = deliver(mail(sender="eve@evil.example", subject="Hello"))
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_send(
            actor=agent, ticket=first.ticket, html="<p>Hi</p>", to=["eve@evil.example"]
        )
    BlockedSender.objects.create(pattern="@EVIL.example")  # stored as "evil.example"
    again = deliver(
        mail(sender="eve@evil.example", subject="Re: Hello", in_reply_to=reply.message_id)
    )
    assert again.ticket != first.ticket and again.ticket.is_spam
    assert first.ticket.messages.count() == 2
    BlockedSender.objects.all().delete()
    BlockedSender.objects.create(pattern="mallory@other.example")
    assert deliver(mail(sender="Mallory@other.example")).ticket.is_spam
    assert not deliver(mail(sender="bob@other.example")).ticket.is_spam


def test_an_agent_marks_spam_blocks_the_sender_and_undoes_it(channel, agent):
    ticket = deliver(mail(sender="Spammer <spam@junk.example>")).ticket
    ticket_spam(actor=agent, ticket=ticket, spam=True, block=True)
    ticket.refresh_from_db()
    assert ticket.is_spam and ticket.events.filter(field="spam", actor=agent).exists()
    assert BlockedSender.objects.get().pattern == "spam@junk.example"
    assert deliver(mail(sender="spam@junk.example", subject="More")).ticket.is_spam
    ticket_spam(actor=agent, ticket=ticket, spam=False)
    ticket.refresh_from_db()
    assert not ticket.is_spam and not BlockedSender.objects.exists()


def test_the_spam_menu_and_banner(client, channel, team_agent, outsider, htmx):
    item = deliver(mail(sender="spam@junk.example"))
    ticket = item.ticket
    Ticket.objects.filter(pk=ticket.pk).update(team=team_agent.main_team)
    url = reverse("channels_inbound:ticket_spam", args=[ticket.pk])
    client.force_login(outsider)
    assert client.post(url, {"spam": "1"}).status_code == 404
    client.force_login(team_agent)
    page = client.get(f"/tickets/{ticket.pk}/", follow=True).content.decode()
    assert "Mark as spam" in page and "This ticket is in Spam" not in page
    marked = client.post(url, {"spam": "1", "block": "1", "view": "all"}, headers=htmx())
    assert "Moved to Spam" in marked.content.decode()
    assert "This ticket is in Spam" in marked.content.decode()
    assert "moved the ticket to Spam" in marked.content.decode()  # on the timeline
    assert BlockedSender.objects.filter(pattern="spam@junk.example").exists()
    back = client.post(url, {"spam": "0", "view": "spam"}, headers=htmx())
    assert "Moved out of Spam" in back.content.decode()
    ticket.refresh_from_db()
    assert not ticket.is_spam and not BlockedSender.objects.exists()

"""VERP: each reply goes out with its own return path, so a delivery report
that quotes nothing of the reply still finds it (issue 15, RELIABILITY 25)."""

import pytest
from django.core import mail as outbox

from channels_inbound.ingest import inbound_process
from channels_inbound.models import InboundItem
from channels_inbound.store import inbound_store
from conversations import services
from crm.models import Contact
from tests.channels_inbound.mail import mail
from tests.factories import EmailAddressFactory, EmailChannelFactory
from tickets.models import Ticket


@pytest.fixture
def reply(db, pipeline, agent, django_capture_on_commit_callbacks):
    address = EmailAddressFactory(email="support@helpdesk.example", display_name="Support")
    EmailChannelFactory(address=address, pipeline=pipeline)
    item, _created = inbound_store(
        source=InboundItem.Source.PIPE, payload=mail(sender="Ana <ana@acme.example>")
    )
    inbound_process(item.pk)
    item.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        return services.reply_send(
            actor=agent, ticket=item.ticket, html="<p>On it</p>", to=["ana@acme.example"]
        )


def deliver(raw: bytes) -> InboundItem:
    item, _created = inbound_store(source=InboundItem.Source.PIPE, payload=raw)
    inbound_process(item.pk)
    item.refresh_from_db()
    return item


def return_path() -> str:
    [sent] = outbox.outbox
    return sent.from_email


def report(to: str, **headers) -> bytes:
    lines = [
        "From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>",
        f"To: {to}",
        "Subject: Mail delivery failed: returning message to sender",
        *[f"{k}: {v}" for k, v in headers.items()],
    ]
    body = "This message was created automatically by mail delivery software.\n\n"
    body += "A message that you sent could not be delivered: mailbox unavailable."
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + body.encode()


def test_a_reply_goes_out_with_its_own_return_path_and_the_same_from(reply):
    [sent] = outbox.outbox
    assert sent.from_email.startswith(f"support+b-{reply.pk}-")
    assert sent.from_email.endswith("@helpdesk.example")
    assert sent.message()["From"] == "Support <support@helpdesk.example>"


def test_a_report_that_quotes_nothing_finds_its_reply_by_the_return_path(reply):
    item = deliver(report(return_path()))
    assert item.status == "ignored" and item.ticket == reply.ticket, item.disposition
    reply.outbound.refresh_from_db()
    assert (reply.outbound.status, reply.outbound.last_error) == ("failed", "Bounced")
    assert Contact.objects.get(email="ana@acme.example").email_bounced_at is not None
    assert Ticket.objects.count() == 1


def test_a_forged_return_path_or_an_out_of_office_reply_is_no_bounce(reply):
    forged = return_path().replace(return_path().split("-")[-1].split("@")[0], "0" * 16)
    deliver(report(forged))
    away = mail(
        sender="ana@acme.example",
        to=return_path(),
        subject="Out of office",
        headers={"Auto-Submitted": "auto-replied"},
    )
    deliver(away)
    reply.outbound.refresh_from_db()
    assert reply.outbound.status == "sent"
    assert Contact.objects.get(email="ana@acme.example").email_bounced_at is None


def test_an_esp_that_cannot_set_a_return_path_still_sends_the_reply(
    db, pipeline, agent, settings, django_capture_on_commit_callbacks
):
    from tests.conversations.failing_backend import NoReturnPathBackend

    settings.EMAIL_BACKEND = "tests.conversations.failing_backend.NoReturnPathBackend"
    NoReturnPathBackend.sent = []
    address = EmailAddressFactory(email="support@helpdesk.example", display_name="Support")
    EmailChannelFactory(address=address, pipeline=pipeline)
    item = deliver(mail(sender="Ana <ana@acme.example>"))
    with django_capture_on_commit_callbacks(execute=True):
        message = services.reply_send(
            actor=agent, ticket=item.ticket, html="<p>On it</p>", to=["ana@acme.example"]
        )
    message.outbound.refresh_from_db()
    assert message.outbound.status == "sent"
    assert [m.from_email for m in NoReturnPathBackend.sent] == [
        "Support <support@helpdesk.example>"
    ]

"""From the inbound log to tickets and messages: threading, loops, duplicates,
failures (issue 4; RELIABILITY A, B, D, E)."""

import collections
import datetime

import pytest
from django.core import mail as outbox_mail
from django.utils import timezone

from channels_inbound.ingest import inbound_process
from channels_inbound.models import InboundItem
from channels_inbound.store import inbound_payload, inbound_store
from conversations import services
from conversations.models import Message
from crm.models import Company, Contact
from tests.channels_inbound.mail import mail
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    EmailAddressFactory,
    EmailChannelFactory,
    TeamFactory,
)
from tickets.models import Pipeline, Ticket


@pytest.fixture
def channel(db, pipeline, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    address = EmailAddressFactory(email="support@helpdesk.example", display_name="Support")
    return EmailChannelFactory(address=address, pipeline=pipeline, team=TeamFactory(name="Desk"))


def deliver(raw: bytes, source=InboundItem.Source.PIPE) -> InboundItem:
    item, _created = inbound_store(source=source, payload=raw)
    inbound_process(item.pk)
    item.refresh_from_db()
    return item


def test_a_new_email_becomes_a_ticket_with_its_contact_and_company(channel):
    item = deliver(mail(sender="Ana Virtanen <ana@acme.example>", subject="Printer on fire"))
    assert item.status == "done", item.disposition
    ticket = item.ticket
    assert (ticket.name, ticket.source, ticket.pipeline, ticket.stage) == (
        "Printer on fire",
        "email",
        channel.pipeline,
        channel.stage,
    )
    assert ticket.team == channel.team
    contact = ticket.contacts.get()
    assert (contact.first_name, contact.last_name, contact.email) == (
        "Ana",
        "Virtanen",
        "ana@acme.example",
    )
    assert ticket.companies.get().domain == "acme.example"
    message = item.message
    assert (message.direction, message.text, message.contact) == (
        "inbound",
        "Hello, the printer is on fire.",
        contact,
    )
    assert item.channel == channel and "new ticket" in item.disposition
    assert message.get_joined_by_display() == "Started this ticket"


def test_mail_from_a_mailbox_provider_makes_no_company_and_reuses_the_contact(channel):
    deliver(mail(sender="Bo <bo@gmail.com>", subject="One"))
    deliver(mail(sender="Bo <BO@gmail.com>", subject="Two"))
    assert Contact.objects.filter(email__iexact="bo@gmail.com").count() == 1
    assert not Company.objects.exists()


def test_a_sender_is_their_first_contact_and_a_new_one_joins_the_first_company(channel):
    """Found with the duplicate check (mail._before_storing): in any case, the
    first-created of several."""
    first, _later = CompanyFactory(domain="ACME.example"), CompanyFactory(domain="acme.example")
    item = deliver(mail(sender="Ana <ana@Acme.Example>", subject="One"))
    contact = item.ticket.contacts.get()
    assert contact.company == first and item.ticket.companies.get() == first
    oldest = contact
    ContactFactory(email="ANA@acme.example")  # a later duplicate
    again = deliver(mail(sender="Ana <ana@acme.example>", subject="Two"))
    assert again.ticket.contacts.get() == oldest


def test_a_mailbox_providers_sender_joins_no_company_even_one_without_a_domain(channel):
    CompanyFactory(domain="")
    CompanyFactory(domain="gmail.com")
    item = deliver(mail(sender="Bo <bo@gmail.com>", subject="One"))
    assert item.ticket.contacts.get().company is None and not item.ticket.companies.exists()


@pytest.fixture
def conversation(channel, agent, django_capture_on_commit_callbacks):
    """A customer's ticket with our reply to it."""
    first = deliver(mail(sender="Ana <ana@acme.example>", subject="Refund"))
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_send(
            actor=agent, ticket=first.ticket, html="<p>On it</p>", to=["ana@acme.example"]
        )
    return {"ticket": first.ticket, "reply": reply, "agent": agent}


def test_a_reply_joins_its_ticket_by_our_message_id(conversation):
    reply = conversation["reply"]
    item = deliver(
        mail(
            sender="Ana <ana@acme.example>",
            subject="Re: Refund",
            text="Thanks!\n\nOn Mon, Support wrote:\n> On it",
            in_reply_to=reply.message_id,
            references=reply.message_id,
        )
    )
    assert item.ticket == conversation["ticket"]
    assert item.disposition.startswith(f"In-Reply-To matched message {reply.pk}")
    assert item.message.text == "Thanks!" and "On it" in item.message.quoted_html
    assert item.message.joined_by == Message.JoinedBy.IN_REPLY_TO
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("unknown", [3, 30])
def test_a_reply_joins_by_a_message_id_deep_in_its_references(conversation, unknown):
    """Long mail chains carry dozens of References; ours may be the oldest."""
    reply = conversation["reply"]
    strangers = [f"<elsewhere-{n}@other.example>" for n in range(unknown)]
    item = deliver(
        mail(
            sender="Ana <ana@acme.example>",
            subject="Re: Refund",
            in_reply_to=strangers[-1],
            references=" ".join([reply.message_id, *strangers]),
        )
    )
    assert item.ticket == conversation["ticket"]
    assert item.disposition.startswith(f"References matched message {reply.pk}")
    assert item.message.joined_by == Message.JoinedBy.REFERENCES


def test_a_reply_without_headers_joins_by_the_reply_address_token(conversation):
    token = conversation["reply"].thread.reply_token
    item = deliver(
        mail(sender="ana@acme.example", to=f"support+{token}@helpdesk.example", subject="Hi")
    )
    assert item.ticket == conversation["ticket"] and "reply address token" in item.disposition
    assert item.message.joined_by == Message.JoinedBy.REPLY_TOKEN


def test_a_ticket_number_in_the_subject_joins_only_for_participants(conversation):
    number = conversation["ticket"].pk
    joined = deliver(mail(sender="ana@acme.example", subject=f"More about [#{number}]"))
    assert joined.ticket == conversation["ticket"]
    assert joined.message.joined_by == Message.JoinedBy.SUBJECT_NUMBER
    stranger = deliver(mail(sender="eve@evil.example", subject=f"About [#{number}]"))
    assert stranger.ticket != conversation["ticket"]
    assert "sender takes no part" in stranger.disposition
    assert (stranger.message.joined_by, stranger.message.joined_ticket_id) == (
        Message.JoinedBy.NOT_PARTICIPANT,
        number,
    )


def test_a_stranger_with_valid_references_gets_a_ticket_of_their_own(conversation):
    """RELIABILITY 30: no append, no participant added, nothing of the ticket
    sent back to the stranger."""
    reply = conversation["reply"]
    item = deliver(
        mail(
            sender="Eve <eve@evil.example>",
            subject="Re: Refund",
            in_reply_to=reply.message_id,
            references=reply.message_id,
        )
    )
    ticket = conversation["ticket"]
    assert item.ticket != ticket
    assert not ticket.contacts.filter(email="eve@evil.example").exists()
    assert ticket.messages.count() == 2
    assert all("eve@evil.example" not in m.to for m in outbox_mail.outbox)


def test_subject_text_alone_never_joins(conversation):
    item = deliver(mail(sender="ana@acme.example", subject="Re: Refund"))
    assert item.ticket != conversation["ticket"]


def test_the_customer_reply_status_applies_and_an_automatic_reply_changes_nothing(
    conversation, pipeline
):
    ticket = conversation["ticket"]
    from tests.factories import StageFactory

    waiting = pipeline.stages.get(name="Waiting on contact")
    answered = StageFactory(pipeline=pipeline, name="Customer answered", position=3)
    Pipeline.objects.filter(pk=pipeline.pk).update(stage_on_customer_reply=answered)
    Ticket.objects.filter(pk=ticket.pk).update(stage=waiting)
    reply_id = conversation["reply"].message_id
    out_of_office = deliver(
        mail(
            sender="ana@acme.example",
            in_reply_to=reply_id,
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert out_of_office.ticket == ticket and "status unchanged" in out_of_office.disposition
    ticket.refresh_from_db()
    assert ticket.stage == waiting
    deliver(mail(sender="ana@acme.example", in_reply_to=reply_id, text="A real answer"))
    ticket.refresh_from_db()
    assert ticket.stage == answered


@pytest.mark.parametrize(
    ("policy", "closed_days_ago", "reopened"),
    [
        (Pipeline.ClosedReply.REOPEN, 400, True),
        (Pipeline.ClosedReply.NEW_TICKET, 0, False),
        (Pipeline.ClosedReply.REOPEN_WITHIN, 3, True),
        (Pipeline.ClosedReply.REOPEN_WITHIN, 30, False),
    ],
)
def test_replies_to_closed_tickets_follow_the_pipeline_policy(
    conversation, pipeline, policy, closed_days_ago, reopened
):
    ticket = conversation["ticket"]
    closed = pipeline.stages.get(is_closed=True)
    Ticket.objects.filter(pk=ticket.pk).update(
        stage=closed,
        is_open=False,
        closed_at=timezone.now() - datetime.timedelta(days=closed_days_ago),
    )
    Pipeline.objects.filter(pk=pipeline.pk).update(closed_reply=policy, reopen_within_days=14)
    item = deliver(mail(sender="ana@acme.example", in_reply_to=conversation["reply"].message_id))
    ticket.refresh_from_db()
    if reopened:
        assert item.ticket == ticket and ticket.is_open and "reopened" in item.disposition
    else:
        assert item.ticket != ticket and not ticket.is_open
        assert list(item.ticket.linked_tickets.all()) == [ticket]
        assert (item.message.joined_by, item.message.joined_ticket_id) == ("closed", ticket.pk)


def test_automatic_replies_and_our_own_mail_make_no_tickets(channel):
    auto = deliver(mail(headers={"Auto-Submitted": "auto-replied"}))
    assert (auto.status, auto.ticket) == ("ignored", None)
    own = deliver(mail(sender="Support <support@helpdesk.example>"))
    assert own.status == "ignored" and "loop" in own.disposition
    assert not Ticket.objects.exists()


def test_a_bounce_marks_our_reply_undelivered_and_tells_its_author(conversation):
    from conversations.models import Notification

    reply = conversation["reply"]
    dsn = (
        b"From: MAILER-DAEMON@mx.acme.example\r\nTo: support@helpdesk.example\r\nSubject: Undelivered\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        b"--r\r\nContent-Type: text/plain\r\n\r\nUser unknown\r\n"
        b"--r\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: "
        + reply.message_id.encode()
        + b"\r\n--r--\r\n"
    )
    item = deliver(dsn)
    assert item.status == "ignored" and item.ticket == conversation["ticket"]
    reply.outbound.refresh_from_db()
    assert (reply.outbound.status, reply.outbound.last_error) == ("failed", "Bounced")
    assert Notification.objects.filter(user=conversation["agent"], kind="send_failed").exists()
    assert Ticket.objects.count() == 1


def test_cc_only_mail_follows_the_channel_setting(channel):
    cc_only = mail(to="someone@acme.example", cc="support@helpdesk.example")
    assert deliver(cc_only).status == "ignored"
    channel.cc_only = "create"
    channel.save()
    assert (
        deliver(mail(to="someone@acme.example", cc="support@helpdesk.example", subject="x")).status
        == "done"
    )


def test_redelivery_and_a_second_route_store_one_message(channel):
    raw = mail(message_id="<once@acme.example>")
    first = deliver(raw)
    again, created = inbound_store(source=InboundItem.Source.PIPE, payload=raw)
    assert again.pk == first.pk and not created
    relayed = deliver(
        b"Received: from relay.acme.example\r\n" + raw, source=InboundItem.Source.IMAP
    )
    assert relayed.status == "ignored" and f"item {first.pk}" in relayed.disposition
    assert Message.objects.count() == 1


def test_processing_a_row_twice_stores_one_message(channel):
    item, _created = inbound_store(source=InboundItem.Source.PIPE, payload=mail())
    inbound_process(item.pk)
    inbound_process(item.pk)
    assert Message.objects.count() == 1


def test_a_reused_message_id_from_another_sender_is_kept_and_flagged(conversation):
    """RELIABILITY 9: both stored, the legitimate ticket unchanged."""
    original = conversation["ticket"].messages.filter(direction="inbound").get()
    item = deliver(
        mail(sender="mallory@evil.example", message_id=original.message_id, subject="Hijack")
    )
    assert item.status == "done" and item.ticket != conversation["ticket"]
    assert "Message-ID also used by another sender" in item.disposition
    assert conversation["ticket"].messages.count() == 2


def test_unreadable_mail_is_kept_raw_with_its_error_and_can_be_retried(
    channel, super_admin, client
):
    killer = b"From: a@acme.example\r\nSubject: x\r\n" + b"".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
        for i in range(1000)
    )
    item = deliver(killer)
    assert item.status == "failed" and "multipart sections" in item.error
    assert bytes(item.payload) == killer
    client.force_login(super_admin)
    listing = client.get("/admin/channels_inbound/inbounditem/?status__exact=failed")
    assert "multipart sections" in listing.content.decode()
    raw = client.get(f"/admin/channels_inbound/inbounditem/{item.pk}/raw/")
    assert raw.content == killer and raw["Content-Disposition"].startswith("attachment")
    # After a "fix", an admin queues it again: processed once, and audited.
    InboundItem.objects.filter(pk=item.pk).update(payload=mail(subject="Fixed"))
    response = client.post(
        "/admin/channels_inbound/inbounditem/",
        {"action": "process_again", "_selected_action": [item.pk]},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "done" and item.ticket.name == "Fixed"
    from django.contrib.admin.models import LogEntry

    assert (
        LogEntry.objects.filter(object_id=str(item.pk), change_message="Processed again").count()
        == 1
    )


def test_a_storage_failure_leaves_no_half_ticket_and_the_retry_stores_everything(
    channel, monkeypatch
):
    """RELIABILITY 6: the third of five attachments fails to store."""
    from django.core.files.storage import FileSystemStorage

    files = [(f"f{n}.pdf", b"%PDF" + bytes([n]), "application", "pdf", "") for n in range(5)]
    item, _created = inbound_store(source=InboundItem.Source.PIPE, payload=mail(attachments=files))
    calls = {"n": 0}
    real_save = FileSystemStorage._save

    def failing_save(self, name, content):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", failing_save)
    with pytest.raises(OSError):
        inbound_process(item.pk)
    item.refresh_from_db()
    assert (item.status, item.error, item.attempts) == ("pending", "OSError", 1)
    assert not Ticket.objects.exists() and not Message.objects.exists()
    inbound_process(item.pk)
    item.refresh_from_db()
    assert item.status == "done" and item.message.attachments.count() == 5


def test_no_channel_for_the_recipient_fails_with_the_reason(channel):
    item = deliver(mail(to="sales@elsewhere.example"))
    assert item.status == "failed" and "No connected email channel" in item.disposition


def test_a_follow_up_and_its_closed_ticket_show_each_other(conversation, pipeline, client):
    ticket = conversation["ticket"]
    Ticket.objects.filter(pk=ticket.pk).update(
        stage=pipeline.stages.get(is_closed=True), is_open=False, closed_at=timezone.now()
    )
    Pipeline.objects.filter(pk=pipeline.pk).update(closed_reply=Pipeline.ClosedReply.NEW_TICKET)
    follow_up = deliver(
        mail(sender="ana@acme.example", in_reply_to=conversation["reply"].message_id)
    ).ticket
    client.force_login(conversation["agent"])
    page = client.get(f"/tickets/{follow_up.pk}/related/?part=linked").content.decode()
    assert "Linked tickets" in page and f"/tickets/{ticket.pk}/" in page
    timeline = list(ticket.events.filter(kind="linked").values_list("new_value", flat=True))
    assert timeline == [f"#{follow_up.pk}"]


def test_the_corpus_ingests_with_the_books_balanced(channel, settings, tmp_path):
    """RELIABILITY A2: every delivery ends as a ticket, an appended message, a
    failure with its reason, or ignored with its reason; 0 crashes, 0 lost, the
    raw bytes kept for all."""
    from tests.channels_inbound.test_parsing import FIXTURES, SHARED

    settings.MEDIA_ROOT = tmp_path
    corpus = SHARED if SHARED.is_dir() else FIXTURES
    files = [
        p
        for p in sorted(corpus.rglob("*"))
        if p.is_file()
        and p.suffix not in {".md", ".json", ".tsv", ".list"}
        and "LICENSE" not in p.name
        and "reply-parser" not in str(p)
        and "/talon/" not in str(p)
    ]
    for path in files:
        item, _created = inbound_store(
            source=InboundItem.Source.IMAP, payload=path.read_bytes(), channel=channel
        )
        inbound_process(item.pk)
    items = InboundItem.objects.all()
    outcome = {
        status: items.filter(status=status).count()
        for status in ("done", "ignored", "failed", "pending")
    }
    assert outcome["pending"] == 0
    assert sum(outcome.values()) == items.count()
    assert not items.filter(status__in=["ignored", "failed"], disposition="", error="").exists()
    # Every file's bytes are kept (identical files are one delivery).
    assert {inbound_payload(i) for i in items} == {p.read_bytes() for p in files}
    reasons = collections.Counter(
        (i.disposition or i.error)[:60] for i in items if i.status != "done"
    )
    # The corpus also keeps files that are no mail (a TNEF's contents, licences).
    mail_items = items.exclude(error__startswith="This is not a readable email").exclude(
        error="Message is empty."
    )
    assert outcome["done"] >= mail_items.count() * 0.8, (outcome, reasons.most_common(8))
    print(f"\ncorpus: {len(files)} files, {items.count()} deliveries, {outcome}")


def test_the_books_balance_and_a_backlog_raises_an_alert(channel, super_admin, client, caplog):
    """RELIABILITY 5: received = stored + ignored + failed + waiting, shown to
    admins; a row waiting over 5 minutes is logged as an error by the sweep."""
    from channels_inbound import tasks

    deliver(mail(subject="Stored"))
    deliver(mail(headers={"Auto-Submitted": "auto-replied"}))
    waiting, _created = inbound_store(source=InboundItem.Source.PIPE, payload=mail(subject="Later"))
    InboundItem.objects.filter(pk=waiting.pk).update(
        received_at=timezone.now() - datetime.timedelta(minutes=7)
    )
    client.force_login(super_admin)
    page = client.get("/admin/channels_inbound/inbounditem/").content.decode()
    assert "3 received" in page and "Stored: 1" in page and "Ignored: 1" in page
    assert "Waiting: 1" in page and "the oldest has waited 7 minutes" in page
    tasks.sweep_pending_inbound()
    assert "Inbound backlog" in caplog.text


def test_a_reply_to_a_moved_message_follows_it_to_its_new_ticket(conversation):
    """The agent's correction sticks: threading finds the message where it is now."""
    ticket, agent = conversation["ticket"], conversation["agent"]
    stray = deliver(
        mail(
            sender="ana@acme.example",
            subject=f"Another question [#{ticket.pk}]",
            message_id="<another@acme.example>",
        )
    )
    assert stray.ticket == ticket
    new = services.message_move(actor=agent, message=stray.message)
    follow_up = deliver(
        mail(
            sender="ana@acme.example",
            subject="Re: Another question",
            in_reply_to="<another@acme.example>",
        )
    )
    assert follow_up.ticket == new
    assert follow_up.message.joined_by == Message.JoinedBy.IN_REPLY_TO


def test_a_delivery_report_marks_the_failed_address_until_mail_comes_from_it(conversation, client):
    """RELIABILITY 25: the report names the failed recipient (RFC 3464); the
    contact shows it until the address writes to us again."""
    reply = conversation["reply"]
    dsn = (
        b"From: MAILER-DAEMON@mx.acme.example\r\nTo: support@helpdesk.example\r\n"
        b"Subject: Delivery Status Notification (Failure)\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        b"--r\r\nContent-Type: text/plain\r\n\r\nThe mailbox is full.\r\n"
        b"--r\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.acme.example\r\n\r\n"
        b"Final-Recipient: rfc822; other@acme.example\r\nAction: delayed\r\nStatus: 4.2.2\r\n\r\n"
        b"Final-Recipient: rfc822; ANA@acme.example\r\nAction: failed\r\nStatus: 5.2.2\r\n"
        b"\r\n--r\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: "
        + reply.message_id.encode()
        + b"\r\n--r--\r\n"
    )
    item = deliver(dsn)
    assert "1 contact address(es) marked" in item.disposition
    ana = Contact.objects.get(email="ana@acme.example")
    assert ana.email_bounced_at is not None
    client.force_login(conversation["agent"])
    page = client.get(f"/tickets/{conversation['ticket'].pk}/", follow=True).content.decode()
    assert "Email to this address bounced" in page
    deliver(mail(sender="ana@acme.example", subject="I cleaned up my mailbox"))
    ana.refresh_from_db()
    assert ana.email_bounced_at is None


def test_a_spoofed_customer_reply_failing_dmarc_joins_nothing_and_shows_unverified(
    conversation, settings, client
):
    """RELIABILITY 31: only the topmost Authentication-Results of a server we
    trust counts; a failed DMARC check keeps the mail out of the customer's
    ticket and marks it."""
    settings.HELPDESK_TRUSTED_AUTHSERV_IDS = ["mx.helpdesk.example"]
    ticket, reply = conversation["ticket"], conversation["reply"]
    spoof = deliver(
        mail(
            sender="Ana <ana@acme.example>",
            subject="Re: Refund",
            text="Please send the refund to IBAN XX00 instead.",
            in_reply_to=reply.message_id,
            headers={
                "Authentication-Results": "mx.helpdesk.example; spf=fail; dmarc=fail "
                "(p=NONE) header.from=acme.example"
            },
        )
    )
    assert spoof.ticket != ticket and ticket.messages.count() == 2
    assert spoof.message.dmarc == "fail" and "DMARC failed" in spoof.disposition
    client.force_login(conversation["agent"])
    page = client.get(f"/tickets/{spoof.ticket_id}/", follow=True).content.decode()
    assert "Unverified sender" in page


def test_authentication_results_below_the_trusted_one_or_from_others_are_ignored(
    conversation, settings
):
    settings.HELPDESK_TRUSTED_AUTHSERV_IDS = ["mx.helpdesk.example"]
    reply = conversation["reply"]
    raw = mail(sender="ana@acme.example", subject="Re: Refund", in_reply_to=reply.message_id)
    # What a sender can write: headers under ours, or from a server we do not trust.
    forged = (
        b"Authentication-Results: mx.helpdesk.example; dmarc=pass header.from=acme.example\r\n"
        b"Authentication-Results: mx.helpdesk.example; dmarc=fail header.from=acme.example\r\n"
        b"Authentication-Results: evil.example; dmarc=fail\r\n" + raw
    )
    item = deliver(forged)
    assert item.ticket == conversation["ticket"] and item.message.dmarc == "pass"
    untrusted = deliver(
        b"Authentication-Results: evil.example; dmarc=fail\r\n"
        + mail(sender="ana@acme.example", subject="Again", in_reply_to=reply.message_id)
    )
    assert untrusted.ticket == conversation["ticket"] and untrusted.message.dmarc == ""

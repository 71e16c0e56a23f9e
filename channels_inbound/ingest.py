"""From a stored inbound item to a ticket or a message (ARCHITECTURE rules 2, 3).

`inbound_store` runs inside the request (or the IMAP poll, or the MTA pipe) and
only writes the raw bytes: nothing can be lost to a parser bug. A worker runs
`inbound_process`, which parses, decides and writes in one transaction, so a
crash or a retry never leaves half a ticket behind, and running it twice for
the same row stores one message.
"""

import datetime
import hashlib

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from conversations import services as conversation_services
from conversations.emails import bounced_message_pk
from conversations.models import Channel, EmailAddress, Message, OutboundEmail, Thread
from conversations.outbox import tell_author
from crm.models import Company, Contact
from helpdesk.queue import enqueue
from tickets import services as ticket_services
from tickets.models import Pipeline, Source, Ticket

from .models import BlockedSender, EmailChannel, InboundItem, Landing
from .parsing import InboundParseError, ParsedEmail, RawMail, parse_email
from .threading import Match, find_ticket

# Domains of mailbox providers: their users are people, not one company.
FREEMAIL = {
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com",
    "gmx.de", "gmx.net", "web.de", "t-online.de", "naver.com", "daum.net", "hanmail.net",
    "qq.com", "163.com", "126.com", "wp.pl", "o2.pl", "interia.pl", "onet.pl",
    "luukku.com", "suomi24.fi", "yahoo.com.tw", "hinet.net",
}  # fmt: skip


# Senders of delivery reports (local parts).
MAIL_SYSTEMS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
KEY_LENGTH = InboundItem._meta.get_field("dedupe_key").max_length
DOMAIN_LENGTH = Company._meta.get_field("domain").max_length

# What processing writes back to a row.
RESULT_FIELDS = [
    "status",
    "disposition",
    "error",
    "attempts",
    "processed_at",
    "message_hash",
    "channel",
    "message",
    "ticket",
    "warning",
    "delivered_to",
]


def inbound_store(
    *, source: str, payload: bytes, content_type: str = "", event_id: str = "", channel=None
) -> tuple[InboundItem, bool]:
    """Write one delivery to the inbound log and queue it. Returns the row and
    whether it is new: a redelivery (same provider event id, or the same bytes)
    returns the first row and queues nothing (RELIABILITY 7, 10)."""
    from .tasks import process_inbound_item

    key = f"{source}:{event_id}"
    if not event_id or len(key) > KEY_LENGTH:
        key = f"{source}:sha256:{hashlib.sha256(event_id.encode() or payload).hexdigest()}"
    # Insert first: a redelivery (rare) is told apart by the unique key, so
    # the usual delivery costs one statement.
    try:
        with transaction.atomic():
            item = InboundItem.objects.create(
                source=source,
                payload=payload,
                content_type=content_type[:200],
                event_id=event_id[:255],
                dedupe_key=key,
                channel=channel,
            )
    except IntegrityError:  # delivered before (or a concurrent redelivery won)
        return InboundItem.objects.get(dedupe_key=key), False
    transaction.on_commit(lambda: enqueue(process_inbound_item, item.pk))
    return item, True


def inbound_process(item_id: int) -> str:
    """Parse and deliver one pending row, all in one transaction: a row
    another worker finished is left alone, an unreadable payload fails with
    its reason, any other error leaves the row pending with the error's type
    (never its text: it can hold the message) for a retry, and nothing of the
    delivery is kept. Returns the row's status afterwards."""
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # The raw row is already durable: losing this commit in a
                # database crash leaves the row pending, and the sweep does
                # it all again. Not waiting for the disk is most of the speed.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            # The payload is read where it is needed, not kept on the row for
            # the whole delivery (a 40 MB message, held twice).
            item = (
                InboundItem.objects.select_for_update().defer("payload").filter(pk=item_id).first()
            )
            if item is None or item.status != InboundItem.Status.PENDING:
                return item.status if item else ""
            _deliverer(item.source)(item)
            item.attempts += 1
            item.error = ""
            item.processed_at = timezone.now()
            item.save(update_fields=RESULT_FIELDS)  # never rewrites the payload
    except InboundParseError as error:
        InboundItem.objects.filter(pk=item_id, status=InboundItem.Status.PENDING).update(
            status=InboundItem.Status.FAILED,
            error=str(error)[:500],
            attempts=F("attempts") + 1,
            processed_at=timezone.now(),
        )
        return InboundItem.Status.FAILED
    except Exception as error:
        InboundItem.objects.filter(pk=item_id).update(
            attempts=F("attempts") + 1, error=type(error).__name__
        )
        raise
    return item.status


def _deliverer(source: str):
    """What stores a row of `source`; each raises an InboundParseError for a
    payload it cannot read."""
    if source == InboundItem.Source.FORM:
        from .webforms import form_deliver

        return form_deliver
    if source == InboundItem.Source.MESSENGER:
        from .messenger import messenger_deliver

        return messenger_deliver
    if source == InboundItem.Source.CHAT:
        from .chat import chat_deliver

        return chat_deliver
    return _deliver_email


def _deliver_email(item: InboundItem) -> None:
    mail = raw_message(item)
    parsed = parse_email(mail.raw)
    mail.raw = b""  # not needed any more: only the parsed parts are stored
    parsed.dmarc = mail.dmarc or parsed.dmarc  # the ESP's own verdict first
    parsed.envelope_to = [
        a for a in mail.envelope_to if a.lower() not in map(str.lower, parsed.recipients)
    ]
    parsed.recipients += parsed.envelope_to
    _deliver(item, parsed, spam=mail.spam)


def raw_message(item: InboundItem) -> RawMail:
    """The RFC 5322 bytes of the item with the ESP's verdicts: as stored for
    IMAP and the pipe (no verdict: spam headers there could be the sender's,
    RELIABILITY 34); for an ESP webhook, the message as the ESP posted it."""
    payload = bytes(
        InboundItem.objects.filter(pk=item.pk).values_list("payload", flat=True).get()
    )  # not item.payload: that would keep it on the row object
    if item.source in (InboundItem.Source.IMAP, InboundItem.Source.PIPE):
        return RawMail(payload)
    from .webhooks import message_from_webhook

    return message_from_webhook(item.source, payload, item.content_type)


def _deliver(item: InboundItem, parsed: ParsedEmail, spam: bool = False) -> None:
    """Decide what the mail is and store it; sets item.status and disposition."""
    done, ignored = InboundItem.Status.DONE, InboundItem.Status.IGNORED
    item.message_hash = parsed.content_hash
    earlier = next(
        iter(
            InboundItem.objects.filter(message_hash=parsed.content_hash, status=done)
            .exclude(pk=item.pk)
            .order_by()  # any one will do: no sort, straight from the hash index
            .values_list("pk", flat=True)[:1]
        ),
        None,
    )
    if earlier:
        return _set(item, ignored, f"The same message was already received (item {earlier}).")
    # Stored messages with this Message-ID: ours (a loop), or another sender's.
    same_id = (
        list(
            Message.objects.filter(message_id=parsed.message_id).values_list(
                "direction", "from_email"
            )[:20]
        )
        if parsed.message_id
        else []
    )
    if any(direction == Message.Direction.OUTBOUND for direction, _sender in same_id) or (
        parsed.from_email and EmailAddress.objects.filter(email__iexact=parsed.from_email).exists()
    ):
        return _set(item, ignored, "Sent by the help desk itself (a loop).")
    returned = bounced_message_pk(parsed.recipients)
    if parsed.bounce or (returned and _from_mail_system(parsed)):
        return _bounce(item, parsed, returned)
    channel = item.channel or channel_for(parsed)
    if channel is None:
        return _set(
            item,
            InboundItem.Status.FAILED,
            "No connected email channel for " + ", ".join(parsed.recipients[:5]),
        )
    item.channel = channel
    blocked = BlockedSender.objects.blocks(parsed.from_email)
    if blocked:  # a blocked sender joins nothing: each mail is a new ticket, in Spam
        match = Match(None, None, "blocked sender")
    elif parsed.dmarc == "fail":
        # Whoever wrote it is not provably the sender, so it cannot take part
        # in the sender's tickets (RELIABILITY 31): a new ticket, shown unverified.
        match = Match(None, None, "DMARC failed for the sender's domain")
    else:
        match = find_ticket(parsed)
    ticket, thread, reason = match.ticket, match.thread, match.reason
    joined_by, joined_ticket_id = match.joined_by, match.refused_ticket_id
    automatic = parsed.auto_reply
    if ticket is not None and not ticket.is_open and not automatic:
        ticket, thread, reason = _closed_ticket(ticket, thread, reason)
    if ticket is None:
        if automatic:
            return _set(item, ignored, f"Automatic reply ({automatic}) with no ticket to join.")
        ours = _base(channel.address.email)
        addressed = {_base(a) for a in [*parsed.to, *parsed.delivered_to]}
        copied = {_base(a) for a in parsed.cc}
        # Only in CC; a blind copy or a forward (ours nowhere) counts as addressed.
        if (
            channel.cc_only == EmailChannel.CcOnly.THREAD_ONLY
            and ours in copied
            and ours not in addressed
        ):
            return _set(
                item, ignored, "Our address was only in CC, and the channel only adds to tickets."
            )
    contact = _contact(parsed)
    if contact and contact.email_bounced_at:  # mail from the address: it works again
        Contact.objects.filter(pk=contact.pk).update(email_bounced_at=None)
    created = ticket is None
    if created:
        landing = land(item, channel)
        ticket = ticket_services.ticket_create(
            actor=None,
            name=shorten(parsed.subject, Ticket._meta.get_field("name").max_length)
            or _("(no subject)"),
            pipeline=landing.pipeline,
            stage=landing.stage,
            team=channel.team,
            source=Source.EMAIL,
            contacts=[contact] if contact else [],
            companies=[contact.company] if contact and contact.company_id else [],
        )
        if match.ticket is not None:  # a follow-up of a closed ticket
            ticket_services.ticket_link(actor=None, ticket=ticket, other=match.ticket)
            joined_by, joined_ticket_id = Message.JoinedBy.CLOSED_FOLLOW_UP, match.ticket.pk
        elif joined_by != Message.JoinedBy.NOT_PARTICIPANT:
            joined_by = Message.JoinedBy.NEW
        if spam or blocked:
            ticket = ticket_services.ticket_mark_spam(actor=None, ticket=ticket)
            if spam:
                reason = f"{reason}; the ESP judged it spam"
        reason = "; ".join(r for r in (reason, "new ticket") if r)
        thread = None
    elif contact and not ticket.contacts.filter(pk=contact.pk).exists():
        ticket_services.ticket_associate(actor=None, ticket=ticket, record=contact)
    message = conversation_services.message_receive(
        ticket=ticket,
        thread=thread,
        channel=Channel.EMAIL,
        contact=contact,
        from_name=parsed.from_name,
        from_email=parsed.from_email,
        to=parsed.to,
        cc=parsed.cc,
        subject=parsed.subject,
        html=parsed.html,
        text=parsed.text,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=" ".join(parsed.references),
        files=[
            conversation_services.InboundFile(p.filename, p.content_type, p.data, p.content_id)
            for p in parsed.attachments
        ],
        automatic=bool(automatic),
        joined_by=joined_by,
        joined_ticket_id=joined_ticket_id,
        new_ticket=created,
        dmarc=parsed.dmarc,
    )
    notes = [reason]
    if contact is None:
        notes.append("no valid sender address: an agent can link it to a contact")
    if automatic:
        notes.append(f"automatic reply ({automatic}): status unchanged")
    if any(sender.lower() != parsed.from_email.lower() for _direction, sender in same_id):
        notes.append("Message-ID also used by another sender's message")
    notes += parsed.notes
    item.message, item.ticket = message, ticket
    _set(item, done, "; ".join(n for n in notes if n))


class NoLanding(InboundParseError):
    """No pipeline has an open status: nowhere to put a new ticket. The row
    fails with this reason and can be processed again once one exists."""


def land(item: InboundItem, channel) -> Landing:
    """Where a new ticket from `channel` goes (NewTickets.landing). When that
    is not the configured place, the row says what was wrong and where the
    ticket went, for the admins (Inbound messages, the channel's page)."""
    landing = channel.landing()
    if landing.stage is None:
        raise NoLanding("No pipeline has an open status without required properties.")
    if landing.problem:
        item.warning = landing.problem
        item.delivered_to = landing.place[:210]
    return landing


def visitor_thread(
    key: str, *, channel: str, source: str, name: str, target, item: InboundItem
) -> tuple:
    """The thread of a chat visitor or Messenger user (`key`) on their open
    ticket, else a new ticket where `target` (a chat widget or Messenger page)
    lands its tickets (`land`), in its team, with a thread for them. Returns
    (thread, whether the ticket is new)."""
    thread = (
        Thread.objects.filter(visitor_key=key, ticket__is_open=True)
        .select_related("ticket")
        .order_by("-id")
        .first()
    )
    if thread is not None:
        return thread, False
    landing = land(item, target)
    ticket = ticket_services.ticket_create(
        actor=None,
        name=name[:80],
        pipeline=landing.pipeline,
        stage=landing.stage,
        team=target.team,
        source=source,
    )
    thread = Thread.objects.create(
        ticket=ticket,
        inbox=conversation_services.help_desk_inbox(),
        channel=channel,
        visitor_key=key,
    )
    return thread, True


def shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut between words where one ends
    in the second half, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def _set(item: InboundItem, status: str, disposition: str) -> None:
    item.status = status
    item.disposition = disposition[:300]


def _base(address: str) -> str:
    """support+token@x.example → support@x.example"""
    local, _at, domain = address.lower().rpartition("@")
    return f"{local.split('+')[0]}@{domain}"


def channel_for(parsed: ParsedEmail) -> EmailChannel | None:
    """The channel the mail was sent to: by To, CC, Delivered-To (plus
    addresses count as their base address)."""
    wanted = [_base(a) for a in parsed.recipients]
    channels = {
        c.address.email.lower(): c
        for c in EmailChannel.objects.filter(is_active=True).select_related(
            "address", "pipeline", "stage", "team"
        )
    }
    return next((channels[a] for a in wanted if a in channels), None)


def _closed_ticket(ticket: Ticket, thread, reason: str):
    """Apply the pipeline's rule for replies to closed tickets: reopen it, or
    let a new ticket be opened (returned as None with the reason)."""
    pipeline: Pipeline = ticket.pipeline
    policy = pipeline.closed_reply
    recent = ticket.closed_at and ticket.closed_at >= timezone.now() - datetime.timedelta(
        days=pipeline.reopen_within_days
    )
    if policy == Pipeline.ClosedReply.REOPEN or (
        policy == Pipeline.ClosedReply.REOPEN_WITHIN and recent
    ):
        stage = pipeline.stage_on_customer_reply
        # The pipeline's choice when it can take the ticket (PostgreSQL holds
        # it to the pipeline; older data or SQLite may not), else its first
        # open status: a reply must never wait on a setting.
        if (
            stage is None
            or stage.is_closed
            or stage.pipeline_id != pipeline.pk
            or ticket_services.missing_required_properties(
                stage, {key: ticket.property_value(key) for key in stage.required_properties}
            )
        ):
            stage = pipeline.first_open_stage()
        if stage is not None:
            ticket_services.ticket_set_stage(actor=None, ticket=ticket, stage=stage)
            ticket.refresh_from_db()
            return ticket, thread, f"{reason}; reopened"
    return None, None, f"{reason}; the ticket is closed, so a new one"


def _contact(parsed: ParsedEmail) -> Contact | None:
    """The sender's contact, found or made; None without a valid address (the
    message is kept as an unknown visitor's, for an agent to link, S22)."""
    if not parsed.from_email:
        return None
    contact = Contact.objects.oldest_with_email(parsed.from_email)
    if contact:
        return contact
    first, _space, last = parsed.from_name.partition(" ")
    return Contact.objects.create(
        first_name=first[:100],
        last_name=last[:100],
        email=parsed.from_email,
        company=_company(parsed.from_email),
    )


def _company(address: str) -> Company | None:
    domain = address.rpartition("@")[2].lower()
    if not domain or domain in FREEMAIL or len(domain) > DOMAIN_LENGTH:
        return None
    company = Company.objects.oldest_with_domain(domain)
    return company or Company.objects.create(name=domain, domain=domain)


def _from_mail_system(parsed: ParsedEmail) -> bool:
    """Whether a mail system sent it (a delivery report), not a person or
    their out-of-office reply."""
    return parsed.from_email.partition("@")[0].lower() in MAIL_SYSTEMS


def _bounce(item: InboundItem, parsed: ParsedEmail, returned: int | None = None) -> None:
    """A delivery report for one of our replies, found by the return path it
    came back to (`returned`, VERP) or the Message-ID it quotes: the reply
    shows it was not delivered and its author is told; no ticket is made
    (RELIABILITY 25)."""
    wanted = [i for i in (parsed.bounced_message_id, parsed.in_reply_to) if i]
    outbound = Message.objects.filter(direction=Message.Direction.OUTBOUND).select_related(
        "outbound"
    )
    original = (outbound.filter(pk=returned).first() if returned else None) or (
        outbound.filter(message_id__in=wanted).first() if wanted else None
    )
    if original is None or not hasattr(original, "outbound"):
        return _set(
            item, InboundItem.Status.IGNORED, "Delivery report for a message we do not know."
        )
    OutboundEmail.objects.filter(pk=original.outbound.pk).update(
        status=OutboundEmail.Status.FAILED, last_error="Bounced"
    )
    tell_author(original)
    # The addresses the report names, else the reply's only recipient.
    failed = parsed.bounced_recipients or (original.to if len(original.to) == 1 else [])
    marked = (
        Contact.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=[a.lower() for a in failed])
        .update(email_bounced_at=timezone.now())
        if failed
        else 0
    )
    item.ticket = original.ticket
    _set(
        item,
        InboundItem.Status.IGNORED,
        f"Delivery failure of message {original.pk}; {marked} contact address(es) marked.",
    )


def delete_raw_deliveries(sender, ticket_ids, **kwargs) -> None:
    """A purged ticket's raw deliveries go with it: they hold its mail and files.
    Found by the message each became, which follows a merge or split to the
    ticket it now belongs to; a delivery that made no message, by the ticket
    it was filed under."""
    InboundItem.objects.filter(
        Q(message__ticket__in=ticket_ids) | Q(message__isnull=True, ticket__in=ticket_ids)
    ).delete()

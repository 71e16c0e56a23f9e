"""Email deliveries (every source but forms, chat and Messenger): parse the
raw message, then take it through named steps: deduplicate, identify,
thread, decide, store and react (ARCHITECTURE rules 2, 3)."""

import datetime
from dataclasses import dataclass, field

from django.db.models import BigIntegerField, CharField, Exists, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from conversations import services as conversation_services
from conversations.emails import bounced_message_pk
from conversations.models import Channel, EmailAddress, Message, OutboundEmail, Thread
from conversations.outbox import tell_author
from conversations.quoting import inbound_body
from crm.models import Company, Contact
from helpdesk.memo import remembered
from helpdesk.prepared import Prepared
from tickets import services as ticket_services
from tickets.models import Pipeline, Source, Ticket

from .models import BlockedSender, EmailChannel, InboundItem
from .parsing import ParsedEmail, RawMail, parse_email
from .store import inbound_payload, land, shorten
from .threading import Match, find_ticket
from .webhooks import message_from_webhook

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
DOMAIN_LENGTH = Company._meta.get_field("domain").max_length


DONE, IGNORED, FAILED = (
    InboundItem.Status.DONE,
    InboundItem.Status.IGNORED,
    InboundItem.Status.FAILED,
)
TICKET_NAME_LENGTH = Ticket._meta.get_field("name").max_length

# A step that ends the delivery says how: the row's status and the reason.
Outcome = tuple[str, str] | None


def mail_deliver(item: InboundItem) -> None:
    """Parse the row's message and deliver it (the deliverer of every email
    source, registered in channels_inbound/apps.py)."""
    mail = raw_message(item)
    parsed = parse_email(mail.raw)
    mail.raw = b""  # not needed any more: only the parsed parts are stored
    parsed.dmarc = mail.dmarc or parsed.dmarc  # the ESP's own verdict first
    parsed.envelope_to = [
        a for a in mail.envelope_to if a.lower() not in map(str.lower, parsed.recipients)
    ]
    parsed.recipients += parsed.envelope_to
    deliver(item, parsed, spam=mail.spam)


@dataclass
class Delivery:
    """One parsed email on its way, and what each step found out about it."""

    item: InboundItem
    parsed: ParsedEmail
    spam: bool = False  # the ESP's verdict
    # Stored messages carry its Message-ID: one of ours (a loop), another sender's.
    id_is_ours: bool = False
    id_used_by_other: bool = False
    channel: EmailChannel | None = None
    blocked: bool = False
    match: Match = field(default_factory=lambda: Match(None, None, ""))
    ticket: Ticket | None = None
    thread: Thread | None = None
    reason: str = ""
    contact: Contact | None = None
    # Found with the duplicate check: the sender's contact and their domain's company.
    sender_id: int | None = None
    company: Company | None = None


def deliver(item: InboundItem, parsed: ParsedEmail, spam: bool = False) -> None:
    """Decide what the mail is and store it; sets the row's status and
    disposition. Each step either learns something or ends the delivery."""
    mail = Delivery(item, parsed, spam)
    outcome = _deduplicate(mail) or _identify(mail)
    if outcome is None:
        _thread(mail)
        outcome = _decide(mail)
    if outcome is None:
        _store(mail)
        outcome = DONE, _react(mail)
    _set(item, *outcome)


def _earlier(pk: int, content_hash: str) -> Subquery:
    """An earlier row done with the same content: any one will do (no sort,
    straight from the hash index)."""
    rows = InboundItem.objects.filter(message_hash=content_hash, status=DONE).exclude(pk=pk)
    return Subquery(rows.order_by().values("pk")[:1])


# The first-created of a few rows found by an index of lower(): min() of at
# most 20, not ORDER BY id LIMIT 1, which can walk the primary key
# (crm.models._oldest).
OLDEST_CONTACT = (
    f"(SELECT min(id) FROM (SELECT id FROM {Contact._meta.db_table} "
    "WHERE lower(email) = %s LIMIT 20) AS contact)"
)
OLDEST_COMPANY = (
    f"(SELECT min(id) FROM (SELECT id FROM {Company._meta.db_table} "
    "WHERE lower(domain) = %s LIMIT 20) AS company)"
)
COMPANY_NAME = f"(SELECT name FROM {Company._meta.db_table} WHERE id = {OLDEST_COMPANY})"


def _before_storing(pk: int, content_hash: str, sender: str, domain: str, message_id=None):
    """The row's own, with what other rows say about it: an earlier row with
    its content; whether stored messages have its Message-ID, ours (a loop)
    or another sender's; the sender's contact (`sender`: the address,
    lowercased) and their domain's company (its id and name)."""
    if message_id is None:
        ours = others = Value(False)
    else:
        same_id = Message.objects.filter(message_id=message_id)
        ours = Exists(same_id.filter(direction=Message.Direction.OUTBOUND))
        others = Exists(
            same_id.alias(sender=Lower("from_email")).exclude(sender=Lower(Value(sender)))
        )
    return InboundItem.objects.filter(pk=pk).values_list(
        _earlier(pk, content_hash),
        ours,
        others,
        RawSQL(OLDEST_CONTACT, (sender,), output_field=BigIntegerField()),
        RawSQL(OLDEST_COMPANY, (domain,), output_field=BigIntegerField()),
        RawSQL(COMPANY_NAME, (domain,), output_field=CharField()),
    )


# One query, run on every message: compiled once (helpdesk.prepared).
BEFORE_STORING = Prepared(_before_storing, int, str, str, str)
BEFORE_STORING_WITH_ID = Prepared(_before_storing, int, str, str, str, str)


def _deduplicate(mail: Delivery) -> Outcome:
    """The same message received before (by any route: the content hash), or
    our own mail come back (a loop). One query, which also finds the
    sender's contact and company for a new ticket."""
    item, parsed = mail.item, mail.parsed
    item.message_hash = parsed.content_hash
    domain = _domain(parsed.from_email)
    values = [item.pk, parsed.content_hash, parsed.from_email.lower(), domain]
    if parsed.message_id:
        [row] = BEFORE_STORING_WITH_ID.rows(*values, parsed.message_id)
    else:
        [row] = BEFORE_STORING.rows(*values)
    earlier_pk, mail.id_is_ours, mail.id_used_by_other, *found = row
    mail.sender_id, company_id, company_name = found
    if company_id and domain:
        mail.company = Company.from_db(item._state.db, ["id", "name"], [company_id, company_name])
    if earlier_pk:
        return IGNORED, f"The same message was already received (item {earlier_pk})."
    if mail.id_is_ours or (parsed.from_email and parsed.from_email.lower() in our_addresses()):
        return IGNORED, "Sent by the help desk itself (a loop)."
    return None


def _identify(mail: Delivery) -> Outcome:
    """What the mail is: a delivery report for one of our replies, or mail to
    one of our channels (which?), from a blocked sender or not."""
    parsed = mail.parsed
    returned = bounced_message_pk(parsed.recipients)
    if parsed.bounce or (returned and _from_mail_system(parsed)):
        return _bounce(mail.item, parsed, returned)
    mail.channel = mail.item.channel or channel_for(parsed)
    if mail.channel is None:
        return FAILED, "No connected email channel for " + ", ".join(parsed.recipients[:5])
    mail.item.channel = mail.channel
    mail.blocked = blocked(parsed.from_email)
    return None


def _thread(mail: Delivery) -> None:
    """The ticket it joins (ARCHITECTURE rule 3), if any, after the pipeline's
    rule for replies to closed tickets."""
    if mail.blocked:  # a blocked sender joins nothing: each mail is a new ticket, in Spam
        mail.match = Match(None, None, "blocked sender")
    elif mail.parsed.dmarc == "fail":
        # Whoever wrote it is not provably the sender, so it cannot take part
        # in the sender's tickets (RELIABILITY 31): a new ticket, shown unverified.
        mail.match = Match(None, None, "DMARC failed for the sender's domain")
    else:
        mail.match = find_ticket(mail.parsed)
    mail.ticket, mail.thread, mail.reason = mail.match.ticket, mail.match.thread, mail.match.reason
    if mail.ticket is not None and not mail.ticket.is_open and not mail.parsed.auto_reply:
        mail.ticket, mail.thread, mail.reason = closed_ticket_reply(
            mail.ticket, mail.thread, mail.reason
        )


def _decide(mail: Delivery) -> Outcome:
    """Whether mail that joins no ticket may open one: an automatic reply may
    not, nor mail that has our address only in CC where the channel says so."""
    if mail.ticket is not None:
        return None
    parsed, channel = mail.parsed, mail.channel
    if parsed.auto_reply:
        return IGNORED, f"Automatic reply ({parsed.auto_reply}) with no ticket to join."
    ours = _base(channel.address.email)
    addressed = {_base(a) for a in [*parsed.to, *parsed.delivered_to]}
    copied = {_base(a) for a in parsed.cc}
    # Only in CC; a blind copy or a forward (ours nowhere) counts as addressed.
    if (
        channel.cc_only == EmailChannel.CcOnly.THREAD_ONLY
        and ours in copied
        and ours not in addressed
    ):
        return IGNORED, "Our address was only in CC, and the channel only adds to tickets."
    return None


def _store(mail: Delivery) -> None:
    """The sender's contact, the ticket (joined or new) and the message."""
    item, parsed, channel, match = mail.item, mail.parsed, mail.channel, mail.match
    joined_by, joined_ticket_id = match.joined_by, match.refused_ticket_id
    known = match.sender_contacts if mail.ticket == match.ticket else None
    contact = mail.contact = _contact(mail, known)
    if contact and contact.email_bounced_at:  # mail from the address: it works again
        Contact.objects.filter(pk=contact.pk).update(email_bounced_at=None)
    created = mail.ticket is None
    body = inbound_body(html=parsed.html, text=parsed.text)
    at = timezone.now()
    if created:
        landing = land(item, channel)
        ticket = ticket_services.ticket_create(
            actor=None,
            name=shorten(parsed.subject, TICKET_NAME_LENGTH) or _("(no subject)"),
            pipeline=landing.pipeline,
            stage=landing.stage,
            team=channel.team,
            source=Source.EMAIL,
            contacts=[contact] if contact else [],
            companies=[contact.company] if contact and contact.company_id else [],
            created_at=at,
            # Its message's columns, with the ticket: no UPDATE after it.
            opening=None
            if parsed.auto_reply
            else conversation_services.opening_columns(subject=parsed.subject, body=body, at=at),
        )
        if match.ticket is not None:  # a follow-up of a closed ticket
            ticket_services.ticket_link(actor=None, ticket=ticket, other=match.ticket)
            joined_by, joined_ticket_id = Message.JoinedBy.CLOSED_FOLLOW_UP, match.ticket.pk
        elif joined_by != Message.JoinedBy.NOT_PARTICIPANT:
            joined_by = Message.JoinedBy.NEW
        if mail.spam or mail.blocked:
            ticket = ticket_services.ticket_mark_spam(actor=None, ticket=ticket)
            if mail.spam:
                mail.reason = f"{mail.reason}; the ESP judged it spam"
        mail.reason = "; ".join(r for r in (mail.reason, "new ticket") if r)
        mail.ticket, mail.thread = ticket, None
    elif contact and not _takes_part(mail, contact):
        ticket_services.ticket_associate(actor=None, ticket=mail.ticket, record=contact)
    item.ticket = mail.ticket
    item.message = conversation_services.message_receive(
        ticket=mail.ticket,
        thread=mail.thread,
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
        automatic=bool(parsed.auto_reply),
        joined_by=joined_by,
        joined_ticket_id=joined_ticket_id,
        new_ticket=created,
        dmarc=parsed.dmarc,
        # The message threading found by In-Reply-To, when this is its ticket.
        reply_to=match.message if not created and mail.ticket == match.ticket else None,
        body=body,
        # A new ticket's moment; a message joining a ticket takes its own, under its lock.
        at=at if created else None,
    )


def _takes_part(mail: Delivery, contact: Contact) -> bool:
    """Whether `contact` is one of the joined ticket's contacts: threading
    may have read it with the contact (`on_ticket`), and a contact made just
    now is on no ticket."""
    if hasattr(contact, "on_ticket"):
        return contact.on_ticket
    return mail.ticket.contacts.filter(pk=contact.pk).exists()


def _react(mail: Delivery) -> str:
    """What an admin reads in Inbound messages about a stored mail."""
    parsed = mail.parsed
    notes = [mail.reason]
    if mail.contact is None:
        notes.append("no valid sender address: an agent can link it to a contact")
    if parsed.auto_reply:
        notes.append(f"automatic reply ({parsed.auto_reply}): status unchanged")
    if mail.id_used_by_other:
        notes.append("Message-ID also used by another sender's message")
    notes += parsed.notes
    return "; ".join(n for n in notes if n)


def raw_message(item: InboundItem) -> RawMail:
    """The RFC 5322 bytes of the item with the ESP's verdicts: as stored for
    IMAP and the pipe (no verdict: spam headers there could be the sender's,
    RELIABILITY 34); for an ESP webhook, the message as the ESP posted it."""
    payload = inbound_payload(item)
    if item.source in (InboundItem.Source.IMAP, InboundItem.Source.PIPE):
        return RawMail(payload)
    return message_from_webhook(item.source, payload, item.content_type)


def _base(address: str) -> str:
    """support+token@x.example → support@x.example"""
    local, _at, domain = address.lower().rpartition("@")
    return f"{local.split('+')[0]}@{domain}"


def channel_for(parsed: ParsedEmail) -> EmailChannel | None:
    """The channel the mail was sent to: by To, CC, Delivered-To (plus
    addresses count as their base address)."""
    wanted = [_base(a) for a in parsed.recipients]
    channels = remembered("inbound.channels", _active_channels)
    return next((channels[a] for a in wanted if a in channels), None)


def _active_channels() -> dict[str, EmailChannel]:
    return {
        c.address.email.lower(): c
        for c in EmailChannel.objects.filter(is_active=True).select_related(
            "address", "pipeline", "stage", "team"
        )
    }


def our_addresses() -> frozenset[str]:
    """Our own sending addresses, lowercased (mail from one is a loop)."""
    return remembered(
        "inbound.our_addresses",
        lambda: frozenset(a.lower() for a in EmailAddress.objects.values_list("email", flat=True)),
    )


def blocked(address: str) -> bool:
    """Whether mail from `address` goes to Spam: it or its domain is blocked
    (BlockedSender.objects.blocks, from the patterns kept in memory)."""
    address = address.strip().lower()
    if "@" not in address:
        return False
    patterns = remembered(
        "inbound.blocked_senders",
        lambda: frozenset(BlockedSender.objects.values_list("pattern", flat=True)),
    )
    return address in patterns or address.rpartition("@")[2] in patterns


def closed_ticket_reply(ticket: Ticket, thread, reason: str):
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


def _contact(mail: Delivery, known: list[Contact] | None = None) -> Contact | None:
    """The sender's contact, found (among `known`, the contacts with the
    address threading read already) or made; None without a valid address
    (the message is kept as an unknown visitor's, for an agent to link, S22)."""
    parsed = mail.parsed
    if not parsed.from_email:
        return None
    if known is not None:
        return min(known, key=lambda row: row.pk, default=None) or _new_contact(mail)
    if mail.sender_id:
        # With its company: the new ticket's search vector names it.
        [contact] = SENDER.objects(mail.sender_id)
        return contact
    return _new_contact(mail)


# Run for most messages: compiled once (helpdesk.prepared).
SENDER = Prepared(lambda pk: Contact.objects.select_related("company").filter(pk=pk), int)


def _new_contact(mail: Delivery) -> Contact:
    parsed = mail.parsed
    first, _space, last = parsed.from_name.partition(" ")
    domain = _domain(parsed.from_email)
    company = mail.company
    if company is None and domain:
        company = Company.objects.create(name=domain, domain=domain)
    contact = Contact.objects.create(
        first_name=first[:100], last_name=last[:100], email=parsed.from_email, company=company
    )
    contact.on_ticket = False  # type: ignore[attr-defined]  # made just now: on no ticket
    return contact


def _domain(address: str) -> str:
    """The domain of `address`, lowercased, when it can name a company."""
    domain = address.rpartition("@")[2].lower()
    if not domain or domain in FREEMAIL or len(domain) > DOMAIN_LENGTH:
        return ""
    return domain


def _from_mail_system(parsed: ParsedEmail) -> bool:
    """Whether a mail system sent it (a delivery report), not a person or
    their out-of-office reply."""
    return parsed.from_email.partition("@")[0].lower() in MAIL_SYSTEMS


def _bounce(item: InboundItem, parsed: ParsedEmail, returned: int | None = None) -> Outcome:
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
        return IGNORED, "Delivery report for a message we do not know."
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
    return (
        IGNORED,
        f"Delivery failure of message {original.pk}; {marked} contact address(es) marked.",
    )


def _set(item: InboundItem, status: str, disposition: str) -> None:
    item.status = status
    item.disposition = disposition[:300]

"""Which ticket an inbound email belongs to (ARCHITECTURE rule 3).

In order: a Message-ID we know in In-Reply-To or References, the thread's
reply token in a recipient address (support+<token>@…), or a ticket number in
the subject ("[#123]"). Every one of them only counts when the sender already
takes part in that ticket (RELIABILITY 30): a stranger who copies headers or a
token gets a ticket of their own. Subject text alone never joins anything.
"""

import functools
import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from conversations.models import Message, Thread
from crm.models import Contact
from helpdesk.prepared import Prepared
from tickets.models import Ticket

from .parsing import ParsedEmail

SUBJECT_NUMBER = re.compile(r"\[#(\d{1,12})\]")
REPLY_TOKEN = re.compile(r"^[^+@]+\+([0-9a-f]{32})@", re.IGNORECASE)
PARTICIPANT_MESSAGES = 500
# Contacts share an address rarely; past this many, the ticket's are asked apart.
SENDER_CONTACTS = 20


JoinedBy = Message.JoinedBy


@dataclass
class Match:
    ticket: Ticket | None
    thread: Thread | None
    reason: str  # for the inbound log
    joined_by: str = JoinedBy.NEW  # for the message (shown to agents)
    # The ticket a refused match pointed at.
    refused_ticket_id: int | None = None
    # The message whose Message-ID is the mail's In-Reply-To (joined by it).
    message: Message | None = None
    # The contacts with the sender's address (at most 20, each with
    # `on_ticket`: whether it is one of the ticket's), when that was read.
    sender_contacts: list[Contact] | None = None


def find_ticket(parsed: ParsedEmail) -> Match:
    """The ticket to add this mail to, or Match(None, None, why not)."""
    sender = parsed.from_email.lower()
    refused = []
    refused_ids = []
    ids = list(dict.fromkeys(i for i in [parsed.in_reply_to, *reversed(parsed.references)] if i))
    if ids:
        for message in known_messages(ids):
            header = "In-Reply-To" if message.message_id == parsed.in_reply_to else "References"
            contacts = sender_contacts(sender, message.ticket)
            if any(c.on_ticket for c in contacts) or is_participant(  # type: ignore[attr-defined]
                sender, message.ticket, contacts=len(contacts) >= SENDER_CONTACTS
            ):
                return Match(
                    message.ticket,
                    message.thread,
                    f"{header} matched message {message.pk}",
                    JoinedBy.IN_REPLY_TO if header == "In-Reply-To" else JoinedBy.REFERENCES,
                    message=message if header == "In-Reply-To" else None,
                    sender_contacts=contacts,
                )
            refused.append(f"{header} matched ticket {message.ticket_id}")
            refused_ids.append(message.ticket_id)
    for address in parsed.recipients:
        token = REPLY_TOKEN.match(address)
        if not token:
            continue
        thread = (
            Thread.objects.filter(
                reply_token=token.group(1).lower(), ticket__deleted_at__isnull=True
            )
            .select_related("ticket")
            .first()
        )
        if thread is None:
            continue
        if is_participant(sender, thread.ticket):
            return Match(thread.ticket, thread, "reply address token", JoinedBy.REPLY_TOKEN)
        refused.append(f"reply address token of ticket {thread.ticket_id}")
        refused_ids.append(thread.ticket_id)
    for number in SUBJECT_NUMBER.findall(parsed.subject):
        ticket = Ticket.objects.alive().filter(pk=int(number)).first()
        if ticket is not None and ticket.merged_into_id:
            # A merged ticket's number leads to the ticket it was merged into.
            ticket = Ticket.objects.alive().filter(pk=ticket.merged_into_id).first()
        if ticket is None:
            continue
        if is_participant(sender, ticket):
            thread = ticket.threads.order_by("-created_at", "-id").first()
            return Match(
                ticket, thread, f"ticket number [#{number}] in the subject", JoinedBy.SUBJECT_NUMBER
            )
        refused.append(f"[#{number}] in the subject")
        refused_ids.append(ticket.pk)
    if refused:
        return Match(
            None,
            None,
            "sender takes no part in the ticket (" + "; ".join(refused) + ")",
            JoinedBy.NOT_PARTICIPANT,
            refused_ids[0],
        )
    return Match(None, None, "")


def known_messages(ids: list[str]) -> list[Message]:
    """The latest 20 messages of live tickets with one of these Message-IDs,
    with their ticket and thread."""
    if len(ids) > KNOWN_PREPARED:
        return list(_known_messages(*ids))
    return _known_prepared(len(ids)).objects(*ids)


def _known_messages(*ids: str):
    return (
        Message.objects.filter(message_id__in=ids, ticket__deleted_at__isnull=True)
        .select_related("ticket", "thread")
        .order_by("-id")[:20]
    )


# Run for every reply, with as many ids as its In-Reply-To and References
# hold (a few): compiled once per count (helpdesk.prepared), a long chain
# of References as it comes.
KNOWN_PREPARED = 12


@functools.cache
def _known_prepared(count: int) -> Prepared:
    return Prepared(_known_messages, *[str] * count)


def sender_contacts(address: str, ticket: Ticket) -> list[Contact]:
    """The contacts with `address` (any case, at most SENDER_CONTACTS, with
    their company), each with `on_ticket`: one query tells both who the
    sender is and whether they take part in `ticket`."""
    if not address:
        return []
    return SENDER_CONTACTS_OF.objects(address.lower(), ticket.pk)


def _sender_contacts_of(address: str, ticket: int):
    on_ticket = Ticket.contacts.through.objects.filter(ticket=ticket, contact=OuterRef("pk"))
    return (
        Contact.objects.with_lowered_email(address)
        .select_related("company")
        .annotate(on_ticket=Exists(on_ticket))[:SENDER_CONTACTS]
    )


# Run for every reply: compiled once (helpdesk.prepared).
SENDER_CONTACTS_OF = Prepared(_sender_contacts_of, str, int)


def is_participant(address: str, ticket: Ticket, *, contacts: bool = True) -> bool:
    """Whether `address` is a contact of the ticket, or sent or received one of
    its emails (`contacts=False`: the caller has asked the contacts already)."""
    address = address.lower()
    if not address:
        return False
    if contacts and ticket.contacts.filter(email__iexact=address).exists():
        return True
    recent = (
        Message.objects.filter(ticket=ticket, kind=Message.Kind.MESSAGE)
        .order_by("-id")
        .values_list("from_email", "to", "cc")[:PARTICIPANT_MESSAGES]
    )
    for from_email, to, cc in recent:
        if address == from_email.lower() or address in {a.lower() for a in [*to, *cc]}:
            return True
    return False

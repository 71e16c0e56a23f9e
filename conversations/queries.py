"""Reads for the conversation pane. The ticket itself was already checked by
tickets.access; everything here hangs off that ticket."""

import functools

from accounts.models import User
from crm.models import Contact
from helpdesk.prepared import Prepared, keep_prefetched
from tickets.models import Source, Ticket

from .models import Attachment, Draft, Message, Thread
from .services import (
    THREAD_CHANNELS,
    default_from_address,
    default_recipients,
    help_desk_inbox,
    latest_message,
    reply_language,
    sending_addresses,
    signatures_by_address,
)

# A long thread opens on its latest messages (enough to read the case; each one
# costs about half a millisecond to render); earlier ones load on demand.
MESSAGES_SHOWN = 20
EARLIER_PAGE = 50


def messages_for_ticket(
    ticket: Ticket,
    before: int | None = None,
    limit: int = MESSAGES_SHOWN,
    threads: list[Thread] | None = None,
):
    """The latest `limit` messages (before message `before`), oldest first,
    comments included, and whether there are earlier ones. `threads`: the
    ticket's, when the caller has read them already (THREADS)."""
    if before:
        page = _page(limit, earlier=True).objects(ticket.pk, before)
    else:
        page = _page(limit, earlier=False).objects(ticket.pk)
    _join_threads(ticket, page, threads)
    files = {m.pk: [] for m in page}
    if page:
        for attachment in PAGE_FILES.objects(ticket.pk, page[-1].pk, page[0].pk):
            if attachment.message_id in files:
                files[attachment.message_id].append(attachment)
    for message in page:
        for attachment in files[message.pk]:
            attachment.message = message
        keep_prefetched(message, "attachments", files[message.pk])
    has_earlier = len(page) > limit
    return list(reversed(page[:limit])), has_earlier


@functools.cache
def _page(limit: int, *, earlier: bool) -> Prepared:
    """A page of a ticket's messages, latest first, one more than `limit`:
    read for every ticket opened, compiled once (helpdesk.prepared).

    Its thread and contact are not joined here but set afterwards
    (`_join_threads`). Behind PgBouncer's transaction pooling PostgreSQL
    plans every statement again (no prepared statements there), and a join
    of six tables costs it 1.6 ms to plan, against 0.3 ms for these four and
    0.15 ms to run."""

    def build(ticket: int, before: int = 0):
        messages = Message.objects.filter(ticket=ticket)
        if earlier:
            messages = messages.filter(pk__lt=before)
        return (
            messages.select_related("author", "outbound", "messenger")
            .defer("references")
            .order_by("-id")[: limit + 1]
        )

    return Prepared(build, int, int) if earlier else Prepared(build, int)


def _join_threads(ticket: Ticket, page: list[Message], threads: list[Thread] | None) -> None:
    """Each message's thread, from the ticket's threads, and the contact of a
    chat visitor's message once the visitor is linked to one (what its sender's
    name shows, `Message.sender_display`)."""
    by_id = {t.pk: t for t in (THREADS.objects(ticket.pk) if threads is None else threads)}
    if missing := {m.thread_id for m in page} - by_id.keys():
        by_id |= Thread.objects.select_related("inbox").in_bulk(missing)
    for message in page:
        message.thread = by_id[message.thread_id]
    linked = {m.contact_id for m in page if m.contact_id and m.thread.visitor_key}
    if linked:
        contacts = Contact.objects.in_bulk(linked)
        for message in page:
            if message.contact_id in linked:
                message.contact = contacts[message.contact_id]


def messages_since(ticket: Ticket, seen: int, user: User) -> int:
    """How many messages others added after message `seen` (the presence bar's
    "2 new messages")."""
    return Message.objects.filter(ticket=ticket, pk__gt=seen).exclude(author=user).count()


def messages_to_split(ticket: Ticket, limit: int) -> list[Message]:
    """The latest `limit` messages, comments included, oldest first: the split
    dialog's choice."""
    rows = (
        Message.objects.filter(ticket=ticket)
        .select_related("author", "thread", "contact")
        .defer("html", "quoted_html", "references")
        .order_by("-created_at", "-id")[:limit]
    )
    return list(rows)[::-1]


def visitor_messages(thread, after: int, limit: int) -> list[Message]:
    """What a chat visitor's window shows after message `after`: the visitor's,
    the agents' and the bot's lines of their own thread, never comments."""
    return list(
        Message.objects.filter(
            thread=thread, kind__in=[Message.Kind.MESSAGE, Message.Kind.BOT], pk__gt=after
        )
        .select_related("author")
        .order_by("id")[:limit]
    )


# The files of a page of messages: those of the ticket's messages from the
# page's first to its last (a prepared query cannot prefetch).
PAGE_FILES = Prepared(
    lambda ticket, first, last: Attachment.objects.filter(
        message__ticket=ticket, message_id__gte=first, message_id__lte=last
    ),
    int,
    int,
    int,
)
# Read for every ticket opened, a row or two each: compiled once (helpdesk.prepared).
DRAFTS = Prepared(lambda user, ticket: Draft.objects.filter(user=user, ticket=ticket), int, int)
THREADS = Prepared(lambda ticket: Thread.objects.filter(ticket=ticket).select_related("inbox"), int)
UPLOADS = Prepared(
    lambda user, ticket: Attachment.objects.filter(
        uploaded_by=user, ticket=ticket, message__isnull=True
    ),
    int,
    int,
)


def conversation_for(user: User, ticket: Ticket, posted=None) -> dict:
    """The conversation pane: messages, this user's drafts, and the reply editor's
    values: what the agent just posted, else their draft, else the defaults
    (reply to the latest message, from the address the customer wrote to)."""
    threads = THREADS.objects(ticket.pk)
    messages, has_earlier = messages_for_ticket(ticket, threads=threads)
    drafts = {d.kind: d for d in DRAFTS.objects(user.pk, ticket.pk)}
    comment_draft = drafts.get(Draft.Kind.COMMENT)
    comment_html = comment_draft.html if comment_draft else ""
    if posted is not None and posted.get("kind") == Draft.Kind.COMMENT:
        comment_html, posted = posted.get("html", ""), None
    reply_draft = drafts.get(Draft.Kind.REPLY)
    addresses = sending_addresses()
    latest = next((m for m in reversed(messages) if not m.is_comment and not m.is_bot), None)
    if latest is None and has_earlier:
        latest = latest_message(ticket)
    by_id = {m.pk: m for m in messages}
    if latest:
        by_id.setdefault(latest.pk, latest)
    if posted is not None:
        reply_to = _message(ticket, _int(posted.get("reply_to")), by_id) or latest
    elif reply_draft and reply_draft.reply_to_id:
        reply_to = _message(ticket, reply_draft.reply_to_id, by_id) or latest
    else:
        reply_to = latest
    if posted is not None:
        composer = {
            "to": posted.get("to", ""),
            "cc": posted.get("cc", ""),
            "bcc": posted.get("bcc", ""),
            "html": posted.get("html", ""),
            "from_address_id": _int(posted.get("from_address")),
            "stage_id": _int(posted.get("stage")),
        }
    elif reply_draft:
        composer = {
            "to": reply_draft.to,
            "cc": reply_draft.cc,
            "bcc": reply_draft.bcc,
            "html": reply_draft.html,
            "from_address_id": reply_draft.from_address_id,
        }
    else:
        sender = default_from_address(user, reply_to, addresses)
        in_chat = bool(reply_to) and reply_to.thread.channel in THREAD_CHANNELS
        # A new email reply starts with the signatures, in the reply's language;
        # the editor changes them with its From address until the agent writes.
        signatures = (
            {}
            if in_chat
            else signatures_by_address(
                user,
                addresses,
                # Without earlier ones, the messages shown are all of them.
                reply_language(user, reply_to, None if has_earlier else messages),
            )
        )
        composer = {
            "to": ", ".join(default_recipients(ticket, reply_to)),
            "from_address_id": sender.pk if sender else None,
            "html": signatures.get(sender.pk if sender else None, ""),
            "signatures": signatures if any(signatures.values()) else {},
        }
    outside = {t.pk: t.inbox for t in threads if not t.inbox.is_help_desk}
    composer |= {
        # A conversation moved to another inbox is answered there (S14).
        "outside_inbox": outside.get(reply_to.thread_id) if reply_to else None,
        # A reply to a chat message goes into the chat: no addresses to fill.
        "in_chat": bool(reply_to) and reply_to.thread.channel in THREAD_CHANNELS,
        "reply_channel": reply_to.thread.channel if reply_to else "",
        "reply_to_id": reply_to.pk if reply_to else None,
        "reply_to_label": reply_to.sender_display if reply_to else "",
    }
    return {
        "messages": messages,
        "has_earlier": has_earlier,
        "comments_allowed": comments_allowed(ticket, user, messages, reply_draft),
        "seen_message_id": max((m.pk for m in messages), default=0),
        "reply_draft": reply_draft,
        "comment_draft": comment_draft,
        "comment_html": comment_html,
        "from_addresses": addresses,
        # Files uploaded for the message being written, by kind of editor.
        "uploads": _uploads(user, ticket),
        "composer": composer,
        "threads": threads,
        # Conversations of this ticket moved to other inboxes (S14).
        "outside": [t for t in threads if t.pk in outside],
        "help_desk_inbox_id": help_desk_inbox().pk if outside else None,
    }


def comments_allowed(ticket: Ticket, user: User, messages=None, reply_draft=None) -> bool:
    """S25: on a ticket from an inbound call, comments open once an email to the
    customer has been sent, or drafted by this agent."""
    if ticket.source != Source.PHONE:
        return True
    if messages is None:
        messages = Message.objects.filter(ticket=ticket)
        return messages.filter(direction="outbound", kind="message").exists() or (
            Draft.objects.filter(ticket=ticket, user=user, kind=Draft.Kind.REPLY).exists()
        )
    outbound = any(not m.is_inbound and not m.is_comment for m in messages)
    return outbound or reply_draft is not None


def _uploads(user: User, ticket: Ticket) -> dict:
    """Pending uploads show in the reply editor (they go with whichever message is
    sent first; a chip can be removed before sending)."""
    return {"reply": UPLOADS.objects(user.pk, ticket.pk), "comment": []}


def message_of_ticket(ticket: Ticket, pk: int | None) -> Message | None:
    """Message `pk` if it belongs to `ticket` (a posted id is never trusted)."""
    if not pk:
        return None
    return (
        Message.objects.filter(ticket=ticket, pk=pk)
        .select_related("author", "thread", "contact")
        .first()
    )


def _message(ticket: Ticket, pk: int | None, loaded: dict) -> Message | None:
    """From the loaded window, else from the database (the agent may reply to an
    earlier message they loaded)."""
    return loaded.get(pk) or message_of_ticket(ticket, pk)


def _int(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None

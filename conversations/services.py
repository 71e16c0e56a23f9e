"""Replies, comments and drafts (S16-S25). Every write here runs in one
transaction, keeps the ticket's list columns current (ARCHITECTURE rule 5), and queues
outbound mail through the outbox after commit (RELIABILITY L)."""

import contextlib
import datetime
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from crm.models import Company, Contact
from helpdesk.memo import remembered
from helpdesk.prepared import Prepared
from helpdesk.queue import enqueue
from tickets import services as ticket_services
from tickets.access import users_who_see
from tickets.models import (
    Pipeline,
    Source,
    Stage,
    Ticket,
    TicketEvent,
    TicketSettings,
    locked_ticket,
)
from tickets.services import Values
from tickets.signals import ticket_activity

from .attachments import claim_uploads, store_file
from .emails import quoted_history
from .languages import detect
from .models import (
    Attachment,
    Channel,
    Draft,
    EmailAddress,
    Inbox,
    Message,
    Notification,
    OutboundEmail,
    Signature,
    Thread,
)
from .notifications import notify, notify_followers
from .quoting import client_language, inbound_body, text_to_html
from .sanitize import MENTION, SANITIZER_VERSION, clean_editor_html, html_to_text, is_blank

PREVIEW_LENGTH = 200


@dataclass
class Collision(Exception):
    """Something arrived on the ticket after the agent opened the editor."""

    messages: list[Message]


def help_desk_inbox() -> Inbox:
    def load() -> Inbox:
        inbox, _created = Inbox.objects.get_or_create(
            is_help_desk=True, defaults={"name": "Help desk"}
        )
        return inbox

    return remembered("conversations.help_desk_inbox", load)


def latest_message(ticket: Ticket) -> Message | None:
    """The message a reply answers by default (S16): the latest one that is not
    an internal comment."""
    return (
        Message.objects.filter(ticket=ticket, kind=Message.Kind.MESSAGE)
        .select_related("thread__inbox")
        .order_by("-created_at", "-id")
        .first()
    )


def default_recipients(ticket: Ticket, reply_to: Message | None) -> list[str]:
    """Who a reply goes to: the sender of an inbound message, the recipients of
    an outbound one, else the ticket's contacts (S6)."""
    if reply_to and reply_to.is_inbound and reply_to.from_email:
        return [reply_to.from_email]
    if reply_to and not reply_to.is_inbound and reply_to.to:
        return list(reply_to.to)
    return [c.email for c in ticket.contacts.all() if c.email]


def sending_addresses() -> list[EmailAddress]:
    """The team addresses agents send from, with the teams they are default
    for (kept between checked requests, helpdesk.memo: read them only)."""
    return remembered(
        "conversations.sending_addresses",
        lambda: list(EmailAddress.objects.prefetch_related("default_for_teams")),
    )


def default_from_address(
    user: User | None, reply_to: Message | None, addresses: list[EmailAddress] | None = None
) -> EmailAddress | None:
    """The address of the thread, else the agent's team default (S17): the
    address the customer wrote to (with or without our reply token,
    name+token@), or the one our answered reply came from, so every reply of
    a thread leaves from one address. `addresses` saves a query when the
    caller already loaded sending_addresses()."""
    if addresses is None:
        addresses = sending_addresses()
    if reply_to:
        used = [*reply_to.to, *reply_to.cc] if reply_to.is_inbound else [reply_to.from_email]
        wrote_to = {_without_plus(a) for a in used}
        for address in addresses:
            if _without_plus(address.email) in wrote_to:
                return address
    if user is not None:
        for address in addresses:
            if any(t.pk in user.team_ids for t in address.default_for_teams.all()):
                return address
    return addresses[0] if addresses else None


def only_signatures(user: User, html: str) -> bool:
    """Whether `html` holds nothing but signatures the editor put in (the
    agent's, any team address's): like prefilled recipients, not a message."""
    text = html_to_text(html)
    for signature in Signature.objects.filter(Q(user=user) | Q(address__isnull=False)):
        text = text.replace(html_to_text(signature.html), "")
    return not text.strip()


# Read for every ticket opened: the agent's signatures and every address's,
# in `language` or for any language, the one for any language first. Compiled
# once (helpdesk.prepared); the few addresses' signatures are picked after.
SIGNATURES = Prepared(
    lambda user, language: Signature.objects.filter(
        Q(user=user) | Q(address__isnull=False), language__in=[language, ""]
    ).order_by("language"),
    int,
    str,
)


def signatures_by_address(
    user: User, addresses: list[EmailAddress], language: str
) -> dict[int | None, str]:
    """What a new reply starts with (issue 15), for each of `addresses` (and
    None: no address): an empty line to write on, then the agent's signature
    and the address's, each the one for `language` or else the one for any
    language; "" when neither has one. One query, so the editor can change
    signatures with its From address."""
    found = SIGNATURES.objects(user.pk, language)
    mine = [s for s in found if s.user_id]
    result = {}
    for address in [*addresses, None]:
        theirs = [s for s in found if address and s.address_id == address.pk]
        parts = [group[-1].html for group in (mine, theirs) if group]
        result[address.pk if address else None] = "<p><br></p>" + "".join(parts) if parts else ""
    return result


def _without_plus(address: str) -> str:
    local, _at, domain = address.lower().rpartition("@")
    return f"{local.split('+')[0]}@{domain}"


def reply_language(
    actor: User, reply_to: Message | None, every_message: list[Message] | None = None
) -> str:
    """The language a reply is written in, for its signature and the
    attribution above its quoted history: the customer's where their mail
    client showed it (the words it wrote above the history it quoted), else
    the agent's. `every_message`: the ticket's messages, when the caller has
    them all (no query then)."""
    customer = reply_to
    if reply_to and not reply_to.is_inbound:
        if every_message is not None:
            customer = max(
                (
                    m
                    for m in every_message
                    if m.thread_id == reply_to.thread_id
                    and m.direction == Message.Direction.INBOUND
                    and m.kind == Message.Kind.MESSAGE
                    and m.created_at <= reply_to.created_at
                ),
                key=lambda m: (m.created_at, m.pk),
                default=None,
            )
        else:
            customer = (
                Message.objects.filter(
                    thread_id=reply_to.thread_id,
                    direction=Message.Direction.INBOUND,
                    kind=Message.Kind.MESSAGE,
                    created_at__lte=reply_to.created_at,
                )
                .order_by("-created_at", "-id")
                .only("quoted_html")
                .first()
            )
    known = client_language(customer.quoted_html) if customer else ""
    return known or actor.language or settings.LANGUAGE_CODE


def reply_subject(ticket: Ticket, reply_to: Message | None) -> str:
    subject = (reply_to.subject if reply_to else "") or ticket.name
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def _thread_for(ticket: Ticket, reply_to: Message | None) -> Thread:
    if reply_to:
        return reply_to.thread
    thread = ticket.threads.order_by("-created_at", "-id").first()
    return thread or Thread.objects.create(
        ticket=ticket, inbox=help_desk_inbox(), channel=Channel.EMAIL
    )


def _check_collision(ticket: Ticket, actor: User, seen_message_id: int | None) -> None:
    """Block a send when teammates or the customer added to the ticket since the
    editor was opened (the agent's own messages do not count)."""
    if seen_message_id is None:
        return
    newer = list(
        Message.objects.filter(ticket=ticket, pk__gt=seen_message_id)
        .exclude(author=actor)
        .select_related("author")
        .order_by("created_at", "id")
    )
    if newer:
        raise Collision(newer)


def _touch(ticket: Ticket, message: Message, **fields: Any) -> None:
    """Keep the list's last activity and preview current (ARCHITECTURE rule 5),
    with the caller's other `fields` of the ticket in the same statement."""
    Ticket.objects.filter(pk=ticket.pk).update(**_touched(message, fields))


def _touched(message: Message, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "last_activity_at": message.created_at,
        "preview": message.text[:PREVIEW_LENGTH],
        **fields,
    }


def _language(ticket: Ticket, message: Message) -> dict[str, str]:
    """{"language": code} when `message`, a person's, is the first to tell the
    ticket's language (routing matches agents on it); once: a later message
    in another language does not change what routing matched. Written with
    the message's other columns of the ticket, in the same UPDATE."""
    if ticket.language:
        return {}
    found = _detected(message.subject, message.text)
    return {"language": found} if found else {}


def _detected(subject: str, text: str) -> str:
    return detect(f"{subject}\n{text}")[:10]


def opening_columns(*, subject: str, body: dict[str, Any], at: datetime.datetime) -> dict[str, Any]:
    """The columns a person's message sets on the ticket it opens (its
    preview, last activity, the customer's last word and the ticket's
    language), for ticket_create to write with the ticket: message_receive
    then finds them there and writes nothing more. A ticket has 38 indexes
    at a million tickets: an UPDATE of its last activity rewrote them all.
    `body`: the message's stored body (conversations.quoting.inbound_body);
    `at`: the moment of both the ticket and the message."""
    columns: dict[str, Any] = {
        "last_activity_at": at,
        "preview": body["text"][:PREVIEW_LENGTH],
        "last_customer_message_at": at,
    }
    found = _detected(subject[:998], body["text"])
    if found:
        columns["language"] = found
    return columns


def _stamp_message_id(message: Message) -> None:
    """Our Message-ID for an outgoing email, fixed before the first attempt:
    a retried send reuses it."""
    domain = message.from_email.rpartition("@")[2] or "helpdesk.local"
    message.message_id = f"<t{message.ticket_id}.m{message.pk}.{secrets.token_hex(8)}@{domain}>"
    message.save(update_fields=["message_id"])


def reply_send(
    *,
    actor: User,
    ticket: Ticket,
    html: str,
    to: list[str],
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    from_address: EmailAddress | None = None,
    reply_to: Message | None = None,
    stage: Stage | None = None,
    stage_values: Values | None = None,
    seen_message_id: int | None = None,
    attachments: Iterable[int | str] = (),
    subject: str = "",
) -> Message:
    """Send an email reply on the ticket (S16-S21).

    Stores the outbound message and its outbox row in one transaction; the mail
    leaves from a task after commit. Threading headers follow `reply_to` (the
    latest message by default). `stage` is the status the agent chose to set in the
    same action (S20); without one, the pipeline's "after an agent's reply" status
    applies, so automation never overrides the agent's choice (S21). Raises
    Collision when someone else wrote on the ticket after `seen_message_id`.
    """
    html = clean_editor_html(html)
    if is_blank(html):
        raise ValidationError({"html": _("Write a message before sending.")})
    reply_to = reply_to or latest_message(ticket)
    if reply_to and reply_to.ticket_id != ticket.pk:
        raise ValidationError(_("That message belongs to another ticket."))
    if reply_to and not reply_to.thread.inbox.is_help_desk:
        raise ValidationError(
            _(
                "This conversation is in the “%(inbox)s” inbox. Move it back to the help "
                "desk to reply here."
            )
            % {"inbox": reply_to.thread.inbox.name}
        )
    if reply_to and reply_to.thread.channel in THREAD_CHANNELS:
        return thread_reply_send(
            actor=actor, ticket=ticket, html=html, reply_to=reply_to, stage=stage,
            stage_values=stage_values, seen_message_id=seen_message_id,
        )  # fmt: skip
    if not (to or cc or bcc):
        raise ValidationError({"to": _("Add at least one recipient (To, CC or BCC).")})
    sender = from_address or default_from_address(actor, reply_to)
    if only_signatures(actor, html):
        raise ValidationError({"html": _("Write a message before sending.")})
    with transaction.atomic():
        ticket = locked_ticket(ticket.pk)
        _check_collision(ticket, actor, seen_message_id)
        references = " ".join(
            part
            for part in (
                (reply_to.references if reply_to else ""),
                (reply_to.message_id if reply_to else ""),
            )
            if part
        )
        message = Message.objects.create(
            thread=_thread_for(ticket, reply_to),
            ticket=ticket,
            kind=Message.Kind.MESSAGE,
            sanitizer_version=SANITIZER_VERSION,
            direction=Message.Direction.OUTBOUND,
            author=actor,
            from_name=sender.display_name if sender else actor.display_name,
            from_email=sender.email if sender else settings.DEFAULT_FROM_EMAIL,
            to=list(to),
            cc=list(cc),
            bcc=list(bcc),
            subject=subject or reply_subject(ticket, reply_to),
            html=html,
            # The history below the reply, folded in our view as mail clients do.
            quoted_html=(
                quoted_history(
                    reply_to,
                    language=reply_language(actor, reply_to),
                    time_zone=actor.time_zone,
                )
                if reply_to
                else ""
            ),
            text=html_to_text(html),
            in_reply_to=reply_to.message_id if reply_to else "",
            references=references[-4000:],
            reply_to=reply_to,
        )
        _stamp_message_id(message)
        _attach_uploads(actor, ticket, message, attachments)
        outbound = OutboundEmail.objects.create(message=message)
        _touch(ticket, message)
        _after_agent_reply(actor, ticket, stage, stage_values, message)
        transaction.on_commit(lambda: enqueue(OutboundEmail.send_task, outbound.pk))
    return message


def ticket_start_by_email(
    *,
    actor: User,
    subject: str,
    html: str,
    to: list[str],
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    from_address: EmailAddress | None = None,
    contacts: Iterable[Contact] = (),
    companies: Iterable[Company] = (),
) -> Ticket:
    """Email a contact or company from its record (S13): a new ticket owned by
    the sender, in the first pipeline's first open status, with the email as its
    first message. Nothing is created when the email is not valid."""
    subject = " ".join(subject.split())[:255]
    if not subject:
        raise ValidationError({"subject": _("Give the email a subject.")})
    if is_blank(clean_editor_html(html)):
        raise ValidationError({"html": _("Write a message before sending.")})
    if not (to or cc or bcc):
        raise ValidationError({"to": _("Add at least one recipient (To, CC or BCC).")})
    pipeline = Pipeline.objects.order_by("position", "id").first()
    stage = pipeline.first_open_stage() if pipeline else None
    if pipeline is None or stage is None:
        raise ValidationError(_("Set up a pipeline with an open status first."))
    with transaction.atomic():
        ticket = ticket_services.ticket_create(
            actor=actor,
            name=subject,
            pipeline=pipeline,
            stage=stage,
            owner=actor,
            team=actor.main_team,
            source=Source.EMAIL,
            contacts=contacts,
            companies=companies,
        )
        reply_send(
            actor=actor,
            ticket=ticket,
            html=html,
            to=to,
            cc=cc,
            bcc=bcc,
            from_address=from_address,
            subject=subject,
        )
    return ticket


# Channels whose replies stay on the thread instead of going out by email. A
# channel app registers what else a reply needs (Messenger: its Send API).
THREAD_CHANNELS = {Channel.CHAT, Channel.MESSENGER}
ThreadReplyHook = Callable[[Message], None]
THREAD_REPLY_HOOKS: dict[str, ThreadReplyHook] = {}


def register_thread_reply_hook(channel: str) -> Callable[[ThreadReplyHook], ThreadReplyHook]:
    def register(function: ThreadReplyHook) -> ThreadReplyHook:
        THREAD_REPLY_HOOKS[channel] = function
        return function

    return register


def thread_reply_send(
    *,
    actor: User,
    ticket: Ticket,
    html: str,
    reply_to: Message,
    stage: Stage | None = None,
    stage_values: Values | None = None,
    seen_message_id: int | None = None,
) -> Message:
    """A reply in a chat or Messenger conversation: stored on its thread (the
    chat window shows it; Messenger's hook queues it for the Send API); nothing
    is mailed. Same collision check and statuses as an email reply (S20, S21)."""
    with transaction.atomic():
        ticket = locked_ticket(ticket.pk)
        _check_collision(ticket, actor, seen_message_id)
        message = Message.objects.create(
            thread=reply_to.thread,
            ticket=ticket,
            kind=Message.Kind.MESSAGE,
            direction=Message.Direction.OUTBOUND,
            author=actor,
            sanitizer_version=SANITIZER_VERSION,
            from_name=actor.display_name,
            html=html,
            text=html_to_text(html),
            reply_to=reply_to,
        )
        hook = THREAD_REPLY_HOOKS.get(reply_to.thread.channel)
        if hook:
            hook(message)
        _touch(ticket, message)
        _after_agent_reply(actor, ticket, stage, stage_values, message)
    return message


def _after_agent_reply(
    actor: User,
    ticket: Ticket,
    stage: Stage | None,
    stage_values: Values | None,
    message: Message,
) -> None:
    """What every agent reply does, whatever its channel: the status the agent
    chose, else the pipeline's "after an agent's reply" one (S20, S21), and the
    reply draft is gone."""
    if stage is None:
        stage = _automatic_stage(ticket)
    # First the reply counts (SLA), then the status it sets.
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(last_agent_reply_at=now)
    ticket.last_agent_reply_at = now
    ticket_activity.send(
        Ticket, ticket=ticket, kind="agent_reply", at=now, message=message, actor=actor
    )
    target = stage
    if target and target.pk != ticket.stage_id:
        ticket_services.ticket_set_stage(
            actor=actor, ticket=ticket, stage=target, **_split(stage_values)
        )
    Draft.objects.filter(user=actor, ticket=ticket, kind=Draft.Kind.REPLY).delete()


def _automatic_stage(ticket: Ticket) -> Stage | None:
    """The pipeline's "after an agent's reply" status. One of another pipeline
    (a setting Pipeline.clean and PostgreSQL refuse, older data may hold) stops
    the reply with a message saying so, rather than failing it silently."""
    stage = ticket.pipeline.stage_on_agent_reply
    if stage is not None and stage.pipeline_id != ticket.pipeline_id:
        raise ValidationError(
            _(
                "This pipeline's status after an agent's reply, “%(stage)s”, belongs to "
                "another pipeline, so nothing was sent. Choose a status to set with the "
                "reply, or ask an admin to correct the pipeline."
            )
            % {"stage": stage.local_name}
        )
    return stage


def _attach_uploads(
    actor: User, ticket: Ticket, message: Message, ids: Iterable[int | str]
) -> None:
    """Move the author's pending uploads onto the message they were written for."""
    uploads = claim_uploads(user=actor, ticket=ticket, ids=ids)
    Attachment.objects.filter(pk__in=[a.pk for a in uploads]).update(message=message)


def _split(values: Values | None) -> Values:
    """Stage values as ticket_set_stage takes them: built-ins by name, the rest
    as custom properties."""
    values = dict(values or {})
    builtin = {
        k: values.pop(k)
        for k in list(values)
        if k in ("owner", "team", "priority", "category", "description")
    }
    return {**builtin, "properties": values}


def mentioned_users(html: str, ticket: Ticket, actor: User) -> list[User]:
    """The teammates an (already cleaned) comment mentions who may see the ticket:
    nobody is told about a ticket they cannot open (S3)."""
    ids = {int(pk) for pk in MENTION.findall(html)} - {actor.pk}
    return list(users_who_see(ticket).filter(pk__in=ids))


def comment_add(
    *,
    actor: User,
    ticket: Ticket,
    html: str,
    seen_message_id: int | None = None,
    attachments: Iterable[int | str] = (),
) -> Message:
    """Add an internal comment (S24): stored in the thread, never sent. Each
    mentioned teammate who can see the ticket gets a notification in the app and
    by email (the email after commit)."""
    html = clean_editor_html(html)
    if is_blank(html):
        raise ValidationError({"html": _("Write a comment before saving it.")})
    with transaction.atomic():
        ticket = locked_ticket(ticket.pk)
        _check_collision(ticket, actor, seen_message_id)
        message = Message.objects.create(
            thread=_thread_for(ticket, None),
            ticket=ticket,
            kind=Message.Kind.COMMENT,
            sanitizer_version=SANITIZER_VERSION,
            direction=Message.Direction.OUTBOUND,
            author=actor,
            from_name=actor.display_name,
            html=html,
            text=html_to_text(html),
        )
        _attach_uploads(actor, ticket, message, attachments)
        Draft.objects.filter(user=actor, ticket=ticket, kind=Draft.Kind.COMMENT).delete()
        mentioned = mentioned_users(html, ticket, actor)
        notify(
            [
                Notification(user=user, ticket=ticket, message=message, actor=actor)
                for user in mentioned
            ]
        )
        # Followers hear of the comment; the mentioned were just told.
        notify_followers(
            ticket,
            kind=Notification.Kind.COMMENT,
            actor=actor,
            message=message,
            skip=[u.pk for u in mentioned],
        )
        if mentioned and TicketSettings.current().mentioned_follow:
            ticket_services.followers_add(ticket, mentioned)
        ticket_activity.send(
            Ticket,
            ticket=ticket,
            kind="comment",
            at=message.created_at,
            message=message,
            actor=actor,
        )
    return message


def draft_save(
    *,
    user: User,
    ticket: Ticket,
    kind: str,
    html: str,
    seen_message_id: int | None = None,
    **fields: Any,
) -> Draft | None:
    """Save what the agent typed (S19); an editor with no text removes the draft.
    Recipients and signatures alone are not a draft: they are prefilled when a
    ticket opens.

    An autosave can still be on its way when its text is sent. When the user
    has sent a reply (or comment) after `seen_message_id`, the latest message
    of the page the editor belongs to, that editor's text is gone already and
    the save is dropped. The ticket row is locked, like sending locks it, so a
    save and a send are ordered: sent text never comes back as a draft."""
    html = clean_editor_html(html)
    with transaction.atomic():
        Ticket.objects.locked(ticket.pk).first()
        if seen_message_id is not None:
            sent = Message.objects.filter(ticket=ticket, author=user, pk__gt=seen_message_id)
            if kind == Draft.Kind.COMMENT:
                sent = sent.filter(kind=Message.Kind.COMMENT)
            else:
                sent = sent.filter(kind=Message.Kind.MESSAGE, direction=Message.Direction.OUTBOUND)
            if sent.exists():
                return None
        if is_blank(html) or (kind == Draft.Kind.REPLY and only_signatures(user, html)):
            Draft.objects.filter(user=user, ticket=ticket, kind=kind).delete()
            return None
        draft, _created = Draft.objects.update_or_create(
            user=user, ticket=ticket, kind=kind, defaults={"html": html, **fields}
        )
    return draft


def visitor_associate(
    *,
    actor: User,
    message: Message,
    contact: Contact | None = None,
    new_contact: dict[str, str] | None = None,
) -> Contact:
    """Link an unknown visitor's message to a contact, existing or new (S22).

    Every message this visitor left on the ticket (same name and address, no
    contact yet) moves to the contact, the ticket is associated with them, and
    the list shows their name. Linking is an agent's action: a visitor typing
    someone's email never sees that person's conversations (RELIABILITY 35).
    """
    if not message.is_inbound or message.contact_id:
        raise ValidationError(_("This message already belongs to a contact."))
    with transaction.atomic():
        if contact is None:
            contact = Contact.objects.create(**(new_contact or {}))
        Message.objects.filter(
            ticket=message.ticket_id,
            direction=Message.Direction.INBOUND,
            contact__isnull=True,
            from_name=message.from_name,
            from_email=message.from_email,
        ).update(contact=contact)
        ticket_services.ticket_associate(actor=actor, ticket=message.ticket, record=contact)
    return contact


def message_move(*, actor: User, message: Message, to_ticket: Ticket | None = None) -> Ticket:
    """Correct a customer's message that joined the wrong ticket (ARCHITECTURE
    rule 3): move it with its files to a ticket of its own (`to_ticket` None:
    same pipeline, team and contact, first open status) or to `to_ticket`.

    The two tickets are linked and both timelines say who moved it; the
    message says so on hover. A later reply to it follows it, since threading
    finds its Message-ID on the ticket it is on now. Returns the destination.
    """
    if message.is_comment or not message.is_inbound:
        raise ValidationError(_("Only a customer's message can be moved to another ticket."))
    if message.thread.visitor_key:
        raise ValidationError(_("Chat and Messenger messages stay in their conversation."))
    if to_ticket is not None and to_ticket.pk == message.ticket_id:
        raise ValidationError(_("The message is already on this ticket."))
    with transaction.atomic():
        ids = [message.ticket_id, *([to_ticket.pk] if to_ticket else [])]
        locked = {t.pk: t for t in Ticket.objects.locked(*ids).alive().select_related("pipeline")}
        source = locked.get(message.ticket_id)
        if source is None or (to_ticket is not None and to_ticket.pk not in locked):
            raise ValidationError(_("That ticket was deleted."))
        others = Message.objects.filter(ticket=source, kind=Message.Kind.MESSAGE).exclude(
            pk=message.pk
        )
        if not others.exists():
            raise ValidationError(
                _("This is the ticket's only message: there is nothing to separate it from.")
            )
        contacts = [message.contact] if message.contact is not None else []
        if to_ticket is None:
            stage = source.pipeline.stages.filter(is_closed=False, required_properties=[]).first()
            if stage is None:
                raise ValidationError(
                    _("The pipeline has no open status without required properties.")
                )
            to_ticket = ticket_services.ticket_create(
                actor=actor,
                name=(message.subject or source.name)[:255],
                pipeline=source.pipeline,
                stage=stage,
                team=source.team,
                source=source.source,
                contacts=contacts,
            )
        else:
            to_ticket = locked[to_ticket.pk]
            for contact in contacts:
                ticket_services.ticket_associate(actor=actor, ticket=to_ticket, record=contact)
        old_thread = message.thread
        thread = Thread.objects.create(
            ticket=to_ticket, inbox=old_thread.inbox, channel=old_thread.channel
        )
        Message.objects.filter(pk=message.pk).update(
            ticket=to_ticket,
            thread=thread,
            joined_by=Message.JoinedBy.MOVED,
            joined_ticket_id=source.pk,
        )
        Attachment.objects.filter(message=message).update(ticket=to_ticket)
        if not old_thread.messages.exists():
            old_thread.delete()
        if not source.linked_tickets.filter(pk=to_ticket.pk).exists():
            ticket_services.ticket_link(actor=actor, ticket=source, other=to_ticket)
        TicketEvent.objects.bulk_create(
            TicketEvent(
                ticket=t,
                actor=actor,
                kind=TicketEvent.Kind.MESSAGE_MOVED,
                field="message",
                old_value=f"#{source.pk}",
                new_value=f"#{to_ticket.pk}",
            )
            for t in (source, to_ticket)
        )
        for ticket in (source, to_ticket):
            latest = Message.objects.filter(ticket=ticket).order_by("-created_at", "-id").first()
            if latest is not None:
                _touch(ticket, latest)
    message.refresh_from_db()
    return to_ticket


def bot_message_add(*, thread: Thread, text: str) -> Message:
    """A chat widget's bot answer, kept in the conversation it was part of
    (S12): shown to agents and the visitor, never counted as an agent's reply."""
    return Message.objects.create(
        thread=thread,
        ticket_id=thread.ticket_id,
        kind=Message.Kind.BOT,
        direction=Message.Direction.OUTBOUND,
        subject=thread.ticket.name[:998],
        html=text_to_html(text),
        text=text,
    )


@dataclass
class InboundFile:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""


def message_receive(
    *,
    ticket: Ticket,
    thread: Thread | None,
    channel: str,
    contact: Contact | None,
    from_name: str,
    from_email: str,
    to: list[str],
    cc: list[str],
    subject: str,
    html: str,
    text: str,
    message_id: str = "",
    in_reply_to: str = "",
    references: str = "",
    files: Sequence[InboundFile] = (),
    automatic: bool = False,
    joined_by: str = "",
    joined_ticket_id: int | None = None,
    new_ticket: bool = False,
    dmarc: str = "",
    reply_to: Message | None = None,
    body: dict[str, Any] | None = None,
    at: datetime.datetime | None = None,
) -> Message:
    """Store a customer's message on `ticket` (channels call this, ARCHITECTURE
    rule 3): body cleaned and its quoted history split off, files stored under
    our names with the type decided by content, the list columns updated. A
    person's reply applies the pipeline's "after the customer's reply" status
    (S21); an automatic one (out of office) changes nothing (RELIABILITY 23).
    `new_ticket`: the caller created `ticket` for this message in its
    transaction (nothing to lock, no status to change, no message to answer).
    `reply_to`: the message of `ticket` whose Message-ID is `in_reply_to`,
    when the caller has found it already (else it is looked up). `body`: the
    cleaned body (inbound_body), when the caller has it already; `at`: the
    message's moment, when the ticket it opens was created with it.
    """
    with transaction.atomic(savepoint=False):  # see ticket_create
        if not new_ticket:
            ticket = locked_ticket(ticket.pk)
        if thread is None:
            thread = Thread.objects.create(ticket=ticket, inbox=help_desk_inbox(), channel=channel)
        if reply_to is None and in_reply_to and not new_ticket:
            reply_to = Message.objects.filter(ticket=ticket, message_id=in_reply_to).first()
        message = Message.objects.create(
            thread=thread,
            ticket=ticket,
            kind=Message.Kind.MESSAGE,
            direction=Message.Direction.INBOUND,
            contact=contact,
            from_name=from_name[:200],
            from_email=from_email,
            to=list(to),
            cc=list(cc),
            subject=subject[:998],
            **(body or inbound_body(html=html, text=text)),
            message_id=message_id[:998],
            in_reply_to=in_reply_to[:998],
            references=references[-4000:],
            reply_to=reply_to,
            joined_by=joined_by,
            joined_ticket_id=joined_ticket_id,
            dmarc=dmarc[:10],
            is_automatic=automatic,
            created_at=at or timezone.now(),
        )
        for file in files:
            store_file(ticket=ticket, message=message, file=file)
        # A person's message also stamps the customer's last word (and the
        # ticket's language, from the first), in the same UPDATE.
        columns: dict[str, Any] = {}
        if not automatic:
            columns |= _language(ticket, message)
            columns["last_customer_message_at"] = message.created_at
        # A ticket its message opened holds them all already (ticket_create
        # wrote `opening_columns`): its 38 indexes are not written twice.
        touched = _touched(message, columns)
        if not new_ticket or any(getattr(ticket, k) != v for k, v in touched.items()):
            _touch(ticket, message, **columns)
        for field, value in columns.items():
            setattr(ticket, field, value)
        if not automatic:
            ticket_activity.send(
                Ticket,
                ticket=ticket,
                kind="customer_message",
                at=message.created_at,
                message=message,
                new_ticket=new_ticket,
            )
        target = (
            None
            if new_ticket or automatic
            else Pipeline.settings_of(ticket.pipeline_id).stage_on_customer_reply
        )
        if target and (target.is_closed or target.pipeline_id != ticket.pipeline_id):
            target = None  # a setting Pipeline.clean refuses: never close on a customer's word
        if target and target.pk != ticket.stage_id and ticket.messages.count() > 1:
            # A conditional status the ticket cannot enter yet is left to an agent.
            with contextlib.suppress(ValidationError):
                ticket_services.ticket_set_stage(actor=None, ticket=ticket, stage=target)
    return message


def system_comment_add(*, ticket: Ticket, html: str, by: str) -> Message:
    """An internal comment written by automation (a rule named `by`): no
    author, no mentions, nobody to tell but the followers."""
    html = clean_editor_html(html)
    if is_blank(html):
        raise ValidationError({"html": _("Write a comment before saving it.")})
    with transaction.atomic():
        ticket = locked_ticket(ticket.pk)
        message = Message.objects.create(
            thread=_thread_for(ticket, None),
            ticket=ticket,
            kind=Message.Kind.COMMENT,
            sanitizer_version=SANITIZER_VERSION,
            direction=Message.Direction.OUTBOUND,
            from_name=by[:200],
            html=html,
            text=html_to_text(html),
            is_automatic=True,
        )
        notify_followers(ticket, kind=Notification.Kind.COMMENT, message=message)
    return message


class AutoReplyRefused(Exception):
    """Why an automatic email was not sent (the rule's timeline says nothing)."""


# At most one automatic email to a contact in this long (RFC 3834 section 2).
AUTO_REPLY_INTERVAL = datetime.timedelta(hours=1)


def auto_reply_send(*, ticket: Ticket, subject: str, html: str, by: str) -> Message:
    """Email the customer on behalf of a rule named `by`: to the sender of the
    ticket's latest customer email, from the address it was written to, with
    RFC 3834's Auto-Submitted: auto-replied. Refused (AutoReplyRefused) when
    that message was itself automatic, the ticket is spam, the address bounced,
    the conversation is not email, or the contact already had an automatic
    email within AUTO_REPLY_INTERVAL: two robots must never talk forever."""
    html = clean_editor_html(html)
    if is_blank(html):
        raise ValidationError({"html": _("Write a message before sending.")})
    latest = (
        Message.objects.filter(
            ticket=ticket, direction=Message.Direction.INBOUND, kind=Message.Kind.MESSAGE
        )
        .select_related("thread__inbox", "contact")
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None or not latest.from_email:
        raise AutoReplyRefused("no customer email to answer")
    if latest.thread.channel in THREAD_CHANNELS:
        raise AutoReplyRefused("the conversation is not email")
    if latest.is_automatic:
        raise AutoReplyRefused("the customer's message was automatic")
    if ticket.is_spam:
        raise AutoReplyRefused("the ticket is spam")
    contact = latest.contact
    if contact is not None and contact.email_bounced_at is not None:
        raise AutoReplyRefused("the address bounced")
    recently = Message.objects.filter(
        direction=Message.Direction.OUTBOUND,
        is_automatic=True,
        kind=Message.Kind.MESSAGE,
        created_at__gte=timezone.now() - AUTO_REPLY_INTERVAL,
    )
    if recently.filter(contact=contact if contact else None, to=[latest.from_email]).exists():
        raise AutoReplyRefused("an automatic email went to this address within the hour")
    sender = default_from_address(None, latest)
    with transaction.atomic():
        ticket = locked_ticket(ticket.pk)
        message = Message.objects.create(
            thread=latest.thread,
            ticket=ticket,
            kind=Message.Kind.MESSAGE,
            sanitizer_version=SANITIZER_VERSION,
            direction=Message.Direction.OUTBOUND,
            contact=contact,
            from_name=sender.display_name if sender else by[:200],
            from_email=sender.email if sender else settings.DEFAULT_FROM_EMAIL,
            to=[latest.from_email],
            subject=(subject or reply_subject(ticket, latest))[:998],
            html=html,
            text=html_to_text(html),
            in_reply_to=latest.message_id,
            references=" ".join(p for p in (latest.references, latest.message_id) if p)[-4000:],
            reply_to=latest,
            is_automatic=True,
        )
        _stamp_message_id(message)
        outbound = OutboundEmail.objects.create(message=message)
        transaction.on_commit(lambda: enqueue(OutboundEmail.send_task, outbound.pk))
    return message


def message_import(
    *,
    ticket: Ticket,
    kind: str,
    direction: str,
    created_at: datetime.datetime,
    external_id: str,
    html: str = "",
    text: str = "",
    author: User | None = None,
    contact: Contact | None = None,
    from_name: str = "",
    from_email: str = "",
    subject: str = "",
) -> Message | None:
    """Add one message of another system's history to an existing ticket
    (imports, a second run of a file): a customer message, an agent's reply
    or an internal comment, at the time it was written. Never sent: this
    writes no outbox row. Kept once per (ticket, external_id): returns None
    when the ticket has it already. The body is foreign HTML or text and is
    cleaned like inbound mail (ARCHITECTURE rule 7). The list columns move
    only when the message is newer than the ticket's last activity; a
    customer's message tells ticket_activity, which callers run inside
    `tickets.services.importing()`."""
    with transaction.atomic():
        ticket = locked_ticket(ticket.pk)
        if Message.objects.filter(ticket=ticket, external_id=external_id).exists():
            return None
        thread = ticket.threads.order_by("created_at", "id").first() or Thread.objects.create(
            ticket=ticket, inbox=help_desk_inbox(), channel=Channel.EMAIL
        )
        message = Message.objects.create(
            thread=thread,
            ticket=ticket,
            kind=kind,
            direction=direction,
            author=author,
            contact=contact,
            from_name=from_name[:200],
            from_email=from_email,
            subject=subject[:998],
            **inbound_body(html=html, text=text),
            external_id=external_id,
            created_at=created_at,
        )
        if kind == Message.Kind.COMMENT:
            return message
        columns: dict[str, Any] = {}
        if created_at >= ticket.last_activity_at:
            columns.update(last_activity_at=created_at, preview=message.text[:200])
        if direction == Message.Direction.INBOUND:
            columns.update(_language(ticket, message))
            if (
                ticket.last_customer_message_at is None
                or created_at > ticket.last_customer_message_at
            ):
                columns["last_customer_message_at"] = created_at
        elif ticket.last_agent_reply_at is None or created_at > ticket.last_agent_reply_at:
            columns["last_agent_reply_at"] = created_at
        if columns:
            Ticket.objects.filter(pk=ticket.pk).update(**columns)
            for field, value in columns.items():
                setattr(ticket, field, value)
        activity = "customer_message" if direction == Message.Direction.INBOUND else "agent_reply"
        ticket_activity.send(Ticket, ticket=ticket, kind=activity, at=created_at, message=message)
    return message

"""Split, merge, and moving a conversation to another inbox (S11, S14).

These live here rather than in tickets.services because they move threads,
messages and files, which this app owns (dependencies point one way). What
they do to the tickets themselves (creating, closing, linking, events) goes
through tickets.services.

Every function locks the tickets it touches in id order, so two agents
merging or splitting the same pair cannot deadlock, and refuses a deleted
ticket with a sentence an agent can act on.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.html import escape
from django.utils.translation import gettext as _

from accounts.models import User
from tickets import services as ticket_services
from tickets.indexing import refresh_search_vectors
from tickets.models import Follower, Stage, Ticket, TicketEvent

from .models import Attachment, Draft, Inbox, Message, Thread
from .quoting import text_to_html
from .sanitize import SANITIZER_VERSION, html_to_text
from .services import _touch, comment_add, help_desk_inbox

ASSOCIATIONS = (Ticket.contacts, Ticket.companies, Ticket.deals)


def _lock(*ids: int) -> dict[int, Ticket]:
    """The live tickets among `ids`, locked."""
    return {
        t.pk: t
        for t in Ticket.objects.locked(*ids)
        .alive()
        .select_related("pipeline", "stage", "owner", "team")
    }


def _touch_latest(ticket: Ticket) -> None:
    latest = Message.objects.filter(ticket=ticket).order_by("-created_at", "-id").first()
    if latest is not None:
        _touch(ticket, latest)


def _event(ticket: Ticket, actor, kind: str, field: str, old: str = "", new: str = ""):
    return TicketEvent(
        ticket=ticket, actor=actor, kind=kind, field=field, old_value=old, new_value=new
    )


def ticket_split(
    *,
    actor: User,
    ticket: Ticket,
    message_ids,
    name: str,
    stage: Stage,
    properties=None,
    **fields,
) -> Ticket:
    """Move the chosen messages of `ticket` into a new ticket named `name`, in
    `stage` of its pipeline (S11). Returns the new ticket.

    Files go with their messages. A conversation whose every message is chosen
    moves whole, keeping its reply address, so the customer's next reply
    follows it; one chosen in part gets a new conversation on the same channel
    for the chosen messages. A chat or Messenger conversation only moves whole
    (its visitor stays with one conversation). The new ticket gets the owner,
    team, priority and category of the old one unless `fields` say otherwise,
    the contacts who wrote the chosen messages (else the old ticket's), and
    its followers. The two tickets are linked and both timelines say so. At
    least one message must stay behind: splitting everything is a move, not a
    split.
    """
    name = " ".join((name or "").split())[:255]
    if not name:
        raise ValidationError({"name": _("Give the new ticket a name.")})
    ids = {int(pk) for pk in message_ids}
    if not ids:
        raise ValidationError({"messages": _("Choose at least one message to split off.")})
    with transaction.atomic():
        source = _lock(ticket.pk).get(ticket.pk)
        if source is None:
            raise ValidationError(_("This ticket was deleted."))
        chosen = list(
            Message.objects.filter(ticket=source, pk__in=ids).select_related("thread", "contact")
        )
        if len(chosen) != len(ids):
            raise ValidationError(
                {"messages": _("Some of the chosen messages are no longer on this ticket.")}
            )
        if len(chosen) >= Message.objects.filter(ticket=source).count():
            raise ValidationError(
                {
                    "messages": _(
                        "Leave at least one message on this ticket: a split moves some "
                        "messages, not all of them."
                    )
                }
            )
        threads = {m.thread_id: m.thread for m in chosen}
        remaining = dict.fromkeys(threads, 0)
        for thread_id in (
            Message.objects.filter(thread__in=threads)
            .exclude(pk__in=ids)
            .values_list("thread_id", flat=True)
        ):
            remaining[thread_id] += 1
        for thread_id, left in remaining.items():
            if left and threads[thread_id].visitor_key:
                raise ValidationError(
                    {
                        "messages": _(
                            "A chat or Messenger conversation moves as a whole: choose all "
                            "of its messages or none."
                        )
                    }
                )
        contacts = list({m.contact for m in chosen if m.contact_id}) or list(source.contacts.all())
        values = {
            "owner": source.owner,
            "team": source.team,
            "priority": source.priority,
            "category": source.category,
            **fields,
        }
        new = ticket_services.ticket_create(
            actor=actor,
            name=name,
            pipeline=stage.pipeline,
            stage=stage,
            source=source.source,
            properties=properties,
            contacts=contacts,
            companies={c.company for c in contacts if c.company_id},
            **values,
        )
        for thread_id, left in remaining.items():
            if left:
                old = threads[thread_id]
                thread = Thread.objects.create(ticket=new, inbox=old.inbox, channel=old.channel)
                Message.objects.filter(
                    pk__in=[m.pk for m in chosen if m.thread_id == thread_id]
                ).update(ticket=new, thread=thread)
            else:
                Thread.objects.filter(pk=thread_id).update(ticket=new)
                Message.objects.filter(thread_id=thread_id).update(ticket=new)
        Attachment.objects.filter(message__in=ids).update(ticket=new)
        # A draft answering a message that left answers the latest one instead.
        Draft.objects.filter(ticket=source, reply_to__in=ids).update(reply_to=None)
        ticket_services.followers_add(new, source.followers.all())
        ticket_services.ticket_link(actor=actor, ticket=source, other=new)
        TicketEvent.objects.bulk_create(
            [
                _event(source, actor, TicketEvent.Kind.SPLIT, "to", str(len(chosen)), f"#{new.pk}"),
                _event(
                    new, actor, TicketEvent.Kind.SPLIT, "from", str(len(chosen)), f"#{source.pk}"
                ),
            ]
        )
        _touch_latest(source)
        _touch_latest(new)
    return new


def _closing_stage(ticket: Ticket) -> Stage:
    """The status a merged ticket is closed with: its pipeline's first closed
    one, preferring one that requires nothing. What a closed status requires
    is asked of agents closing a ticket; a merge closes it as merged."""
    closed = list(ticket.pipeline.stages.filter(is_closed=True))
    if not closed:
        raise ValidationError(
            _("The pipeline “%(pipeline)s” has no closed status to close the merged ticket with.")
            % {"pipeline": ticket.pipeline.local_name}
        )
    return next((s for s in closed if not s.required_properties), closed[0])


def ticket_merge(*, actor: User, ticket: Ticket, into: Ticket) -> Ticket:
    """Merge `ticket` into `into`, the primary ticket (S11). Returns the primary.

    Its conversations, messages, files, drafts, associations, followers and
    links move to the primary. It is closed (the first closed status of its
    pipeline), keeps a pointer to the primary (its address redirects there;
    a customer reply that names its number joins the primary), and both
    timelines say so. A description of its own becomes an internal comment on
    the primary. Nothing is deleted: only moved.
    """
    if ticket.pk == into.pk:
        raise ValidationError(_("A ticket cannot be merged into itself."))
    with transaction.atomic():
        locked = _lock(ticket.pk, into.pk)
        if into.pk not in locked:
            raise ValidationError(
                _("#%(number)s was deleted. Restore it before merging into it.")
                % {"number": into.pk}
            )
        if ticket.pk not in locked:
            raise ValidationError(_("This ticket was deleted."))
        source, primary = locked[ticket.pk], locked[into.pk]
        if source.merged_into_id:
            raise ValidationError(
                _("This ticket was already merged into #%(number)s.")
                % {"number": source.merged_into_id}
            )
        if primary.merged_into_id:
            raise ValidationError(
                _("#%(number)s was merged into #%(primary)s: merge into that one instead.")
                % {"number": primary.pk, "primary": primary.merged_into_id}
            )
        closing = _closing_stage(source)

        Thread.objects.filter(ticket=source).update(ticket=primary)
        Message.objects.filter(ticket=source).update(ticket=primary)
        Attachment.objects.filter(ticket=source).update(ticket=primary)
        _merge_drafts(source, primary)
        added = _merge_associations(source, primary)
        ticket_services.followers_add(primary, source.followers.all())
        Follower.objects.filter(ticket=source).delete()
        for linked in source.linked_tickets.exclude(pk=primary.pk):
            if not primary.linked_tickets.filter(pk=linked.pk).exists():
                primary.linked_tickets.add(linked)
        source.linked_tickets.remove(primary)
        # Tickets merged into this one before now point at the survivor.
        Ticket.objects.filter(merged_into=source).update(merged_into=primary)

        events = [
            _event(primary, actor, TicketEvent.Kind.MERGED, "from", source.name, f"#{source.pk}"),
            _event(source, actor, TicketEvent.Kind.MERGED, "into", primary.name, f"#{primary.pk}"),
        ]
        events += [
            _event(primary, actor, TicketEvent.Kind.ASSOCIATED, kind, new=str(record))
            for kind, record in added
        ]
        TicketEvent.objects.bulk_create(events)
        if source.description.strip():
            _description_comment(actor, source, primary)

        source.merged_into = primary
        if source.stage_id != closing.pk:
            ticket_services.enter_stage(source, actor, closing)
        else:
            Ticket.objects.filter(pk=source.pk).update(merged_into=primary)
        Ticket.objects.filter(pk=primary.pk).update(
            contact_name=ticket_services.contact_name(primary)
        )
        refresh_search_vectors([primary.pk])
        _touch_latest(primary)
    return primary


def _merge_drafts(source: Ticket, primary: Ticket) -> None:
    """Unsent text moves too; an agent with a draft on both keeps both texts."""
    theirs = {(d.user_id, d.kind): d for d in Draft.objects.filter(ticket=primary)}
    for draft in Draft.objects.filter(ticket=source):
        kept = theirs.get((draft.user_id, draft.kind))
        if kept is None:
            Draft.objects.filter(pk=draft.pk).update(ticket=primary)
        else:
            Draft.objects.filter(pk=kept.pk).update(html=f"{kept.html}{draft.html}")
            draft.delete()


def _merge_associations(source: Ticket, primary: Ticket) -> list[tuple[str, object]]:
    """Add the source's contacts, companies and deals the primary lacks."""
    added = []
    for relation in ASSOCIATIONS:
        field = relation.field
        records = getattr(source, field.name).exclude(
            pk__in=getattr(primary, field.name).values("pk")
        )
        records = list(records)
        getattr(primary, field.name).add(*records)
        added += [(r._meta.model_name, r) for r in records]
    return added


def _description_comment(actor: User, source: Ticket, primary: Ticket) -> Message:
    """The merged ticket's description, kept as an internal comment."""
    heading = _("Description of #%(number)s “%(name)s”, merged into this ticket:") % {
        "number": source.pk,
        "name": source.name,
    }
    html = f"<p><strong>{escape(heading)}</strong></p>{text_to_html(source.description)}"
    thread = primary.threads.order_by("-created_at", "-id").first() or Thread.objects.create(
        ticket=primary, inbox=help_desk_inbox()
    )
    return Message.objects.create(
        thread=thread,
        ticket=primary,
        kind=Message.Kind.COMMENT,
        direction=Message.Direction.OUTBOUND,
        author=actor,
        from_name=actor.display_name if actor else "",
        sanitizer_version=SANITIZER_VERSION,
        html=html,
        text=html_to_text(html),
    )


def may_move_conversations(user: User) -> bool:
    """S4: only super admins and users with account access."""
    return user.is_super_admin or user.has_account_access


UNCHANGED = object()


def conversation_move(
    *,
    actor: User,
    thread: Thread,
    inbox: Inbox,
    owner=UNCHANGED,
    comment: str = "",
) -> Thread:
    """Move a ticket's conversation to another inbox, or back to the help desk
    (S11, S14), optionally giving the ticket another owner and leaving an
    internal comment saying why. The ticket stays in the help desk; a
    conversation outside it is answered from its inbox, so the help desk
    shows it without a reply editor. Only super admins and users with account
    access may (S4)."""
    if not may_move_conversations(actor):
        raise PermissionDenied(
            _("Only super admins and users with account access can move conversations.")
        )
    with transaction.atomic():
        ticket = _lock(thread.ticket_id).get(thread.ticket_id)
        if ticket is None:
            raise ValidationError(_("This ticket was deleted."))
        # Read under the ticket's lock: a teammate may have just moved it.
        thread = Thread.objects.select_related("inbox").get(pk=thread.pk, ticket=ticket)
        if thread.inbox_id == inbox.pk:
            raise ValidationError({"inbox": _("The conversation is already in this inbox.")})
        old_inbox = thread.inbox
        Thread.objects.filter(pk=thread.pk).update(inbox=inbox)
        _event(
            ticket, actor, TicketEvent.Kind.CONVERSATION_MOVED, "inbox", old_inbox.name, inbox.name
        ).save()
        if owner is not UNCHANGED and owner != ticket.owner:
            ticket_services.ticket_update(actor=actor, ticket=ticket, owner=owner)
        if comment.strip():
            comment_add(actor=actor, ticket=ticket, html=text_to_html(comment))
    thread.inbox = inbox
    return thread

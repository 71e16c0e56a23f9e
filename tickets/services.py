"""Every change to a ticket goes through these functions (ARCHITECTURE rule 8).

Each runs in one transaction, locks the ticket row it changes, writes one
TicketEvent per changed property with the old and new value (S10), and keeps
the denormalised list columns current (ARCHITECTURE rule 5).
"""

import contextlib
import contextvars
import dataclasses
import datetime
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from crm.models import Company, Contact, Deal
from helpdesk.labels import LocalNames

from .indexing import new_ticket_document, refresh_search_vectors
from .models import (
    Follower,
    Pipeline,
    PropertyDefinition,
    Source,
    Stage,
    Tag,
    Ticket,
    TicketEvent,
    TicketSettings,
    TicketTag,
)
from .signals import ticket_activity, tickets_purging

EDITABLE_FIELDS = ("name", "description", "owner", "team", "priority", "category")
# Values by field name or custom property key, as forms post them.
Values = dict[str, Any]
Record = Contact | Company | Deal
PREVIEW_LENGTH = 200


def _display(value: object) -> str:
    """How a value is kept in the timeline: names for records, codes for choices.
    A row with names per language keeps its English name (its str() is the
    reader's): the timeline shows each reader theirs (`event_names`)."""
    if isinstance(value, LocalNames):
        return str(getattr(value, value.name_field))
    return "" if value is None else str(value)


def missing_required_properties(stage: Stage, values: Values) -> list[str]:
    """The keys `stage` requires that have no value in `values` (S7)."""
    return [key for key in stage.required_properties if values.get(key) in (None, "")]


def _require_stage_properties(stage: Stage, values: Values) -> None:
    missing = missing_required_properties(stage, values)
    if missing:
        message = _("Required to move to the status “%(stage)s”.") % {"stage": stage.local_name}
        raise ValidationError(dict.fromkeys(missing, message))


def clean_properties(properties: Values) -> dict[str, str]:
    """Validate custom property values by their definitions' types (S9)."""
    definitions = PropertyDefinition.objects.in_bulk(properties.keys(), field_name="key")
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, value in properties.items():
        definition = definitions.get(key)
        if definition is None:
            errors[key] = _("Unknown property.")
            continue
        try:
            cleaned[key] = definition.to_storage(value)
        except ValidationError as error:
            errors[key] = error.messages[0]
    if errors:
        raise ValidationError(errors)
    return cleaned


class EditConflict(Exception):
    """Someone changed the field after the agent's page showed it (S11): the
    edit is refused rather than silently overwriting theirs."""

    def __init__(self, field: str, by: User | None):
        self.field = field
        self.by = by
        super().__init__(field)

    @property
    def message(self) -> str:
        if self.by is None:
            return _("This was changed automatically while you were editing. Reload to see it.")
        return _("Changed by %(name)s while you were editing. Reload to see it.") % {
            "name": self.by.display_name
        }


def _check_expected(ticket: Ticket, expected: Values | None, wanted: Values) -> None:
    """Raise EditConflict when a field no longer holds the value the agent saw.

    `expected` maps field names (built-in, "stage", or custom keys) to the value
    as the page showed it: ids for records, codes for choices, "" for empty.
    A teammate who already set the value the agent wants (`wanted`) is no
    conflict.
    """
    for field, seen in (expected or {}).items():
        if field in ("owner", "team", "stage", "pipeline"):
            current = getattr(ticket, f"{field}_id")
        elif field in EDITABLE_FIELDS:
            current = getattr(ticket, field)
        else:
            current = ticket.properties.get(field, "")
        current = _comparable(current)
        if field in wanted and current == _comparable(getattr(wanted[field], "pk", wanted[field])):
            continue
        if current != _comparable(seen):
            last = (
                TicketEvent.objects.filter(ticket=ticket, field=field)
                .select_related("actor")
                .order_by("-created_at", "-id")
                .first()
            )
            raise EditConflict(field, last.actor if last else None)


def _comparable(value: object) -> str:
    """A value as a form posts it back: text, line ends as \n, no outer blanks."""
    return str(value if value is not None else "").replace("\r\n", "\n").strip()


# Who is acting on the actor's behalf: (TicketEvent.Via, name), set by
# acting_as() around the service calls a rule, a macro or routing makes.
_acting: contextvars.ContextVar[tuple[str, str]] = contextvars.ContextVar(
    "acting", default=("", "")
)


@contextlib.contextmanager
def acting_as(via: str, name: str) -> Iterator[None]:
    """Every timeline line written inside says it was made `via` a rule, a
    macro or routing called `name` ("by rule “Close stale tickets”"), and
    ticket_activity receivers see it (`via` argument) to bound rule chains."""
    token = _acting.set((via, name[:200]))
    try:
        yield
    finally:
        _acting.reset(token)


def acting() -> tuple[str, str]:
    """(via, name) of the automation acting now; ("", "") for a person."""
    return _acting.get()


@dataclasses.dataclass(frozen=True)
class ImportMode:
    """What an import asked for: its tickets are history, not news."""

    run_rules: bool = False


_importing: contextvars.ContextVar[ImportMode | None] = contextvars.ContextVar(
    "importing", default=None
)


@contextlib.contextmanager
def importing(*, run_rules: bool = False) -> Iterator[ImportMode]:
    """Every change inside is an import of history (the imports app): the
    ticket_activity receivers read `import_mode()` and tell no follower
    (conversations.notifications), route nothing (routing.receivers),
    announce no SLA moment that has already passed (sla.clocks) and record
    nothing for the rules unless `run_rules` (workflows.engine). Nothing an
    import writes ever queues an email: it calls no reply service."""
    mode = ImportMode(run_rules=run_rules)
    token = _importing.set(mode)
    try:
        yield mode
    finally:
        _importing.reset(token)


def import_mode() -> ImportMode | None:
    """The import running now, or None outside one."""
    return _importing.get()


def _event(
    ticket: Ticket,
    actor: User | None,
    kind: str,
    field: str = "",
    old: object = "",
    new: object = "",
) -> TicketEvent:
    via, via_name = _acting.get()
    return TicketEvent(
        ticket=ticket,
        actor=actor,
        kind=kind,
        field=field,
        old_value=_display(old),
        new_value=_display(new),
        via=via,
        via_name=via_name,
    )


def _lock(ticket: Ticket) -> Ticket:
    """The current row, locked until the transaction ends, so old values are true."""
    return (
        Ticket.objects.locked(ticket.pk).select_related("pipeline", "stage", "owner", "team").get()
    )


def contact_name(ticket: Ticket) -> str:
    first = ticket.contacts.order_by("id").first()
    return first.display_name[:200] if first else ""


def followers_add(ticket: Ticket, users: Iterable[User]) -> None:
    """Start `users` following `ticket`; those who already do are left alone."""
    Follower.objects.bulk_create(
        [Follower(ticket=ticket, user=user) for user in users if user is not None],
        ignore_conflicts=True,
    )


def ticket_follow(*, user: User, ticket: Ticket, follow: bool = True) -> bool:
    """Follow or stop following a ticket (S11). Returns whether the user follows it now."""
    if follow:
        followers_add(ticket, [user])
    else:
        Follower.objects.filter(ticket=ticket, user=user).delete()
    return follow


def _owner_follows(ticket: Ticket, owner: User | None) -> None:
    if owner is not None and TicketSettings.current().owners_follow:
        followers_add(ticket, [owner])


def _associations_insert(
    ticket: Ticket, *, contacts: list[Contact], companies: list[Company], deals: list[Deal]
) -> None:
    """A new ticket has no associations: insert them, nothing to compare. On
    PostgreSQL in one statement (each table's INSERT a step of one WITH):
    mail from a company's address has a contact and a company, and every
    round trip counts in ingestion (issue 22)."""
    inserts = []
    for relation, records in (
        (Ticket.contacts, contacts),
        (Ticket.companies, companies),
        (Ticket.deals, deals),
    ):
        if records:
            field = relation.field
            through: Any = relation.through  # one of three generated models
            inserts.append((through, field, sorted({r.pk for r in records})))
    if connection.vendor != "postgresql" or len(inserts) < 2:
        for through, field, ids in inserts:
            through.objects.bulk_create(
                through(**{field.m2m_column_name(): ticket.pk, field.m2m_reverse_name(): pk})
                for pk in ids
            )
        return
    quote = connection.ops.quote_name
    steps = [
        f"INSERT INTO {quote(through._meta.db_table)} "
        f"({quote(field.m2m_column_name())}, {quote(field.m2m_reverse_name())}) "
        "SELECT %s, unnest(%s::bigint[])"
        for through, field, _ids in inserts
    ]
    sql = (
        "WITH "
        + ", ".join(f"step{n} AS ({step})" for n, step in enumerate(steps[:-1]))
        + " "
        + steps[-1]
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for _t, _f, ids in inserts for value in (ticket.pk, ids)])


def ticket_create(
    *,
    actor: User | None,
    name: str,
    pipeline: Pipeline,
    stage: Stage,
    description: str = "",
    owner: User | None = None,
    team: Team | None = None,
    priority: str = "",
    category: str = "",
    source: str = Source.MANUAL,
    properties: Values | None = None,
    contacts: Iterable[Contact] = (),
    companies: Iterable[Company] = (),
    deals: Iterable[Deal] = (),
    created_at: datetime.datetime | None = None,
    opening: Mapping[str, Any] | None = None,
) -> Ticket:
    """Create a ticket in `stage` of `pipeline` (S5-S7).

    The stage must belong to the pipeline and, when conditional, the values must
    include what it requires. The team defaults to the owner's main team. Writes
    the "created" timeline event. `opening`: the columns the customer's message
    that opens the ticket sets (conversations.services.opening_columns), written
    with the ticket rather than by an UPDATE after it.
    """
    if stage.pipeline_id != pipeline.pk:
        raise ValidationError({"stage": _("Choose a status of the selected pipeline.")})
    properties = clean_properties(properties or {})
    values = {
        "owner": owner,
        "team": team,
        "priority": priority,
        "category": category,
        "description": description,
        **properties,
    }
    _require_stage_properties(stage, values)
    now = created_at or timezone.now()
    contacts, companies, deals = list(contacts), list(companies), list(deals)
    document = new_ticket_document(name, description, contacts, companies)
    # No savepoint when called inside a transaction (ingestion, a split): a
    # failure here fails the caller's whole transaction, which is what they want.
    with transaction.atomic(savepoint=False):
        columns = {
            "last_activity_at": now,
            "preview": description[:PREVIEW_LENGTH],
            **(opening or {}),
        }
        ticket = Ticket.objects.create(
            name=name,
            description=description,
            pipeline=pipeline,
            stage=stage,
            owner=owner,
            team=team or (owner.main_team if owner else None),
            priority=priority,
            category=category,
            source=source,
            properties=properties,
            is_open=not stage.is_closed,
            closed_at=now if stage.is_closed else None,
            stage_changed_at=now,
            contact_name=contacts[0].display_name[:200] if contacts else "",
            search_vector=document,
            **columns,
        )
        _associations_insert(ticket, contacts=contacts, companies=companies, deals=deals)
        _event(ticket, actor, TicketEvent.Kind.CREATED, new=stage.name).save()
        _owner_follows(ticket, owner)
        if document is None:
            ticket.search_vector = refresh_search_vectors([ticket.pk])[ticket.pk]
        ticket_activity.send(Ticket, ticket=ticket, kind="created", at=now, actor=actor)
    return ticket


def ticket_update(
    *,
    actor: User | None,
    ticket: Ticket,
    properties: Values | None = None,
    expected: Values | None = None,
    **fields: Any,
) -> Ticket:
    """Change built-in fields (name, description, owner, team, priority, category)
    and custom properties; one timeline event per value that really changed.

    `expected`: the values the agent's page showed ({field: value}); when one
    changed since, EditConflict is raised and nothing is saved. Returns the
    updated ticket (a fresh, locked copy of the row).
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    if "name" in fields and not (fields["name"] or "").strip():
        raise ValidationError({"name": _("A ticket needs a name.")})
    properties = clean_properties(properties or {})
    with transaction.atomic():
        ticket = _lock(ticket)
        _check_expected(ticket, expected, {**fields, **properties})
        events = []
        previous = {}  # what changed, with its value before (ids for records)
        for field, new in fields.items():
            old = getattr(ticket, field)
            if (old or "") == (new or ""):
                continue
            previous[field] = getattr(
                ticket, f"{field}_id" if field in ("owner", "team") else field
            )
            setattr(ticket, field, new)
            events.append(_event(ticket, actor, TicketEvent.Kind.CHANGED, field, old, new))
        for key, new in properties.items():
            old = ticket.properties.get(key, "")
            if old == new:
                continue
            previous[key] = old
            ticket.properties[key] = new
            events.append(_event(ticket, actor, TicketEvent.Kind.CHANGED, key, old, new))
        if events:
            if "description" in fields:
                ticket.preview = ticket.description[:PREVIEW_LENGTH]
            ticket.save()
            TicketEvent.objects.bulk_create(events)
            if {"name", "description"} & fields.keys():
                ticket.search_vector = refresh_search_vectors([ticket.pk])[ticket.pk]
            if "owner" in previous:
                _owner_follows(ticket, ticket.owner)
            ticket_activity.send(
                Ticket,
                ticket=ticket,
                kind="properties",
                at=timezone.now(),
                previous=previous,
                actor=actor,
            )
    return ticket


def ticket_set_stage(
    *,
    actor: User | None,
    ticket: Ticket,
    stage: Stage,
    properties: Values | None = None,
    expected: Values | None = None,
    **fields: Any,
) -> Ticket:
    """Move the ticket to `stage` of its pipeline (S7).

    A conditional stage needs its required properties: taken from the ticket, or
    from `fields`/`properties` given in the same action, which are saved first.
    Entering a closed stage sets the close time; leaving it clears it.
    `expected` as in ticket_update ({"stage": id seen}).
    """
    if stage.pipeline_id != ticket.pipeline_id:
        raise ValidationError({"stage": _("Choose a status of this ticket's pipeline.")})
    with transaction.atomic():
        current = _lock(ticket)
        _check_expected(current, expected, {"stage": stage})
        values = {key: current.property_value(key) for key in stage.required_properties}
        given = {k: v for k, v in {**fields, **(properties or {})}.items() if v not in (None, "")}
        values.update(given)
        _require_stage_properties(stage, values)
        if fields or properties:
            current = ticket_update(actor=actor, ticket=current, properties=properties, **fields)
        if current.stage_id == stage.pk:
            return current
        enter_stage(current, actor, stage)
    return current


def enter_stage(ticket: Ticket, actor: User | None, stage: Stage) -> None:
    """Put the locked `ticket` in `stage`: close time, timeline and SLA clocks."""
    old_stage = ticket.stage
    ticket.stage = stage
    ticket.stage_changed_at = timezone.now()
    ticket.is_open = not stage.is_closed
    if stage.is_closed and not old_stage.is_closed:
        ticket.closed_at = timezone.now()
    elif not stage.is_closed:
        ticket.closed_at = None
    ticket.save()
    _event(ticket, actor, TicketEvent.Kind.CHANGED, "stage", old_stage, stage).save()
    ticket_activity.send(
        Ticket,
        ticket=ticket,
        kind="stage",
        at=timezone.now(),
        old_stage=old_stage,
        new_stage=stage,
        actor=actor,
    )


def ticket_move_pipeline(
    *,
    actor: User | None,
    ticket: Ticket,
    stage: Stage,
    properties: Values | None = None,
    expected: Values | None = None,
    **fields: Any,
) -> Ticket:
    """Move the ticket to another pipeline, into `stage` of it (S11): the agent
    maps the status, and a conditional one asks for what it requires, as
    ticket_set_stage does. The timeline shows both the pipeline and the status."""
    with transaction.atomic():
        current = _lock(ticket)
        _check_expected(current, expected, {"pipeline": stage.pipeline_id})
        if current.pipeline_id == stage.pipeline_id:
            # Already there (a teammate moved it first): only the status changes.
            return ticket_set_stage(
                actor=actor, ticket=current, stage=stage, properties=properties, **fields
            )
        values = {key: current.property_value(key) for key in stage.required_properties}
        values.update(
            {k: v for k, v in {**fields, **(properties or {})}.items() if v not in (None, "")}
        )
        _require_stage_properties(stage, values)
        if fields or properties:
            current = ticket_update(actor=actor, ticket=current, properties=properties, **fields)
        old_pipeline = current.pipeline
        current.pipeline = stage.pipeline
        _event(
            current, actor, TicketEvent.Kind.CHANGED, "pipeline", old_pipeline, stage.pipeline
        ).save()
        enter_stage(current, actor, stage)
        # SLA goals can vary by pipeline: the clocks see it as a property change.
        ticket_activity.send(
            Ticket,
            ticket=current,
            kind="properties",
            at=timezone.now(),
            previous={"pipeline": old_pipeline.pk},
            actor=actor,
        )
    return current


ASSOCIATIONS = {Contact: "contacts", Company: "companies", Deal: "deals"}


def ticket_associate(*, actor: User | None, ticket: Ticket, record: Record) -> bool:
    """Associate a contact, company or deal (S8). Returns False if it already was."""
    relation = getattr(ticket, ASSOCIATIONS[type(record)])
    with transaction.atomic():
        ticket = _lock(ticket)
        if relation.filter(pk=record.pk).exists():
            return False
        relation.add(record)
        if isinstance(record, Contact):
            Ticket.objects.filter(pk=ticket.pk).update(contact_name=contact_name(ticket))
        refresh_search_vectors([ticket.pk])
        field = record._meta.model_name or ""
        _event(ticket, actor, TicketEvent.Kind.ASSOCIATED, field, new=record).save()
    return True


def ticket_dissociate(*, actor: User | None, ticket: Ticket, record: Record) -> bool:
    """Remove an association. Returns False if there was none."""
    relation = getattr(ticket, ASSOCIATIONS[type(record)])
    with transaction.atomic():
        ticket = _lock(ticket)
        if not relation.filter(pk=record.pk).exists():
            return False
        relation.remove(record)
        if isinstance(record, Contact):
            Ticket.objects.filter(pk=ticket.pk).update(contact_name=contact_name(ticket))
        refresh_search_vectors([ticket.pk])
        field = record._meta.model_name or ""
        _event(ticket, actor, TicketEvent.Kind.DISSOCIATED, field, old=record).save()
    return True


# Tags ----------------------------------------------------------------------------

TagRef = Tag | str


def tag_clean_name(name: str) -> str:
    """A tag name as stored: blanks trimmed and runs of them made one space.
    Raises ValidationError when it is too long."""
    name = " ".join(str(name).split())
    if len(name) > Tag.NAME_MAX:
        raise ValidationError(
            _("A tag name has at most %(max)d characters.") % {"max": Tag.NAME_MAX}
        )
    return name


def tags_get_or_create(refs: Iterable[TagRef]) -> list[Tag]:
    """The tags named (or given) in `refs`, in that order and each once, the
    unknown names created. A name matches an existing tag whatever its case.

    New tags are inserted with ON CONFLICT DO NOTHING and read back, so two
    agents typing the same new tag at once get the same row."""
    refs = list(refs)
    given = [ref for ref in refs if isinstance(ref, Tag)]
    names = list(
        dict.fromkeys(filter(None, (tag_clean_name(r) for r in refs if isinstance(r, str))))
    )
    found: dict[str, Tag] = {}
    if names:
        Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
        matching = Q()
        for name in names:
            matching |= Q(name__iexact=name)
        for tag in Tag.objects.filter(matching):
            found[tag.name.casefold()] = tag
    tags = given + [found[name.casefold()] for name in names if name.casefold() in found]
    return list({tag.pk: tag for tag in tags}.values())


def ticket_tag(
    *, actor: User | None, ticket: Ticket, add: Iterable[TagRef] = (), remove: Iterable[TagRef] = ()
) -> Ticket:
    """Add and remove tags (names or Tag rows); unknown names become new tags.

    One timeline line per tag really added or removed, and `ticket_activity`
    (kind "tags") when anything changed. A tag both added and removed is
    added. Returns the ticket (a fresh, locked copy of the row)."""
    with transaction.atomic():
        ticket = _lock(ticket)
        adding = tags_get_or_create(add)
        adding_ids = {tag.pk for tag in adding}
        removing = [tag for tag in _existing_tags(remove) if tag.pk not in adding_ids]
        current = set(TicketTag.objects.filter(ticket=ticket).values_list("tag_id", flat=True))
        added = [tag for tag in adding if tag.pk not in current]
        removed = [tag for tag in removing if tag.pk in current]
        if not added and not removed:
            return ticket
        TicketTag.objects.bulk_create(
            [TicketTag(ticket=ticket, tag=tag) for tag in added], ignore_conflicts=True
        )
        if removed:
            TicketTag.objects.filter(ticket=ticket, tag__in=removed).delete()
        # The row's tags changed: its `updated_at` tells the live lists.
        Ticket.objects.filter(pk=ticket.pk).update()
        TicketEvent.objects.bulk_create(
            [_event(ticket, actor, TicketEvent.Kind.TAGGED, "tag", new=t.name) for t in added]
            + [_event(ticket, actor, TicketEvent.Kind.UNTAGGED, "tag", old=t.name) for t in removed]
        )
        ticket_activity.send(
            Ticket,
            ticket=ticket,
            kind="tags",
            at=timezone.now(),
            added=[tag.name for tag in added],
            removed=[tag.name for tag in removed],
            actor=actor,
        )
    return ticket


def _existing_tags(refs: Iterable[TagRef]) -> list[Tag]:
    """The tags among `refs` that exist (removing an unknown name does nothing)."""
    refs = list(refs)
    given = [ref for ref in refs if isinstance(ref, Tag)]
    names = [" ".join(ref.split()) for ref in refs if isinstance(ref, str) and ref.strip()]
    if names:
        matching = Q()
        for name in names:
            matching |= Q(name__iexact=name)
        given += list(Tag.objects.filter(matching))
    return list({tag.pk: tag for tag in given}.values())


def tags_merge(*, into: Tag, tags: Iterable[Tag]) -> int:
    """Merge `tags` into `into` (settings): their tickets get `into` (those
    that had it keep one link), then the other tags are deleted, all in one
    transaction. Returns how many tickets gained `into`. The timeline keeps
    the names lines were written with."""
    others = [tag for tag in tags if tag.pk != into.pk]
    if not others:
        return 0
    with transaction.atomic():
        # Lock the tags, in id order, so a merge and a rename or another merge
        # of the same tags wait for each other.
        list(
            Tag.objects.filter(pk__in=[into.pk, *(t.pk for t in others)])
            .order_by("pk")
            .select_for_update()
        )
        moving = (
            TicketTag.objects.filter(tag__in=others)
            .exclude(ticket_id__in=TicketTag.objects.filter(tag=into).values("ticket_id"))
            .values_list("ticket_id", flat=True)
            .distinct()
        )
        created = TicketTag.objects.bulk_create(
            [TicketTag(ticket_id=ticket_id, tag=into) for ticket_id in moving],
            ignore_conflicts=True,
        )
        Tag.objects.filter(pk__in=[t.pk for t in others]).delete()
    return len(created)


def stage_delete(*, stage: Stage, move_to: Stage | None) -> int:
    """Delete a stage; its tickets move to `move_to` first (admin, S7).

    Returns how many tickets moved. Refuses when tickets would be orphaned.
    """
    with transaction.atomic():
        tickets = Ticket.objects.filter(stage=stage)
        count = tickets.count()
        if count:
            if move_to is None or move_to.pk == stage.pk:
                raise ValidationError(_("Choose a status for the tickets in this one."))
            if move_to.pipeline_id != stage.pipeline_id:
                raise ValidationError(_("Choose a status of the same pipeline."))
            for ticket in tickets.iterator():
                ticket_set_stage(actor=None, ticket=ticket, stage=move_to)
        stage.delete()
    return count


def ticket_link(*, actor: User | None, ticket: Ticket, other: Ticket) -> None:
    """Link two tickets both ways (a follow-up of a closed ticket, a split);
    each timeline says so."""
    if ticket.pk == other.pk:
        raise ValidationError(_("A ticket cannot be linked to itself."))
    with transaction.atomic():
        ticket.linked_tickets.add(other)
        _event(ticket, actor, TicketEvent.Kind.LINKED, "ticket", new=f"#{other.pk}").save()
        _event(other, actor, TicketEvent.Kind.LINKED, "ticket", new=f"#{ticket.pk}").save()


def ticket_mark_spam(*, actor: User | None, ticket: Ticket, spam: bool = True) -> Ticket:
    """Move a ticket to the Spam view, or back (S26); the timeline says who."""
    with transaction.atomic():
        current = _lock(ticket)
        if current.is_spam != spam:
            Ticket.objects.filter(pk=current.pk).update(is_spam=spam)
            _event(
                current, actor, TicketEvent.Kind.CHANGED, "spam", old=current.is_spam, new=spam
            ).save()
            current.is_spam = spam
    return current


def ticket_delete(*, actor: User | None, ticket: Ticket) -> Ticket:
    """Move a ticket to Recently deleted: out of every view, count, search and
    notification (access.visible_tickets() excludes it); the timeline says who.
    It keeps everything it had and can be restored until the purge
    (TicketSettings.keep_deleted_days)."""
    with transaction.atomic():
        current = _lock(ticket)
        if current.deleted_at is None:
            current.deleted_at = timezone.now()
            current.deleted_by = actor
            Ticket.objects.filter(pk=current.pk).update(
                deleted_at=current.deleted_at, deleted_by=actor
            )
            _event(current, actor, TicketEvent.Kind.DELETED).save()
            ticket_activity.send(
                Ticket, ticket=current, kind="deleted", at=current.deleted_at, actor=actor
            )
    return current


def ticket_restore(*, actor: User | None, ticket: Ticket) -> Ticket:
    """Bring a ticket back from Recently deleted, as it was."""
    with transaction.atomic():
        current = _lock(ticket)
        if current.deleted_at is not None:
            current.deleted_at = None
            current.deleted_by = None
            Ticket.objects.filter(pk=current.pk).update(deleted_at=None, deleted_by=None)
            _event(current, actor, TicketEvent.Kind.RESTORED).save()
    return current


def purge_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    """Tickets deleted before this are removed for good."""
    days = TicketSettings.current().keep_deleted_days
    return (now or timezone.now()) - datetime.timedelta(days=days)


def tickets_purge_deleted(*, now: datetime.datetime | None = None, batch: int = 200) -> int:
    """Remove tickets deleted longer ago than the setting allows, with
    everything on them (beat). Apps that keep files or raw payloads of a ticket
    remove them on `tickets_purging`: attachments' files first, so a crash
    after that leaves rows without files, which the next run removes; raw
    deliveries' payload files once the purge commits, since an inbound row
    that stays must keep its bytes (a crash leaves a file without a row).
    Returns how many tickets were removed."""
    cutoff = purge_cutoff(now)
    removed = 0
    while True:
        with transaction.atomic():
            ids = list(
                Ticket.objects.filter(deleted_at__lt=cutoff)
                .order_by("deleted_at", "id")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                return removed
            tickets_purging.send(Ticket, ticket_ids=ids)
            Ticket.objects.filter(pk__in=ids).delete()
        removed += len(ids)

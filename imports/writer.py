"""Storing imported records in batches: what the services would store for
each one (the same columns, timeline lines, search vectors, associations
and SLA clocks), written with one multi-row INSERT per table and batch.

New tickets are inserted directly: calling the services once per row costs
some twenty statements a ticket, and an import of 100,000 rows must finish
in minutes. `tests/imports/test_writer.py` holds the two paths equal. A
record that already exists (same external id) is changed through the
services, inside `tickets.services.importing()`, like any other change.

Nothing here sends mail, tells a follower or routes a ticket: the batch
path sends no `ticket_activity`, and the service path runs in import mode.
"""

import datetime
import json
from collections import defaultdict
from dataclasses import dataclass, field
from operator import attrgetter

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, models, transaction
from django.db.models import Q
from django.db.models.base import ModelState
from django.db.models.functions import Lower
from django.db.models.sql import InsertQuery
from django.utils import timezone

from conversations import services as conversation_services
from conversations.languages import detect
from conversations.models import Channel, Message, Thread
from conversations.quoting import inbound_body
from conversations.services import help_desk_inbox
from crm.models import Company, Contact
from sla.clocks import clocks_from_history
from sla.models import SlaOutcome, SlaSettings
from tickets import search
from tickets import services as ticket_services
from tickets.models import Follower, Source, Ticket, TicketEvent, TicketSettings, TicketTag
from workflows import engine

from .fields import CompanyRecord, ContactRecord, MessageRecord, TicketRecord

PREVIEW = ticket_services.PREVIEW_LENGTH
INSERT_ROWS = 1000


@dataclass
class Outcome:
    """What became of each line: created, updated or unchanged (by line)."""

    created: set[int] = field(default_factory=set)
    updated: set[int] = field(default_factory=set)
    unchanged: set[int] = field(default_factory=set)
    errors: list[tuple[int, str, str]] = field(default_factory=list)


_FIELDS: dict = {}
_SEQUENCES: dict[str, str] = {}


def fast(model, **values):
    """An unsaved row for `insert`, by attribute names (`ticket_id`), with
    the fields' defaults: without Model.__init__, which costs more than the
    rest of an imported row. Enough for insert and for reading attributes."""
    defaults = _FIELDS.get(model)
    if defaults is None:
        fields = model._meta.concrete_fields
        fixed = {
            f.attname: f.get_default()
            for f in fields
            if not (f.has_default() and callable(f.default))
        }
        fresh = [
            (f.attname, f.get_default) for f in fields if f.has_default() and callable(f.default)
        ]
        defaults = _FIELDS[model] = (fixed, fresh)
    fixed, fresh = defaults
    obj = model.__new__(model)
    state = obj._state = ModelState()
    state.db = DEFAULT_DB_ALIAS  # the import writes through `connection`, the default one
    row = obj.__dict__
    row.update(fixed)
    for attname, get_default in fresh:
        row[attname] = get_default()
    row.update(values)
    return obj


def insert(model, objects: list) -> None:
    """Store the objects as they are, ids set on them: created_at keeps the
    imported moment (auto_now_add is not applied, as in loaddata). On
    PostgreSQL, ids are taken from the table's sequence in one query and the
    rows sent with COPY; elsewhere a multi-row INSERT reads the ids back."""
    if not objects:
        return
    fields = [f for f in model._meta.local_concrete_fields if not f.primary_key]
    if connection.vendor != "postgresql":
        for start in range(0, len(objects), INSERT_ROWS):
            chunk = objects[start : start + INSERT_ROWS]
            query = InsertQuery(model)
            query.insert_values(fields, chunk, raw=True)
            rows = query.get_compiler(connection=connection).execute_sql([model._meta.pk])
            for obj, row in zip(chunk, rows, strict=True):
                obj.pk = row[0]
        return
    table = model._meta.db_table
    pk = model._meta.pk.column
    columns = ", ".join(connection.ops.quote_name(f.column) for f in [model._meta.pk, *fields])
    getter = attrgetter(*(f.attname for f in fields))
    values = getter if len(fields) > 1 else lambda obj: (getter(obj),)
    json_positions = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    with connection.cursor() as cursor:
        if table not in _SEQUENCES:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
            _SEQUENCES[table] = cursor.fetchone()[0]
        # The sequence named once, not once a row (the lookup is not folded).
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
            [_SEQUENCES[table], len(objects)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            write = copy.write_row
            for obj, new_id in zip(objects, ids, strict=True):
                obj.pk = new_id
                row = [new_id, *values(obj)]
                for position in json_positions:
                    row[position + 1] = json.dumps(row[position + 1])
                write(row)


# Companies and contacts --------------------------------------------------------


def companies_by_name(names) -> list[Company]:
    """The companies with any of these names, any case, oldest first. The
    database's lower() folds only ASCII under some locales: exact names are
    asked too, and the case is compared here."""
    names = list(names)
    if not names:
        return []
    folded = {n.casefold() for n in names}
    found = Company.objects.annotate(name_lower=Lower("name")).filter(
        Q(name_lower__in=[n.lower() for n in names]) | Q(name__in=names)
    )
    return sorted((c for c in found if c.name.casefold() in folded), key=lambda c: c.pk)


class Directory:
    """Companies and contacts met during one import, by name and email, so a
    name used on many rows is one company and an email one contact."""

    def __init__(self):
        self.companies: dict[str, Company] = {}
        self.contacts: dict[str, Contact] = {}

    def companies_named(self, names: set[str]) -> None:
        """Find or create the companies with these names (any case)."""
        wanted = {n.casefold(): n for n in names if n and n.casefold() not in self.companies}
        if not wanted:
            return
        for company in companies_by_name(wanted.values()):
            self.companies.setdefault(company.name.casefold(), company)
        new = [Company(name=name) for key, name in wanted.items() if key not in self.companies]
        Company.objects.bulk_create(new)
        for company in new:
            self.companies[company.name.casefold()] = company

    def contacts_for(self, records: list[ContactRecord]) -> None:
        """Find (the oldest with the address, as inbound mail does) or create
        the contacts of ticket rows, by email; one without an email is new."""
        self.companies_named({r.company for r in records if r.company})
        externals = {r.external_id for r in records if r.external_id} - set(self.contacts)
        for contact in Contact.objects.filter(external_id__in=externals):
            self.contacts[contact.external_id] = contact
        emails = {r.email.casefold() for r in records if r.email} - set(self.contacts)
        if emails:
            found = Contact.objects.annotate(email_lower=Lower("email")).filter(
                email_lower__in=list(emails)
            )
            for contact in sorted(found, key=lambda c: c.pk):
                self.contacts.setdefault(contact.email.casefold(), contact)
        new = {}
        for record in records:
            if record.external_id in self.contacts:
                continue
            key = record.email.casefold()
            if key and (key in self.contacts or key in new):
                continue
            contact = Contact(
                first_name=record.first_name,
                last_name=record.last_name,
                email=record.email,
                phone=record.phone,
                company=self.companies.get(record.company.casefold()) if record.company else None,
                external_id=record.external_id,
            )
            new[key or f"#{id(record)}"] = contact
            self.contacts[key or f"#{id(record)}"] = contact
            if record.external_id:
                self.contacts[record.external_id] = contact
        Contact.objects.bulk_create(list(new.values()))

    def contact(self, record: ContactRecord | None) -> Contact | None:
        if record is None:
            return None
        if record.external_id and record.external_id in self.contacts:
            return self.contacts[record.external_id]
        return self.contacts.get(record.email.casefold() or f"#{id(record)}")


def write_companies(records: list[CompanyRecord], outcome: Outcome) -> None:
    """Match by external id, else by name (any case); update what differs."""
    by_external = _by_external(Company, [r.external_id for r in records if r.external_id])
    names = {r.name for r in records if not r.external_id or r.external_id not in by_external}
    by_name: dict[str, Company] = {}
    for company in companies_by_name(names):
        by_name.setdefault(company.name.casefold(), company)
    new = []
    for record in records:
        company = by_external.get(record.external_id) if record.external_id else None
        if company is None:
            company = by_name.get(record.name.casefold())
            if company is not None and company.external_id and record.external_id:
                company = None  # another record of the other system: a company of its own
        if company is None:
            company = Company(
                name=record.name, domain=record.domain, external_id=record.external_id
            )
            new.append(company)
            by_name[record.name.casefold()] = company
            if record.external_id:
                by_external[record.external_id] = company
            outcome.created.add(record.line)
            continue
        if company.pk is None:
            outcome.created.add(record.line)
            continue
        changed = _changes(company, record, ("name", "domain", "external_id"))
        if changed:
            company.save(update_fields=changed)
            outcome.updated.add(record.line)
        else:
            outcome.unchanged.add(record.line)
    Company.objects.bulk_create(new)


def write_contacts(records: list[ContactRecord], outcome: Outcome, directory: Directory) -> None:
    """Match by external id, else by email (the oldest contact with it, as
    inbound mail does); update what the file gives and differs."""
    directory.companies_named({r.company for r in records if r.company})
    by_external = _by_external(Contact, [r.external_id for r in records if r.external_id])
    emails = {r.email.casefold() for r in records if r.email}
    by_email: dict[str, Contact] = {}
    found = Contact.objects.annotate(e=Lower("email")).filter(e__in=list(emails))
    for contact in sorted(found, key=lambda c: c.pk):
        by_email.setdefault(contact.email.casefold(), contact)
    new = []
    for record in records:
        contact = by_external.get(record.external_id) if record.external_id else None
        if contact is None and record.email:
            contact = by_email.get(record.email.casefold())
            if contact is not None and contact.external_id and record.external_id:
                contact = None
        company = directory.companies.get(record.company.casefold()) if record.company else None
        if contact is None:
            contact = Contact(
                external_id=record.external_id,
                first_name=record.first_name,
                last_name=record.last_name,
                email=record.email,
                phone=record.phone,
                mobile=record.mobile,
                company=company,
            )
            new.append(contact)
            if record.email:
                by_email[record.email.casefold()] = contact
            if record.external_id:
                by_external[record.external_id] = contact
            outcome.created.add(record.line)
            continue
        if contact.pk is None:
            outcome.created.add(record.line)
            continue
        fields = [
            f for f in ("first_name", "last_name", "email", "phone", "mobile") if f in record.given
        ]
        if record.external_id:
            fields.append("external_id")
        changed = _changes(contact, record, fields)
        if "company" in record.given and company is not None and contact.company_id != company.pk:
            contact.company = company
            changed.append("company")
        if changed:
            contact.save(
                update_fields=changed
            )  # its tickets' search vectors follow (tickets.indexing)
            outcome.updated.add(record.line)
        else:
            outcome.unchanged.add(record.line)
    Contact.objects.bulk_create(new)


def _by_external(model, ids) -> dict:
    """{external id: row} (the unique index is partial: in_bulk refuses it).
    On PostgreSQL the batch's ids are first looked up as one array: a first
    import finds none, and a thousand-parameter IN cost ten times as much."""
    ids = [i for i in ids if i]
    if ids and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT external_id FROM {model._meta.db_table} WHERE external_id = ANY(%s)",
                [ids],
            )
            ids = [row[0] for row in cursor.fetchall()]
    return (
        {row.external_id: row for row in model.objects.filter(external_id__in=ids)} if ids else {}
    )


def _changes(row, record, fields) -> list[str]:
    changed = []
    for name in fields:
        value = getattr(record, name)
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed.append(name)
    return changed


# Tickets -----------------------------------------------------------------------


def write_tickets(
    records: list[TicketRecord],
    outcome: Outcome,
    directory: Directory,
    *,
    run_rules: bool,
    lines: dict[str, list[int]] | None = None,
) -> None:
    """Store a batch of ticket records (each with its messages) in one
    transaction: new ones in bulk, known ones (by external id) through the
    services. `lines`: every line of the file that belongs to a ticket, by
    external id (its later messages), counted with it."""
    lines = lines or {}
    contacts = [r.contact for r in records if r.contact is not None]
    contacts += [m.customer for r in records for m in r.messages if m.customer is not None]
    with transaction.atomic(), ticket_services.importing(run_rules=run_rules):
        directory.contacts_for(contacts)
        directory.companies_named({r.company for r in records if r.company})
        existing = _by_external(Ticket, [r.external_id for r in records])
        new = [r for r in records if r.external_id not in existing]
        for record in records:
            if record.external_id in existing:
                try:
                    with transaction.atomic():
                        changed = _update_ticket(existing[record.external_id], record, directory)
                except ValidationError as error:
                    outcome.errors.append((record.line, "", "; ".join(error.messages)))
                    continue
                target = outcome.updated if changed else outcome.unchanged
                target.update(lines.get(record.external_id, [record.line]))
        created = _create_tickets(new, directory)
        if run_rules:
            _tell_rules(created)
        for record in new:
            outcome.created.update(lines.get(record.external_id, [record.line]))


def _message_times(record: TicketRecord) -> list[datetime.datetime]:
    """Each message's moment: its own, else the ticket's creation (the
    messages keep their order in the file: same moment, rising ids)."""
    start = record.created_at or timezone.now()
    times = []
    for message in record.messages:
        times.append(message.at or start)
    return times


def _create_tickets(records: list[TicketRecord], directory: Directory) -> list[Ticket]:
    if not records:
        return []
    now = timezone.now()
    owners_follow = TicketSettings.current().owners_follow
    inbox = help_desk_inbox()
    tickets, plans, first_replies = [], [], []
    contact_lexemes: dict[int, list[str]] = {}
    for record in records:
        for index, message in enumerate(record.messages, start=1):
            message.external_id = message.external_id or str(index)
        times = _message_times(record)
        created = record.created_at or min(times, default=now)
        contact = directory.contact(record.contact)
        company = directory.companies.get(record.company.casefold()) if record.company else None
        shown = [(m, t) for m, t in zip(record.messages, times, strict=True) if not m.internal]
        inbound = [t for m, t in shown if not m.from_agent]
        outbound = [t for m, t in shown if m.from_agent]
        last_activity = max((t for _m, t in shown), default=created)
        stage = record.stage
        closed_at = (record.closed_at or last_activity) if stage.is_closed else None
        bodies = [inbound_body(html=m.html, text=m.text) for m in record.messages]
        last_shown = [b for b, m in zip(bodies, record.messages, strict=True) if not m.internal]
        first_customer = next(
            (
                b
                for b, m in zip(bodies, record.messages, strict=True)
                if not m.internal and not m.from_agent
            ),
            None,
        )
        companies = [c for c in {company, contact.company if contact else None} if c is not None]
        related = []
        if contact is not None:
            if id(contact) not in contact_lexemes:  # a customer's tickets share theirs
                contact_lexemes[id(contact)] = search.contact_lexemes(
                    {
                        "first_name": contact.first_name,
                        "last_name": contact.last_name,
                        "email": contact.email,
                        "phone": contact.phone,
                        "mobile": contact.mobile,
                        "company": contact.company.name if contact.company else "",
                    }
                )
            related += contact_lexemes[id(contact)]
        if company is not None:
            related += search.words(company.name)
        team = record.team or (record.owner.main_team if record.owner else None)
        ticket = fast(
            Ticket,
            name=record.name,
            description=record.description,
            pipeline_id=stage.pipeline_id,
            stage_id=stage.pk,
            owner_id=record.owner.pk if record.owner else None,
            team_id=team.pk if team else None,
            priority=record.priority,
            category=record.category,
            source=Source.IMPORT,
            properties=record.properties,
            external_id=record.external_id,
            is_open=not stage.is_closed,
            closed_at=closed_at,
            created_at=created,
            updated_at=now,
            last_activity_at=last_activity,
            stage_changed_at=closed_at or created,
            preview=(last_shown[-1]["text"] if last_shown else record.description)[:PREVIEW],
            contact_name=contact.display_name[:200] if contact else "",
            last_customer_message_at=max(inbound, default=None),
            last_agent_reply_at=max(outbound, default=None),
            language=detect(f"{record.name}\n{first_customer['text']}") if first_customer else "",
            search_vector=search.document(record.name, record.description, related),
        )
        tickets.append(ticket)
        first_replies.append(min(outbound, default=None))
        plans.append((record, contact, companies, times, bodies))
    settings = SlaSettings.current()
    recorded = []
    if settings.enabled:
        recorded = clocks_from_history(
            [
                (t, first_reply)
                for t, first_reply in zip(tickets, first_replies, strict=True)
                if t.is_open
            ],
            settings,
        )
    insert(Ticket, tickets)
    for row in recorded:
        row.ticket_id = row.ticket.pk
    SlaOutcome.objects.bulk_create([r for r in recorded if isinstance(r, SlaOutcome)])

    through_contacts, through_companies, events, tags, followers, threads = [], [], [], [], [], []
    tag_rows = {t.name.casefold(): t for t in ticket_services.tags_get_or_create(
        {name for r in records for name in r.tags}
    )}  # fmt: skip
    for ticket, (record, contact, companies, _times, _bodies) in zip(tickets, plans, strict=True):
        if contact is not None:
            through_contacts.append(
                fast(Ticket.contacts.through, ticket_id=ticket.pk, contact_id=contact.pk)
            )
        for company in companies:
            through_companies.append(
                fast(Ticket.companies.through, ticket_id=ticket.pk, company_id=company.pk)
            )
        events.append(
            _event(ticket, TicketEvent.Kind.CREATED, new=record.stage.name, at=ticket.created_at)
        )
        for name in record.tags:
            tag = tag_rows[name.casefold()]
            tags.append(
                fast(TicketTag, ticket_id=ticket.pk, tag_id=tag.pk, created_at=ticket.created_at)
            )
            events.append(
                _event(ticket, TicketEvent.Kind.TAGGED, "tag", new=tag.name, at=ticket.created_at)
            )
        if record.owner is not None and owners_follow:
            followers.append(
                fast(
                    Follower,
                    ticket_id=ticket.pk,
                    user_id=record.owner.pk,
                    created_at=ticket.created_at,
                )
            )
        if record.messages:
            threads.append(
                fast(
                    Thread,
                    ticket_id=ticket.pk,
                    inbox_id=inbox.pk,
                    channel=Channel.EMAIL,
                    created_at=ticket.created_at,
                )
            )
    insert(Ticket.contacts.through, through_contacts)
    insert(Ticket.companies.through, through_companies)
    insert(TicketEvent, events + [r for r in recorded if isinstance(r, TicketEvent)])
    insert(TicketTag, tags)
    insert(Follower, followers)
    insert(Thread, threads)

    thread_of = {thread.ticket_id: thread for thread in threads}
    messages = []
    for ticket, (record, contact, _companies, times, bodies) in zip(tickets, plans, strict=True):
        for position, (message, at, body) in enumerate(
            zip(record.messages, times, bodies, strict=True)
        ):
            subject = record.name if position == 0 else f"Re: {record.name}"
            messages.append(
                _message(
                    ticket,
                    thread_of[ticket.pk],
                    message,
                    at,
                    body,
                    subject,
                    directory.contact(message.customer) or contact,
                )
            )
    insert(Message, messages)

    return tickets


def _event(ticket, kind, field="", old="", new="", at=None) -> TicketEvent:
    return fast(
        TicketEvent, ticket_id=ticket.pk, actor_id=None, kind=kind, field=field, old_value=old,
        new_value=new, via="", via_name="", created_at=at,
    )  # fmt: skip


def _message(ticket, thread, record: MessageRecord, at, body, subject, contact) -> Message:
    agent = record.from_agent or record.internal
    author = record.author if agent else None
    sender = None if agent else contact
    return fast(
        Message,
        thread_id=thread.pk,
        ticket_id=ticket.pk,
        kind=Message.Kind.COMMENT if record.internal else Message.Kind.MESSAGE,
        direction=Message.Direction.OUTBOUND if agent else Message.Direction.INBOUND,
        author_id=author.pk if author else None,
        contact_id=sender.pk if sender else None,
        from_name=(
            record.from_name if agent else (contact.display_name if contact else record.from_name)
        )[:200],
        from_email=record.from_email
        if agent or not contact
        else (record.from_email or contact.email),
        subject=subject[:998],
        external_id=record.external_id,
        created_at=at,
        **body,
    )


def _update_ticket(ticket: Ticket, record: TicketRecord, directory: Directory) -> bool:
    """Bring a ticket imported before up to the file, through the services;
    whether anything changed."""
    changed = False
    fields = {}
    for name in ("name", "description", "owner", "team", "priority", "category"):
        if name in record.given or (name == "team" and "owner" in record.given):
            value = getattr(record, name)
            if name == "team" and value is None and record.owner is not None:
                value = record.owner.main_team
            current = getattr(ticket, f"{name}_id" if name in ("owner", "team") else name)
            if (getattr(value, "pk", value) or "") != (current or ""):
                fields[name] = value
    properties = {k: v for k, v in record.properties.items() if ticket.properties.get(k, "") != v}
    if fields or properties:
        ticket = ticket_services.ticket_update(
            actor=None, ticket=ticket, properties=properties, **fields
        )
        changed = True
    if "status" in record.given and record.stage is not None and record.stage.pk != ticket.stage_id:
        if record.stage.pipeline_id != ticket.pipeline_id:
            ticket_services.ticket_move_pipeline(
                actor=None, ticket=ticket, pipeline=record.stage.pipeline, stage=record.stage
            )
        else:
            ticket_services.ticket_set_stage(actor=None, ticket=ticket, stage=record.stage)
        changed = True
    present = set(ticket.tags.values_list("name", flat=True))
    missing = [t for t in record.tags if t.casefold() not in {p.casefold() for p in present}]
    if missing:
        ticket_services.ticket_tag(actor=None, ticket=ticket, add=missing)
        changed = True
    contact = directory.contact(record.contact)
    if contact is not None:
        changed |= ticket_services.ticket_associate(actor=None, ticket=ticket, record=contact)
    company = directory.companies.get(record.company.casefold()) if record.company else None
    if company is not None:
        changed |= ticket_services.ticket_associate(actor=None, ticket=ticket, record=company)
    times = _message_times(record)
    for index, (message, at) in enumerate(zip(record.messages, times, strict=True), start=1):
        agent = message.from_agent or message.internal
        sender = directory.contact(message.customer) or contact
        added = conversation_services.message_import(
            ticket=ticket,
            kind=Message.Kind.COMMENT if message.internal else Message.Kind.MESSAGE,
            direction=Message.Direction.OUTBOUND if agent else Message.Direction.INBOUND,
            created_at=at,
            external_id=message.external_id or str(index),
            html=message.html,
            text=message.text,
            author=message.author if agent else None,
            contact=None if agent else sender,
            from_name=message.from_name if agent or sender is None else sender.display_name,
            from_email=message.from_email or (sender.email if sender and not agent else ""),
            subject=f"Re: {ticket.name}",
        )
        changed |= added is not None
    return changed


def _tell_rules(tickets: list[Ticket]) -> None:
    """The admin asked for the rules: each new ticket counts as created and
    its first customer message as received, for the rules to act on after
    commit, as a ticket that arrived now would."""
    firsts = {}
    for message in Message.objects.filter(
        ticket__in=tickets, kind=Message.Kind.MESSAGE, direction=Message.Direction.INBOUND
    ).order_by("created_at", "id"):
        firsts.setdefault(message.ticket_id, message)
    for ticket in tickets:
        engine.on_ticket_activity(Ticket, ticket=ticket, kind="created", actor=None)
        if ticket.pk in firsts:
            engine.on_ticket_activity(
                Ticket, ticket=ticket, kind="customer_message", message=firsts[ticket.pk]
            )


def group_lines(pairs) -> dict[str, list[int]]:
    found = defaultdict(list)
    for key, line in pairs:
        found[key].append(line)
    return found

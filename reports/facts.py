"""Keeping the reports' facts and rollups current (issue 21).

Refreshed by the beat, not by the code that writes events: a change marks its
ticket (a row in `DirtyTicket`, written by the receivers below in the
change's own transaction), and `refresh()` runs every minute. Marking costs
one upsert; working out a ticket's measures (its messages, its timeline, the
working time of its calendar) costs a few queries and some arithmetic that
the agent who replied should not wait for. Writes that bypass the signals
(bulk updates, moves of messages by a merge) still touch the ticket's last
activity, which the refresh also reads since its last run.

A refresh takes the marked tickets, computes their facts anew, and moves
each rollup cell by the difference between the old facts and the new: the
rollups stay equal to a computation over all facts (tests/reports prove it
on random data).
"""

import datetime
from collections import Counter, defaultdict

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from conversations.models import Message
from sla.clocks import team_schedule
from surveys.models import Survey
from tickets.models import Stage, Ticket, TicketEvent
from tickets.signals import ticket_activity, tickets_purging

from .models import DirtyTicket, Rollup, TicketFact

BATCH = 500
WATERMARK = "reports:refreshed-until"


# Marking ---------------------------------------------------------------------


def mark(*ticket_ids: int) -> None:
    """Queue tickets for the next refresh, in the caller's transaction.

    A ticket is written once while its mark stands: each write registers a
    no-op on_commit callback, which Django drops when the transaction or the
    savepoint that holds the write rolls back, and clears at commit. While
    the callback is still pending, the row is in the transaction and a
    second change to the ticket costs no query."""
    if not enabled():
        return
    ids = {int(i) for i in ticket_ids if i}
    if connection.in_atomic_block:
        pending = {id(entry[1]) for entry in connection.run_on_commit}
        marked = {
            i: standing
            for i, standing in getattr(connection, "_reports_marked", {}).items()
            if id(standing) in pending
        }
        connection._reports_marked = marked  # type: ignore[attr-defined]
        ids -= marked.keys()
        if ids:

            def standing():
                pass

            transaction.on_commit(standing)
            for i in ids:
                marked[i] = standing
    if not ids or not enabled():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO reports_dirtyticket (ticket_id) SELECT unnest(%s::bigint[]) "
            "ON CONFLICT DO NOTHING",
            [sorted(ids)],
        )


def enabled() -> bool:
    """Reports run on PostgreSQL, what production uses; the embedded SQLite
    database of a first run keeps no facts (the Reports page says why)."""
    return connection.vendor == "postgresql"


@receiver(post_save, sender=Ticket)
def _ticket_saved(sender, instance: Ticket, **kwargs):
    mark(instance.pk)


@receiver(post_save, sender=Message)
def _message_saved(sender, instance: Message, **kwargs):
    mark(instance.ticket_id)


@receiver(post_save, sender=TicketEvent)
def _event_saved(sender, instance: TicketEvent, **kwargs):
    mark(instance.ticket_id)


@receiver(post_save, sender=Survey)
def _survey_saved(sender, instance: Survey, **kwargs):
    """Sent, answered or commented on: the ticket's facts carry its survey."""
    mark(instance.ticket_id)


@receiver(ticket_activity)
def _activity(sender, ticket: Ticket, **kwargs):
    mark(ticket.pk)


@receiver(tickets_purging)
def _purging(sender, ticket_ids, **kwargs):
    """Tickets about to be removed for good: their facts leave the rollups
    now (the rows cascade away with the tickets)."""
    _apply(list(ticket_ids), gone=True)


# Computing one ticket's facts --------------------------------------------------


def _seconds(delta: datetime.timedelta) -> int:
    return max(0, int(delta.total_seconds()))


class _Stages:
    """Whether a stage name is a closed one: the timeline stores names."""

    def __init__(self):
        self.by_pipeline: dict[tuple[int, str], bool] = {}
        self.by_name: dict[str, bool] = {}
        for pipeline_id, name, closed in Stage.objects.values_list(
            "pipeline_id", "name", "is_closed"
        ):
            self.by_pipeline[(pipeline_id, name)] = closed
            self.by_name[name] = self.by_name.get(name, False) or closed

    def closed(self, pipeline_id: int, name: str) -> bool:
        found = self.by_pipeline.get((pipeline_id, name))
        return found if found is not None else self.by_name.get(name, False)


def _transitions(ticket: Ticket, events: list, stages: _Stages):
    """(closes, reopens) from the timeline, made to agree with the ticket's
    state now (a ticket imported closed has no timeline of its closing)."""
    closes, reopens = [], []
    closed = False
    for kind, field, _old, new, at in events:
        if kind == TicketEvent.Kind.CREATED:
            closed = stages.closed(ticket.pipeline_id, new)
            if closed:
                closes.append(at)
        elif kind == TicketEvent.Kind.CHANGED and field == "stage":
            was, now = closed, stages.closed(ticket.pipeline_id, new)
            if now and not was:
                closes.append(at)
            elif was and not now:
                reopens.append(at)
            closed = now
    if not ticket.is_open and not closed:
        closes.append(ticket.closed_at or ticket.stage_changed_at or ticket.created_at)
    elif ticket.is_open and closed:
        reopens.append(ticket.stage_changed_at or ticket.created_at)
    if not ticket.is_open and ticket.closed_at is not None:
        # The close that holds is the ticket's close time, which the ticket
        # table filters on: a drill-down then finds exactly these tickets.
        closes[-1] = ticket.closed_at
    return closes, reopens


def compute(ticket: Ticket, messages: list, events: list, stages: _Stages, schedules) -> TicketFact:
    """The facts of one ticket. `messages`: (direction, kind, is_automatic,
    created_at) in order; `events`: (kind, field, old, new, created_at)."""
    schedule = schedules(ticket.team_id)

    def business(start, end) -> int:
        return _seconds(schedule.between(start, end))

    first_customer = first_reply = None
    next_responses, next_business = [], []
    waiting_since = None
    replies = 0
    for direction, kind, automatic, at in messages:
        if kind != Message.Kind.MESSAGE:
            continue
        if direction == Message.Direction.INBOUND and not automatic:
            if first_customer is None:
                first_customer = at
            elif first_reply is not None and waiting_since is None:
                waiting_since = at
        elif direction == Message.Direction.OUTBOUND and not automatic:
            replies += 1
            if first_customer is not None and first_reply is None:
                first_reply = at
            if waiting_since is not None:
                next_responses.append(_seconds(at - waiting_since))
                next_business.append(business(waiting_since, at))
                waiting_since = None
    closes, reopens = _transitions(ticket, events, stages)
    solved_at = None if ticket.is_open else closes[-1]
    fact = TicketFact(
        ticket_id=ticket.pk,
        team_id=ticket.team_id,
        owner_id=ticket.owner_id,
        pipeline_id=ticket.pipeline_id,
        source=ticket.source,
        priority=ticket.priority,
        created_at=ticket.created_at,
        solved_at=solved_at,
        closes=closes,
        reopens=reopens,
        next_responses=next_responses,
        next_responses_business=next_business,
        replies=replies,
    )
    if first_customer is not None and first_reply is not None:
        fact.first_response_at = first_reply
        fact.first_response = _seconds(first_reply - first_customer)
        fact.first_response_business = business(first_customer, first_reply)
    if solved_at is not None:
        fact.resolution = _seconds(solved_at - ticket.created_at)
        fact.resolution_business = business(ticket.created_at, solved_at)
    return fact


def compute_many(ids: list[int]) -> list[TicketFact]:
    """Facts of the tickets `ids` that reports count (a few queries for all)."""
    tickets = list(
        Ticket.objects.filter(
            pk__in=ids, deleted_at__isnull=True, is_spam=False, merged_into__isnull=True
        ).only(
            "pk",
            "team_id",
            "owner_id",
            "pipeline_id",
            "source",
            "priority",
            "created_at",
            "closed_at",
            "stage_changed_at",
            "is_open",
        )
    )
    if not tickets:
        return []
    found = [t.pk for t in tickets]
    messages = defaultdict(list)
    for row in (
        Message.objects.filter(ticket_id__in=found)
        .order_by("created_at", "id")
        .values_list("ticket_id", "direction", "kind", "is_automatic", "created_at")
    ):
        messages[row[0]].append(row[1:])
    events = defaultdict(list)
    for row in (
        TicketEvent.objects.filter(
            ticket_id__in=found, kind__in=[TicketEvent.Kind.CREATED, TicketEvent.Kind.CHANGED]
        )
        .filter(field__in=["", "stage"])
        .order_by("created_at", "id")
        .values_list("ticket_id", "kind", "field", "old_value", "new_value", "created_at")
    ):
        events[row[0]].append(row[1:])
    stages = _Stages()
    schedules = _schedules()
    facts = [compute(t, messages[t.pk], events[t.pk], stages, schedules) for t in tickets]
    surveys = {
        survey.ticket_id: survey
        for survey in Survey.objects.current()
        .filter(ticket_id__in=found)
        .only("ticket_id", "sent_at", "rated_at", "rating", "comment")
    }
    for fact in facts:
        survey = surveys.get(fact.ticket_id)
        if survey is not None:
            fact.survey = survey
            fact.survey_sent_at = survey.sent_at
            fact.survey_rated_at = survey.rated_at
            fact.survey_rating = survey.rating
            fact.survey_commented = bool(survey.comment)
    return facts


def _schedules():
    known: dict = {}

    def of(team_id):
        if team_id not in known:
            known[team_id] = team_schedule(team_id)
        return known[team_id]

    return of


# Rollups -------------------------------------------------------------------------


def _hour(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)


MEASURES = ("created", "solved", "closes", "reopens", "one_touch", "replies")


def contributions(fact: TicketFact) -> Counter:
    """What one ticket adds to the rollups: {(cell, measure): n}."""
    dims = (fact.team_id, fact.owner_id, fact.pipeline_id, fact.source, fact.priority)
    found: Counter = Counter()
    found[(_hour(fact.created_at), *dims), "created"] += 1
    if fact.solved_at is not None:
        cell = (_hour(fact.solved_at), *dims)
        found[cell, "solved"] += 1
        found[cell, "one_touch"] += 1 if fact.replies == 1 else 0
        found[cell, "replies"] += fact.replies
    for at in fact.closes:
        found[(_hour(at), *dims), "closes"] += 1
    for at in fact.reopens:
        found[(_hour(at), *dims), "reopens"] += 1
    return found


UPSERT = """
INSERT INTO reports_rollup
    (hour, team_id, owner_id, pipeline_id, source, priority,
     created, solved, closes, reopens, one_touch, replies)
SELECT * FROM unnest(
    %s::timestamptz[], %s::bigint[], %s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[],
    %s::int[], %s::int[], %s::int[], %s::int[], %s::int[], %s::int[])
ON CONFLICT (hour, team_id, owner_id, pipeline_id, source, priority) DO UPDATE SET
    created = reports_rollup.created + excluded.created,
    solved = reports_rollup.solved + excluded.solved,
    closes = reports_rollup.closes + excluded.closes,
    reopens = reports_rollup.reopens + excluded.reopens,
    one_touch = reports_rollup.one_touch + excluded.one_touch,
    replies = reports_rollup.replies + excluded.replies
"""


def _move_rollups(delta: Counter) -> None:
    cells: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for (cell, measure), n in delta.items():
        if n:
            cells[cell][measure] += n
    cells = {cell: values for cell, values in cells.items() if any(values.values())}
    if not cells:
        return
    columns: list[list] = [[] for _ in range(6 + len(MEASURES))]
    for cell, values in cells.items():
        for index, value in enumerate((*cell, *(values[m] for m in MEASURES))):
            columns[index].append(value)
    with connection.cursor() as cursor:
        cursor.execute(UPSERT, columns)
        cursor.execute(
            "DELETE FROM reports_rollup WHERE hour = ANY(%s) AND created = 0 AND solved = 0 "
            "AND closes = 0 AND reopens = 0",
            [sorted({cell[0] for cell in cells})],
        )


def _apply(ids: list[int], *, gone: bool = False) -> int:
    """Recompute the facts of `ids` (none when `gone`) and move the rollups
    by the difference. Inside the caller's transaction, tickets in id order."""
    if not ids:
        return 0
    ids = sorted(set(ids))
    old = list(TicketFact.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    new = [] if gone else compute_many(ids)
    delta: Counter = Counter()
    for fact in new:
        delta.update(contributions(fact))
    for fact in old:
        delta.subtract(contributions(fact))
    _move_rollups(delta)
    TicketFact.objects.filter(pk__in=ids).delete()
    TicketFact.objects.bulk_create(new)
    return len(ids)


def refresh(batch: int = BATCH) -> int:
    """Bring facts and rollups up to date: tickets marked since the last run,
    and those whose last activity moved since (bulk writes mark nothing).
    Returns how many tickets were recomputed."""
    if not enabled():
        return 0
    started = timezone.now()
    since = cache.get(WATERMARK)
    if since is not None:
        active = list(
            Ticket.objects.filter(
                last_activity_at__gte=since - datetime.timedelta(minutes=1),
                deleted_at__isnull=True,
            ).values_list("pk", flat=True)
        )
        # A merge into an active ticket may mark its source with a bulk update.
        merged = Ticket.objects.filter(merged_into__in=active).values_list("pk", flat=True)
        mark(*active, *merged)
    done = 0
    # Marks this connection holds no longer stand once their rows are taken
    # (only a refresh inside the marking transaction, as in tests, sees them).
    connection._reports_marked = {}  # type: ignore[attr-defined]
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM reports_dirtyticket WHERE ticket_id IN ("
                    " SELECT ticket_id FROM reports_dirtyticket ORDER BY ticket_id"
                    " LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING ticket_id",
                    [batch],
                )
                ids = [row[0] for row in cursor.fetchall()]
            done += _apply(ids)
        if len(ids) < batch:
            break
    cache.set(WATERMARK, started, None)
    return done


def rebuild() -> int:
    """Every ticket's facts and the rollups from scratch (a new install, or
    after the calendars changed): `manage.py reports_rebuild`."""
    if not enabled():
        return 0
    with transaction.atomic():
        TicketFact.objects.all().delete()
        Rollup.objects.all().delete()
        DirtyTicket.objects.all().delete()
    connection._reports_marked = {}  # type: ignore[attr-defined]
    done = 0
    last = 0
    while True:
        ids = list(
            Ticket.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            return done
        with transaction.atomic():
            done += _apply(ids)
        last = ids[-1]

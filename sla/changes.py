"""SLA changes reach open tickets (issue 14).

A deadline is computed when its clock starts, from the goals and working
hours of that moment (ARCHITECTURE rule 4). When a super admin changes the
goals, a calendar, its holidays or the SLA settings, new clocks follow at
once; the running ones keep their deadlines until the admin applies the
change to open tickets. The admin's save records an `SlaChange` holding the
configuration the running deadlines were computed with (`before`); applying
takes the configuration of that moment (`after`) and a task rebases every
running deadline of an open, unpaused ticket from one to the other:

- the working time already spent on the clock under `before` stays spent,
  and the rest of the new goal is counted on the new working hours from the
  moment of applying (as when a ticket's priority changes its goal);
- a clock that started after the change was computed with the new
  configuration already and is left as it is;
- paused tickets stay paused, stopped clocks (met or missed) are not
  rewritten, and a ticket whose deadline did not move gets no timeline line.

The task works through the tickets in chunks by id, each chunk in one
transaction with its ticket rows locked (`Ticket.objects.locked`), written
with bulk updates, and records how far it got on the change row: run twice,
or again after a crash, it moves no deadline twice.
"""

import datetime

from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from conversations.models import Message
from helpdesk.queue import enqueue
from tickets.models import Ticket, TicketEvent

from . import clocks
from .business import NoWorkingTime, Schedule
from .models import Calendar, SlaChange, SlaGoal, SlaSettings
from .snapshot import Config

CHUNK = 1000
COUNT_LIMIT = 10_000  # "10,000+": counting a million rows for a message is not worth it
PARTS = ("settings", "goals", "calendars", "holidays")


# The configuration as data -----------------------------------------------------


def config_snapshot() -> dict:
    """Everything a deadline depends on, as JSON: settings, goals, calendars
    with their periods, teams and holidays. A handful of queries."""
    settings = SlaSettings.current()
    calendars = []
    for calendar in Calendar.objects.order_by("pk").prefetch_related(
        "periods", "holidays", "teams"
    ):
        calendars.append(
            {
                "id": calendar.pk,
                "time_zone": calendar.time_zone,
                "default": calendar.is_default,
                "teams": sorted(team.pk for team in calendar.teams.all()),
                "country": calendar.holiday_country.upper(),
                "subdivision": calendar.holiday_subdivision,
                "periods": sorted(
                    [p.weekday, p.start.isoformat(), p.end.isoformat()]
                    for p in calendar.periods.all()
                ),
                "holidays": sorted(h.date.isoformat() for h in calendar.holidays.all()),
            }
        )
    return {
        "settings": {
            "enabled": settings.enabled,
            "mode": settings.mode,
            "goals_by": settings.goals_by,
        },
        "goals": {
            goal.value: {
                "on": goal.is_enabled,
                "first_response": goal.first_response_minutes,
                "next_response": goal.next_response_minutes,
                "close": goal.close_minutes,
                "soon": goal.due_soon_minutes,
            }
            for goal in SlaGoal.objects.all()
        },
        "calendars": calendars,
    }


def changed_parts(before: dict, after: dict) -> list[str]:
    """Which of PARTS differ between two snapshots, in PARTS order."""

    def hours(snapshot):
        return [{k: v for k, v in c.items() if k != "holidays"} for c in snapshot["calendars"]]

    def days(snapshot):
        return [(c["id"], c["holidays"]) for c in snapshot["calendars"]]

    differs = {
        "settings": before["settings"] != after["settings"],
        "goals": before["goals"] != after["goals"],
        "calendars": hours(before) != hours(after),
        "holidays": days(before) != days(after),
    }
    return [part for part in PARTS if differs[part]]


# Recording and offering ----------------------------------------------------------


def running_tickets():
    """Open tickets, not deleted, not paused, with at least one running clock."""
    return Ticket.objects.filter(
        Q(sla_first_response_due__isnull=False, sla_first_response_at__isnull=True)
        | Q(sla_next_response_due__isnull=False)
        | Q(sla_close_due__isnull=False),
        is_open=True,
        deleted_at__isnull=True,
        sla_paused_at__isnull=True,
    )


def running_tickets_count() -> int:
    """How many tickets applying would look at, up to COUNT_LIMIT + 1."""
    return running_tickets().order_by()[: COUNT_LIMIT + 1].count()


def sla_change_record(*, actor, before: dict) -> SlaChange | None:
    """After a super admin saved SLA configuration: record (or extend) the
    change waiting to be applied, measured from the configuration the running
    deadlines were computed with. A change undone before it was applied
    leaves nothing to apply. Returns the pending change, if any."""
    after = config_snapshot()
    with transaction.atomic():
        pending = (
            SlaChange.objects.select_for_update().filter(status=SlaChange.Status.PENDING).first()
        )
        parts = changed_parts(pending.before if pending else before, after)
        if not parts:
            if pending is not None:
                pending.delete()
            return None
        if pending is None:
            return SlaChange.objects.create(changed_by=actor, parts=parts, before=before)
        pending.parts = parts
        pending.changed_by = actor
        pending.save(update_fields=["parts", "changed_by"])
        return pending


def sla_change_apply(*, actor, change: SlaChange) -> bool:
    """Start applying a pending change to open tickets: claimed by a
    conditional UPDATE (a second click, or a second admin, finds nothing to
    claim), with the configuration of this moment as its target; the work is
    queued on commit. Returns whether this call claimed it."""
    with transaction.atomic():
        claimed = SlaChange.objects.filter(pk=change.pk, status=SlaChange.Status.PENDING).update(
            status=SlaChange.Status.QUEUED,
            applied_by=actor,
            applied_at=clocks.corrected(timezone.now()),
            after=config_snapshot(),
        )
        if claimed:
            transaction.on_commit(lambda: enqueue("sla.tasks.sla_change_run", change.pk))
    return bool(claimed)


# Applying ------------------------------------------------------------------------------


def sla_change_run(change_id: int, chunk: int = CHUNK) -> int:
    """Rebase the running deadlines of open tickets for a claimed change,
    chunk by chunk; returns how many tickets had a deadline moved by this
    run. A change already done, or not claimed, is left alone."""
    moved = 0
    while True:
        with transaction.atomic():
            change = SlaChange.objects.select_for_update().filter(pk=change_id).first()
            if change is None or change.status != SlaChange.Status.QUEUED:
                return moved
            ids = list(
                running_tickets()
                .filter(pk__gt=change.last_ticket_id)
                .order_by("pk")
                .values_list("pk", flat=True)[:chunk]
            )
            if not ids:
                change.status = SlaChange.Status.DONE
                change.finished_at = timezone.now()
                change.save(update_fields=["status", "finished_at"])
                return moved
            count = _rebase_chunk(change, ids)
            moved += count
            change.last_ticket_id = ids[-1]
            change.tickets_checked += len(ids)
            change.tickets_moved += count
            change.progressed_at = timezone.now()
            change.save(
                update_fields=[
                    "last_ticket_id",
                    "tickets_checked",
                    "tickets_moved",
                    "progressed_at",
                ]
            )


STALLED = datetime.timedelta(minutes=5)


def sla_changes_resume() -> int:
    """Queue again the changes being applied whose task went quiet (the broker
    was down when it was queued, or the worker died): RELIABILITY 13, every
    queued task has a sweep. A second runner is harmless: each chunk locks the
    change row and starts after the last ticket done."""
    quiet = timezone.now() - STALLED
    stalled = list(
        SlaChange.objects.filter(status=SlaChange.Status.QUEUED)
        .filter(Q(progressed_at__lt=quiet) | Q(progressed_at__isnull=True, applied_at__lt=quiet))
        .values_list("pk", flat=True)
    )
    for pk in stalled:
        enqueue("sla.tasks.sla_change_run", pk)
    return len(stalled)


TICKET_COLUMNS = [
    "pk",
    "team_id",
    "pipeline_id",
    "priority",
    "source",
    "properties",
    "is_open",
    "deleted_at",
    "created_at",
    *clocks.SLA_FIELDS,
]


def _rebase_chunk(change: SlaChange, ids: list[int]) -> int:
    """One chunk, in the caller's transaction: a fixed number of statements
    whatever its size (lock, message times, one bulk update, one insert)."""
    after = Config(change.after)
    since = change.created_at
    at = change.applied_at
    tickets = list(Ticket.objects.locked(*ids).only(*TICKET_COLUMNS))
    starts = _clock_starts(ids, since)
    befores = _configs_before(change, tickets)
    reason = f"|{','.join(change.parts)}"
    changed, events = [], []
    for ticket in tickets:
        if not ticket.is_open or ticket.sla_paused_at is not None or ticket.deleted_at:
            continue  # changed since it was listed
        moves = _rebase(ticket, change.pk, befores, after, at, since, starts.get(ticket.pk, {}))
        if moves is None:
            continue
        changed.append(ticket)
        events += [
            TicketEvent(
                ticket=ticket,
                actor_id=change.changed_by_id,
                kind=TicketEvent.Kind.SLA,
                field=clock + reason,
                old_value=old.isoformat(),
                new_value=new.isoformat() if new else "",
            )
            for clock, old, new in moves
        ]
    _write_sla_columns(changed)
    TicketEvent.objects.bulk_create(events, batch_size=CHUNK)
    return len({event.ticket_id for event in events})


def _write_sla_columns(tickets: list[Ticket]) -> None:
    """The SLA columns of `tickets` in one statement, whatever their number:
    an UPDATE from unnest()ed arrays (PostgreSQL) or from a VALUES list
    (SQLite). Django's bulk_update builds a CASE per row and column, and
    compiling it took 12 s for 1,000 tickets in `make bench`."""
    if not tickets:
        return
    quote = connection.ops.quote_name
    table = quote(Ticket._meta.db_table)
    fields = [Ticket._meta.get_field(name) for name in clocks.SLA_FIELDS]
    columns = [quote(f.column) for f in fields]
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
        sql = (
            f"UPDATE {table} AS t SET "
            + ", ".join(f"{column} = v.{column}" for column in columns)
            + f" FROM unnest(%s::bigint[], {arrays}) AS v(id, {', '.join(columns)})"
            + " WHERE t.id = v.id"
        )
        params = [[t.pk for t in tickets]] + [
            [f.get_db_prep_value(getattr(t, f.attname), connection) for t in tickets]
            for f in fields
        ]
    else:
        row = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
        sql = (
            f"UPDATE {table} SET "
            + ", ".join(f"{column} = v.column{n + 2}" for n, column in enumerate(columns))
            + f" FROM (VALUES {', '.join([row] * len(tickets))}) AS v"
            + f" WHERE {table}.id = v.column1"
        )
        params = [
            value
            for t in tickets
            for value in (
                t.pk,
                *(f.get_db_prep_value(getattr(t, f.attname), connection) for f in fields),
            )
        ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _clock_starts(ids: list[int], since: datetime.datetime) -> dict[int, dict]:
    """For each ticket, whether each clock started before the change (one
    query): the first customer message starts the first-response clock, the
    first customer message after the last agent reply the next-response one."""
    inbound = Q(direction=Message.Direction.INBOUND)
    rows = (
        Message.objects.filter(ticket_id__in=ids, kind=Message.Kind.MESSAGE)
        .values("ticket_id")
        .annotate(
            first_in=Min("created_at", filter=inbound),
            last_out=Max("created_at", filter=Q(direction=Message.Direction.OUTBOUND)),
            last_in_before=Max("created_at", filter=inbound & Q(created_at__lte=since)),
        )
        .order_by()
    )
    starts = {}
    for row in rows:
        last_in, last_out = row["last_in_before"], row["last_out"]
        starts[row["ticket_id"]] = {
            "first_response": row["first_in"] is None or row["first_in"] <= since,
            "next_response": last_in is not None and (last_out is None or last_in > last_out),
        }
    return starts


def _configs_before(change: SlaChange, tickets: list[Ticket]) -> dict:
    """The configuration each stamped deadline of `tickets` was computed
    with, by stamp (`clocks.VERSIONS`): the `before` of the first change
    saved after it. An earlier change's when its apply left the ticket out
    (paused then). One query, whatever the number of tickets; None stands
    for deadlines older than the stamps, computed with this change's before."""
    configs = {None: Config(change.before)}
    stamps = {
        stamp
        for ticket in tickets
        for column in clocks.VERSIONS.values()
        if (stamp := getattr(ticket, column)) is not None and stamp < change.pk
    }
    rows = list(  # asked even when empty: the same statements for every chunk
        SlaChange.objects.filter(pk__gt=min(stamps, default=change.pk), pk__lte=change.pk)
        .order_by("pk")
        .values_list("pk", "before")
    )
    by_change = {}
    for stamp in stamps:
        pk, before = next(row for row in rows if row[0] > stamp)
        if pk not in by_change:
            by_change[pk] = configs[None] if pk == change.pk else Config(before)
        configs[stamp] = by_change[pk]
    return configs


def _rebase(ticket, change_id: int, befores: dict, after: Config, at, since, started: dict):
    """Move the running deadlines of one ticket from the configuration each
    was computed with to `after`, and stamp them with the change; the moves
    as (clock, old, new), or None when nothing about the ticket changed."""
    new_goal = after.goal(ticket)
    new_calendar = after.calendar(ticket.team_id)
    wrote = False
    moves = []
    for clock, column in clocks.CLOCKS.items():
        due = getattr(ticket, column)
        if due is None or not clocks._running(ticket, clock):
            continue
        stamp = getattr(ticket, clocks.VERSIONS[clock])
        if stamp is not None and stamp >= change_id:
            # The clocks computed it after the save, from the new
            # configuration (a priority changed, a ticket reopened): moving
            # it again would count the change twice.
            continue
        if stamp is None:
            # Older than the stamps: judged by when its clock started.
            if clock == "close":
                if ticket.created_at > since:
                    continue  # started with the new configuration
            elif not started.get(clock, clock == "first_response"):
                continue
        before = befores[stamp]
        old_goal = before.goal(ticket)
        if old_goal is None:
            continue
        old_calendar = before.calendar(ticket.team_id)
        old_minutes = old_goal[clock]
        new_minutes = new_goal[clock] if new_goal else None
        if old_calendar == new_calendar and old_minutes == new_minutes:
            new_due = due
        elif not new_minutes:
            new_due = None  # no goal any more
        else:
            new_due = _moved_due(
                due,
                old_minutes or 0,
                new_minutes,
                at,
                before.schedule(old_calendar),
                after.schedule(new_calendar),
            )
            if new_due is False:
                continue
        if stamp != change_id:
            setattr(ticket, clocks.VERSIONS[clock], change_id)
            wrote = True
        if new_due == due:
            continue
        setattr(ticket, column, new_due)
        if new_due is not None:
            # announce the new moments again if they lie ahead
            for stage, moment in (
                ("soon", new_due - datetime.timedelta(minutes=new_goal["soon"])),
                ("over", new_due),
            ):
                if moment > at:
                    ticket.sla_notified &= ~clocks.BITS[(clock, stage)]
        moves.append((clock, due, new_due))
        wrote = True
    soon = new_goal["soon"] if new_goal else None
    if soon is not None and ticket.sla_due_soon_minutes != soon and _has_running(ticket):
        ticket.sla_due_soon_minutes = soon
        wrote = True
    if not wrote:
        return None
    ticket.sla_next_check_at = clocks.next_check(ticket)
    return moves


def _has_running(ticket) -> bool:
    return any(
        getattr(ticket, column) is not None and clocks._running(ticket, clock)
        for clock, column in clocks.CLOCKS.items()
    )


def _moved_due(due, old_minutes: int, new_minutes: int, at, old: Schedule, new: Schedule):
    """The deadline of a clock that had `old_minutes` on `old` working hours
    when it gets `new_minutes` on `new` ones, at `at`: the working time spent
    so far stays spent. False when the new hours hold no working time."""
    left = old.between(at, due) if due >= at else -old.between(due, at)
    rest = datetime.timedelta(minutes=new_minutes) - (
        datetime.timedelta(minutes=old_minutes) - left
    )
    try:
        if rest >= datetime.timedelta(0):
            return new.add(at, rest)
        return new.subtract(at, -rest)
    except NoWorkingTime:
        return False

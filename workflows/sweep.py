"""Time-based rules (issue 17): "48 hours since the last customer message",
"5 business days since the status changed".

Each rule counts from one moment, a Ticket column with a partial index over
open tickets. A run reads only the tickets whose moment crossed the rule's
threshold since the previous run (a range on that index, from the previous
cut-off to this one), so its cost follows the matches, not the number of
tickets. With business hours, the cut-off is computed per working-hours
calendar: "5 business days before now" is a different instant in Helsinki
and in Seoul, and a team's tickets use its calendar (as the SLA clocks do).

A rule fires once per ticket and moment (a `RuleFiring` for the moment's
value): a ticket whose status changes again later may fire it again. The
ticket's other conditions are checked when its moment crosses the threshold,
and again when the worker applies the firing.
"""

import datetime
import logging

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from sla import clocks
from sla.business import NoWorkingTime, Schedule
from sla.models import Calendar
from tickets import filters
from tickets.models import Ticket

from . import conditions, engine
from .models import Rule, RuleFiring

log = logging.getLogger(__name__)

# At most this many firings per rule and run; the rest wait for the next run.
LIMIT = 1000


def _calendars() -> tuple[list[tuple[Schedule, list[int]]], Schedule]:
    """[(schedule, its team ids)] and the schedule of every other team's
    tickets. A team in two calendars follows the first (as sla.clocks does)."""
    taken: set[int] = set()
    found = []
    default = None
    for calendar in Calendar.objects.prefetch_related("teams", "periods", "holidays").order_by(
        "id"
    ):
        teams = [t.pk for t in calendar.teams.all() if t.pk not in taken]
        taken.update(teams)
        schedule = clocks.calendar_schedule(calendar)
        if teams:
            found.append((schedule, teams))
        if calendar.is_default and default is None:
            default = schedule
    return found, default or Schedule.around_the_clock()


def _cutoff(schedule: Schedule, now: datetime.datetime, hours: int, business: bool):
    if not business:
        return now - datetime.timedelta(hours=hours)
    try:
        return schedule.subtract(now, datetime.timedelta(hours=hours))
    except NoWorkingTime:
        return None


def cutoff_for(rule: Rule, ticket: Ticket, now: datetime.datetime):
    """The moment before which `ticket`'s moment must lie for the rule to run now."""
    schedule = clocks.team_schedule(ticket.team_id) if rule.business_hours else None
    return _cutoff(schedule or Schedule.around_the_clock(), now, rule.hours, rule.business_hours)


def window(rule: Rule, now: datetime.datetime, calendars=None) -> Q:
    """The tickets whose moment crossed the threshold after the last run and by now."""
    column = rule.moment
    calendars = calendars or _calendars()

    def between(schedule):
        end = _cutoff(schedule, now, rule.hours, rule.business_hours)
        if end is None:
            return Q(pk__in=[])
        part = Q(**{f"{column}__lte": end})
        if rule.swept_until is not None:
            start = _cutoff(schedule, rule.swept_until, rule.hours, rule.business_hours)
            if start is not None:
                part &= Q(**{f"{column}__gt": start})
        return part

    if not rule.business_hours:
        return between(Schedule.around_the_clock())
    by_team, default = calendars
    found = Q(pk__in=[])
    placed: list[int] = []
    for schedule, teams in by_team:
        found |= Q(team_id__in=teams) & between(schedule)
        placed += teams
    return found | ((~Q(team_id__in=placed) | Q(team__isnull=True)) & between(default))


def candidates(rule: Rule, now: datetime.datetime, calendars=None):
    """(ticket id, moment) of the open tickets the rule fires on in this run."""
    known = conditions.known_properties()
    all_ticket, _all_event = conditions.split(rule.conditions_all)
    any_ticket, _any_event = conditions.split(rule.conditions_any)
    tickets = (
        Ticket.objects.filter(is_open=True, is_spam=False, deleted_at__isnull=True)
        .filter(window(rule, now, calendars))
        .filter(conditions.ticket_q(all_ticket, known))
    )
    if any_ticket:
        tickets = tickets.filter(conditions.ticket_q(any_ticket, known, any_of=True))
    fired = RuleFiring.objects.filter(
        rule=rule, ticket_id=OuterRef("pk"), moment=OuterRef(rule.moment)
    )
    return (
        tickets.filter(~Exists(fired))
        .order_by(rule.moment, "id")
        .values_list("pk", rule.moment)[:LIMIT]
    )


def sweep(now: datetime.datetime | None = None) -> int:
    """Record what every active time-based rule fires on (beat, every minute).

    The run only reads and records: a pending `RuleFiring` per ticket and
    moment, in one statement per rule, and the worker applies them
    (`apply_pending`), so a run stays short however many match. Returns how
    many firings it recorded."""
    now = now or timezone.now()
    calendars = _calendars()
    recorded = 0
    for rule in Rule.objects.filter(is_active=True, trigger=Rule.Trigger.TIME).exclude(moment=""):
        if not rule.hours:
            continue
        try:
            found = list(candidates(rule, now, calendars))
        except filters.FilterError as error:
            engine.switch_off(rule, str(error))
            continue
        with transaction.atomic():
            RuleFiring.objects.bulk_create(
                [RuleFiring(rule=rule, ticket_id=pk, moment=moment) for pk, moment in found],
                ignore_conflicts=True,
            )
            if len(found) < LIMIT:
                # Everything up to now is recorded: the next run starts here.
                Rule.objects.filter(pk=rule.pk).update(swept_until=now)
        recorded += len(found)
        if found:
            rule_id = rule.pk
            transaction.on_commit(lambda rule_id=rule_id: engine.enqueue(APPLY_TASK, rule_id))
    return recorded


APPLY_TASK = "workflows.tasks.apply_time_rule"
# Firings applied per transaction; a task takes at most BATCHES of them.
CHUNK = 50
BATCHES = 20


def apply_pending(rule_id: int) -> int:
    """Apply the rule's recorded firings (the worker), CHUNK per transaction,
    each ticket locked and checked again: its moment may have moved (a new
    message) or it may have closed since the sweep; then the firing is
    closed without acting. Queues itself again while some remain. Returns how
    many fired."""
    fired = 0
    for _batch in range(BATCHES):
        with transaction.atomic():
            rule = Rule.objects.filter(pk=rule_id, is_active=True).first()
            pending = list(
                RuleFiring.objects.filter(rule_id=rule_id, applied_at__isnull=True)
                .order_by("id")
                .select_for_update(skip_locked=True)[:CHUNK]
            )
            if not pending:
                return fired
            for firing in pending:
                if rule is not None and rule.is_active and _apply(rule, firing):
                    fired += 1
            RuleFiring.objects.filter(pk__in=[f.pk for f in pending]).update(
                applied_at=timezone.now()
            )
    engine.enqueue(APPLY_TASK, rule_id)
    return fired


def _apply(rule: Rule, firing: RuleFiring) -> bool:
    ticket = Ticket.objects.locked(firing.ticket_id).select_related("pipeline", "stage").first()
    if ticket is None or not ticket.is_open or getattr(ticket, rule.moment) != firing.moment:
        return False
    answer = engine.evaluate([rule], ticket, None).get(rule.pk)
    if isinstance(answer, str):
        engine.switch_off(rule, answer)
        return False
    if answer is not True or not engine.under_cap(rule, ticket):
        return False
    token = engine._running.set((0, None))
    try:
        return not engine.run_actions(rule, ticket)
    finally:
        engine._running.reset(token)


def pending_rules(older_than: datetime.timedelta = datetime.timedelta(minutes=1)) -> int:
    """Beat: queue again the rules whose recorded firings wait (a lost task)."""
    cutoff = timezone.now() - older_than
    rules = list(
        RuleFiring.objects.filter(applied_at__isnull=True, created_at__lt=cutoff)
        .values_list("rule_id", flat=True)
        .distinct()[:100]
    )
    for rule_id in rules:
        engine.enqueue(APPLY_TASK, rule_id)
    return len(rules)

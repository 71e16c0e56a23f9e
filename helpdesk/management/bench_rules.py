"""The rules' lines of `make bench` (issue 17): 200 active rules evaluated on
one event, the time-based sweep over every ticket with 1,000 just past their
threshold, and the worker applying those firings. Everything runs in a
transaction rolled back at the end: the dataset stays as seeded."""

import datetime
import time

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Team
from conversations.models import Message
from tickets.models import Stage, Ticket
from workflows import engine, sweep
from workflows.models import Event, Moment, Rule, RuleEvent, RuleFiring


def event_rules(count: int, *, matching: int = 0) -> list[Rule]:
    """`count` active rules on customer messages, of the kinds admins write:
    conditions on priority, team, status, a custom property and the message's
    words; `matching` of them hold on any ticket."""
    teams = list(Team.objects.values_list("pk", flat=True)[:3]) or [0]
    stages = list(Stage.objects.filter(is_closed=False).values_list("pk", flat=True)[:2]) or [0]
    # Each kind of rule asks something the bench's tickets never have (an
    # urgent priority, an "outage" name, words no message holds): the cost
    # measured is that of asking, not of acting.
    kinds = [
        [["priority", "any_of", "urgent"], ["message_text", "contains", "chargeback"]],
        [["team", "any_of", ",".join(map(str, teams))], ["message_text", "matches_word", "refund"]],
        [["stage", "any_of", str(stages[-1])], ["priority", "any_of", "urgent"]],
        [["plan", "any_of", "Enterprise"], ["category", "any_of", "billing_issue"]],
        [["name", "contains", "outage"], ["source", "any_of", "chat"]],
    ]
    rules = [
        Rule(
            name=f"Bench rule {n}",
            events=[Event.CUSTOMER_MESSAGE, Event.CREATED],
            position=n,
            conditions_all=[] if n < matching else kinds[n % len(kinds)],
            actions=[{"type": "set_priority", "value": "high"}],
        )
        for n in range(count)
    ]
    return Rule.objects.bulk_create(rules)


def time_event_evaluation(runs: int, summary, counter) -> dict:
    """One customer message's event, evaluated against 200 active rules (none
    holds: the cost of asking). Target p95 <= 5 ms."""
    with transaction.atomic():
        Rule.objects.all().delete()
        event_rules(200)
        message = (
            Message.objects.filter(direction=Message.Direction.INBOUND)
            .select_related("ticket")
            .order_by("-id")
            .first()
        )
        ticket = message.ticket if message else Ticket.objects.filter(is_open=True).first()
        # A ticket none of the rules holds on (rolled back with the rest).
        Ticket.objects.filter(pk=ticket.pk).update(
            priority="low",
            category="general_inquiry",
            name="Bench evaluation",
            properties={},
            team=None,
        )
        ticket.refresh_from_db()
        event = RuleEvent.objects.create(
            ticket=ticket,
            event=Event.CUSTOMER_MESSAGE,
            details={"message": message.pk} if message else {},
        )
        with counter() as counted:
            if engine.run_event(event, ticket).fired:
                raise RuntimeError("a bench rule fired: the evaluation line measures asking only")
        timings = []
        for _run in range(max(runs, 20)):
            started = time.perf_counter()
            outcome = engine.run_event(event, ticket)
            timings.append((time.perf_counter() - started) * 1000)
        if outcome.fired:
            raise RuntimeError("a bench rule fired: the evaluation line measures asking only")
        transaction.set_rollback(True)
    return summary("rules: 200 active rules evaluated on one event", timings, counted.count, 5)


def time_sweep(summary, counter, matches: int = 1000) -> list[dict]:
    """The time-based sweep over every ticket when `matches` open tickets
    have just been waiting an hour (target <= 1 s), then the worker applying
    those firings."""
    results = []
    # Seeded tickets predate the moments: count from creation, as the
    # migration does, so the index holds a realistic spread (once, kept).
    filled = Ticket.objects.filter(stage_changed_at__isnull=True).update(
        stage_changed_at=F("created_at")
    )
    if filled and not connection.in_atomic_block:
        # Every ticket row was rewritten: until vacuumed, the pages measured
        # after this one read the table instead of their covering indexes.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE tickets_ticket")
    with transaction.atomic():
        Rule.objects.all().delete()
        waiting = Stage.objects.filter(name="Waiting on contact").first()
        now = timezone.now()
        rule = Rule.objects.create(
            name="Bench: an hour waiting",
            trigger=Rule.Trigger.TIME,
            moment=Moment.STATUS,
            hours=1,
            swept_until=now - datetime.timedelta(minutes=2),
            conditions_all=[["stage", "any_of", str(waiting.pk)]] if waiting else [],
            actions=[{"type": "set_priority", "value": "low"}],
        )
        ids = list(
            Ticket.objects.filter(is_open=True, is_spam=False, deleted_at__isnull=True)
            .filter(stage=waiting)
            .order_by("-id")
            .values_list("pk", flat=True)[:matches]
        )
        Ticket.objects.filter(pk__in=ids).update(
            stage_changed_at=now - datetime.timedelta(minutes=61)
        )
        with counter() as swept:
            started = time.perf_counter()
            recorded = sweep.sweep(now=now)
            elapsed = (time.perf_counter() - started) * 1000
        results.append(
            summary(
                f"rules: time sweep, {recorded:,} of all tickets due", [elapsed], swept.count, 1000
            )
        )
        started = time.perf_counter()
        fired = 0
        with counter() as applied:
            while RuleFiring.objects.filter(rule=rule, applied_at__isnull=True).exists():
                fired += sweep.apply_pending(rule.pk)
        elapsed = time.perf_counter() - started
        per = elapsed * 1000 / max(fired, 1)
        results.append(
            summary(
                f"rules: worker applies a time firing ({fired:,} fired)",
                [per],
                applied.count // max(fired, 1),
            )
        )
        transaction.set_rollback(True)
    return results

"""Rules that act on events (issue 17).

1. `on_ticket_activity` hears every change (tickets.signals) and, when an
   active rule listens for that kind of event, records a `RuleEvent` in the
   same transaction; after commit the worker is asked to run the ticket's
   events (`run_ticket_events`). A change that rolls back leaves no event; a
   broker outage leaves the event waiting for the beat (`run_waiting`). The
   inbound worker, which already runs after the customer's message is
   stored, runs the delivered ticket's events at the end of its own
   transaction instead (`delivering`).
2. `run_ticket_events` locks the ticket and takes its waiting events in
   order. For each, the listening rules' conditions are read from the ticket
   row (`conditions.read_in_python`) and what needs SQL is asked in one query
   for all of them; the event's own conditions (message text, inbox,
   business hours) are read from its message. Matching rules fire in the admin's order
   until one says "stop here": each firing is a `RuleFiring` row, unique per
   rule and event, so an event evaluated twice (a retried task) fires nothing
   twice, and the rule's actions run in a savepoint under
   `acting_as(RULE, name)`, so the timeline says "by rule “…”".
3. Chains end: a rule fires at most once for a person's change and all that
   rules did because of it (each event remembers the change it descends
   from), a change a rule makes records its events one level deeper and
   nothing deeper than MAX_DEPTH is recorded, and a rule fires at most
   `WorkflowSettings.max_firings_per_day` times on one ticket a day. A rule
   whose actions fail (its status deleted, its team gone) is switched off with
   the reason, and the event goes on with the next rule.
"""

import contextlib
import contextvars
import datetime
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from conversations.models import Message
from helpdesk.prepared import Prepared
from helpdesk.queue import enqueue
from tickets import filters
from tickets.models import PropertyDefinition, Ticket, TicketEvent
from tickets.services import import_mode
from tickets.signals import ticket_activity
from webhooks import events as webhook_events
from webhooks.models import EventType

from . import actions, conditions
from .models import Event, Rule, RuleEvent, RuleFiring, WorkflowSettings

log = logging.getLogger(__name__)

MAX_DEPTH = 3
# How many waiting events one run takes for a ticket; the rest are queued again.
BATCH = 50

# The event whose rules are running now, as (depth, id of the person's change
# it descends from); None while a person acts.
_running: contextvars.ContextVar[tuple[int, int | None] | None] = contextvars.ContextVar(
    "rule_running", default=None
)

BUILTIN_EVENTS = {"owner": Event.OWNER, "team": Event.TEAM, "priority": Event.PRIORITY}


# Recording -------------------------------------------------------------------


# The active event rules, loaded once per process and again when any rule
# changes. Whether one did is asked of the database (how many rules, the
# latest change, the latest id: one small aggregate), not of a cache, so a
# worker notices a rule deleted or edited in another process whatever cache
# the deployment has. It is asked at most once a second: a rule changed
# within that second may still be acted on, as it may between any load and
# the commit; a firing of a rule deleted meanwhile fails its task's commit,
# and the beat runs the event again.
RECHECK_SECONDS = 1.0
_loaded: dict = {"version": None, "rules": [], "checked": -RECHECK_SECONDS}


def active_event_rules() -> list[Rule]:
    now = time.monotonic()
    if now - _loaded["checked"] < RECHECK_SECONDS:
        return _loaded["rules"]
    _loaded["checked"] = now
    version = tuple(
        Rule.objects.aggregate(
            count=Count("id"), changed=Max("updated_at"), last=Max("id")
        ).values()
    )
    if _loaded["version"] != version:
        _loaded["rules"] = list(Rule.objects.filter(is_active=True, trigger=Rule.Trigger.EVENT))
        _loaded["listened"] = frozenset(e for rule in _loaded["rules"] for e in rule.events)
        _loaded["version"] = version
    # Read again with the rules' check: the settings and the properties the
    # conditions name.
    _loaded["settings"] = None
    _loaded["known"] = None
    return _loaded["rules"]


def _rules_changed(sender, **kwargs):
    """A rule, the rule settings or a ticket property changed in this
    process: read them again at the next event."""
    _loaded["checked"] = -RECHECK_SECONDS


for _model in (Rule, WorkflowSettings, PropertyDefinition):
    post_save.connect(_rules_changed, sender=_model, dispatch_uid=f"workflows.{_model.__name__}")
    post_delete.connect(_rules_changed, sender=_model, dispatch_uid=f"workflows.{_model.__name__}-")


def listened_events() -> frozenset[str]:
    """The events some active rule listens for (asked on every change)."""
    active_event_rules()
    return _loaded.get("listened", frozenset())


def _pk(value) -> int | None:
    return getattr(value, "pk", None)


def events_of(kind: str, details: dict) -> list[tuple[str, dict]]:
    """The rule events (and what each keeps) one ticket_activity stands for.
    Details a sender left out are kept as None: a receiver never fails the
    change it hears of."""
    if kind == "created":
        return [(Event.CREATED, {})]
    if kind in ("customer_message", "comment"):
        return [(kind, {"message": _pk(details.get("message"))})]
    if kind == "agent_reply":
        return [(Event.AGENT_REPLY, {})]
    if kind == "stage":
        old, new = _pk(details.get("old_stage")), _pk(details.get("new_stage"))
        return [(Event.STATUS, {"old": old, "new": new})]
    if kind == "properties":
        found: dict[str, dict] = {}
        for key in details.get("previous", {}):
            if key in ("name", "description", "pipeline"):
                continue
            event = BUILTIN_EVENTS.get(key, Event.PROPERTY)
            found.setdefault(event, {"fields": []})["fields"].append(key)
        return list(found.items())
    if kind == "tags":
        kept = {"added": details.get("added", []), "removed": details.get("removed", [])}
        return [(Event.TAGS, kept)]
    if kind == "sla":
        event = Event.SLA_OVERDUE if details.get("state") == "overdue" else Event.SLA_DUE_SOON
        return [(event, {"clock": details.get("clock", "")})]
    return []


# While the inbound worker delivers (`delivering()`), events are kept here
# and written in one statement when the delivery is done, then run at once
# for the delivered ticket; None otherwise (each signal writes its events).
_buffer: contextvars.ContextVar[list[RuleEvent] | None] = contextvars.ContextVar(
    "rule_buffer", default=None
)


@receiver(ticket_activity, dispatch_uid="workflows.record_events")
def on_ticket_activity(sender, ticket: Ticket, kind: str, **details):
    mode = import_mode()
    if mode is not None and not mode.run_rules:
        return  # imported history sets off no rule unless the admin asked (imports)
    running = _running.get()
    depth = 0 if running is None else running[0] + 1
    if depth > MAX_DEPTH:
        return
    listened = listened_events()
    wanted = [(event, kept) for event, kept in events_of(kind, details) if event in listened]
    if not wanted:
        return
    recorded = [
        RuleEvent(
            ticket_id=ticket.pk,
            event=event,
            details=kept,
            depth=depth,
            root_id=running[1] if running else None,
        )
        for event, kept in wanted
    ]
    buffered = _buffer.get()
    if buffered is not None and running is None:
        buffered.extend(recorded)
    else:
        RuleEvent.objects.bulk_create(recorded)
    ticket_id = ticket.pk
    transaction.on_commit(lambda: enqueue("workflows.tasks.run_ticket_events", ticket_id))


@contextlib.contextmanager
def delivering(ticket_id: Callable[[], int | None]) -> Iterator[None]:
    """Around the inbound worker's delivery, inside its transaction: the
    delivered ticket's events (`ticket_id()`) are run right there, once the
    delivery is done, so its rules cost no second transaction, and an event
    is written only when a rule acts on it (the commit of the delivery is
    the commit of their evaluation). They are asked in Python first: a
    delivery no rule may act on (most of them) costs no savepoint. A
    failure is rolled back to that point and the events are written for
    the task queued after commit: the delivery never fails because of a
    rule. Other tickets' events are written as usual."""
    token = _buffer.set([])
    try:
        yield
        events = _buffer.get() or []
    finally:
        _buffer.reset(token)
    if not events:
        return
    delivered = ticket_id()
    mine = [event for event in events if event.ticket_id == delivered]
    # Other tickets' events (a linked ticket's) wait for their task as usual.
    RuleEvent.objects.bulk_create([event for event in events if event.ticket_id != delivered])
    if not mine:
        return
    try:
        ticket = LOCKED_TICKET.first(delivered)
        if ticket is None or not _may_act(mine, ticket):
            return
        with transaction.atomic():
            new = any(e.event == Event.CREATED for e in mine)
            _run_pending(delivered, first=mine, new=new, ticket=ticket)
    except Exception:
        log.exception("rules for ticket %s left to the worker's task", delivered)
        # Rolled back to before them: written now, for the task.
        RuleEvent.objects.bulk_create(
            RuleEvent(ticket_id=e.ticket_id, event=e.event, details=e.details, depth=e.depth)
            for e in mine
        )


# Running -----------------------------------------------------------------------


@dataclass
class Outcome:
    """What happened to one event: the rules that fired, and those switched off."""

    fired: list[Rule] = field(default_factory=list)
    broken: list[tuple[Rule, str]] = field(default_factory=list)


def run_ticket_events(ticket_id: int) -> int:
    """Evaluate the ticket's waiting events in order (the worker, after the
    change committed). Returns how many were evaluated."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # This commit need not wait for the disk: if the database stopped
            # before writing it, the events it marked done are waiting again,
            # with none of what their rules did, and the beat runs them anew.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        done = _run_pending(ticket_id)
    if done >= BATCH:
        enqueue("workflows.tasks.run_ticket_events", ticket_id)
    return done


# Read for every ticket's events (every inbound message with rules): compiled
# once (helpdesk.prepared).
LOCKED_TICKET = Prepared(
    lambda pk: Ticket.objects.locked(pk).select_related("pipeline", "stage"), int
)


def _run_pending(
    ticket_id: int,
    first: list[RuleEvent] | None = None,
    *,
    new: bool = False,
    ticket: Ticket | None = None,
) -> int:
    """Run the ticket's waiting events in order; `first`: the ones just
    written by the caller (no need to read them back), `new`: the ticket was
    made in this transaction, `ticket`: the caller locked it. Returns how many."""
    ticket = ticket or LOCKED_TICKET.first(ticket_id)
    if ticket is None:
        return 0
    done = 0
    while done < BATCH:
        # All that waits, in order; rules that act record more, read next.
        events = first or _waiting(ticket_id, BATCH - done)
        first = None
        if not events:
            break
        fired = False
        roots = {e.root_id or e.pk for e in events}
        # A ticket made in this delivery has fired nothing yet: no need to ask.
        history = Firings({}, {}) if new else Firings.of(ticket, roots)
        new = False
        for event in events:
            fired = bool(run_event(event, ticket, history).fired) or fired
        saved = [e.pk for e in events if e.pk is not None]
        if saved:
            RuleEvent.objects.filter(pk__in=saved).update(processed_at=timezone.now())
        done += len(events)
        if not fired:
            break  # nothing acted: nothing new was recorded
    return done


def _waiting(ticket_id: int, limit: int) -> list[RuleEvent]:
    """The ticket's events not run yet, oldest first (built only when asked:
    the inbound worker's delivery hands over its own)."""
    waiting = RuleEvent.objects.filter(ticket_id=ticket_id, processed_at__isnull=True)
    return list(waiting.order_by("id")[:limit])


def run_waiting(older_than: datetime.timedelta = datetime.timedelta(minutes=1)) -> int:
    """Beat: queue again the tickets whose events wait (a lost task, a broker
    outage). Returns how many tickets were queued."""
    cutoff = timezone.now() - older_than
    tickets = list(
        RuleEvent.objects.filter(processed_at__isnull=True, created_at__lt=cutoff)
        .values_list("ticket_id", flat=True)
        .distinct()[:500]
    )
    for ticket_id in tickets:
        enqueue("workflows.tasks.run_ticket_events", ticket_id)
    return len(tickets)


def _may_act(events: list[RuleEvent], ticket: Ticket) -> bool:
    """Whether a rule may act on these events of the delivered (locked)
    ticket, asked in Python only: most deliveries hold no rule, and then no
    savepoint is made for them (two statements of every inbound message).
    A condition that needs SQL, or a rule that cannot be read, answers yes:
    it is asked again where a failure is rolled back. Until a rule acts, the
    ticket does not change, so each event is asked of the same ticket."""
    for event in events:
        rules = listening_rules(event.event)
        if not rules:
            continue
        facts = conditions.EventFacts(ticket, lambda event=event: _message_of(event, ticket))
        if _may_hold(rules, ticket, facts):
            return True
    return False


def listening_rules(event: str) -> list[Rule]:
    return [rule for rule in active_event_rules() if rule.is_active and event in rule.events]


def run_event(event: RuleEvent, ticket: Ticket, history: "Firings | None" = None) -> Outcome:
    """Fire the rules that listen for `event` and match the (locked) ticket.
    `history`: the ticket's firings, read once for a batch of its events."""
    outcome = Outcome()
    root = event.root_id or event.pk
    rules = listening_rules(event.event)
    if not rules:
        return outcome
    # Which rules already fired for this change, and how often each fired on
    # the ticket today: one query, whatever the number of rules and events.
    history = history or Firings.of(ticket, {root})
    already, today = history.already.get(root, set()), history.today
    rules = [rule for rule in rules if rule.pk not in already]
    cap = settings_now().max_firings_per_day
    facts = conditions.EventFacts(ticket, lambda: _message_of(event, ticket))
    remaining = rules
    answers: dict | None = evaluate(remaining, ticket, facts)
    if event.pk is None:
        # An event run as it happens (the inbound worker's delivery) is
        # written only when a rule acts on it: its firings refer to it.
        if not any(a is True or isinstance(a, str) for a in answers.values()):
            return outcome
        event.processed_at = timezone.now()
        event.save()
        root = event.pk
    token = _running.set((event.depth, root))
    try:
        while remaining:
            answers = answers or evaluate(remaining, ticket, facts)
            fired = None
            for index, rule in enumerate(remaining):
                answer = answers.get(rule.pk)
                if isinstance(answer, str):
                    switch_off(rule, answer)
                    outcome.broken.append((rule, answer))
                    continue
                if answer is not True:
                    continue
                if today.get(rule.pk, 0) >= cap:
                    log.info("rule %s reached its daily cap on ticket %s", rule.pk, ticket.pk)
                    continue
                error = fire(rule, ticket, event_id=root)
                if error == "skipped":
                    continue
                if error:
                    outcome.broken.append((rule, error))
                    continue
                today[rule.pk] = today.get(rule.pk, 0) + 1
                history.already.setdefault(root, set()).add(rule.pk)
                outcome.fired.append(rule)
                fired = index
                break
            if fired is None or remaining[fired].stop_processing:
                break
            # The rule changed the ticket: the rules after it see the change.
            remaining = remaining[fired + 1 :]
            ticket.refresh_from_db()
            answers = None
    finally:
        _running.reset(token)
    if outcome.fired:
        ticket.refresh_from_db()  # the next event reads the ticket as the rules left it
    return outcome


@dataclass
class Firings:
    """A ticket's firings that matter now: the rules each change already
    fired (`already`, by root event) and how often each rule fired on the
    ticket in the last day (`today`). A day's firings of one ticket are few:
    the daily cap bounds them."""

    already: dict[int, set[int]]
    today: dict[int, int]

    @classmethod
    def of(cls, ticket: Ticket, roots: set[int]) -> "Firings":
        day_ago = timezone.now() - datetime.timedelta(days=1)
        rows = RuleFiring.objects.filter(ticket=ticket).filter(
            Q(event_id__in=roots) | Q(created_at__gte=day_ago, applied_at__isnull=False)
        )
        found = cls({}, {})
        for rule_id, event_id, created_at, applied_at in rows.values_list(
            "rule_id", "event_id", "created_at", "applied_at"
        ):
            if event_id in roots:
                found.already.setdefault(event_id, set()).add(rule_id)
            if applied_at is not None and created_at >= day_ago:
                found.today[rule_id] = found.today.get(rule_id, 0) + 1
        return found


def fired_today(ticket: Ticket) -> dict[int, int]:
    """{rule id: how many times it fired on the ticket in the last day}."""
    return Firings.of(ticket, set()).today


def known_now() -> dict:
    """The properties conditions can name (tickets.filters and the event's own)."""
    active_event_rules()
    if _loaded.get("known") is None:
        _loaded["known"] = conditions.known_properties()
    return _loaded["known"]


def settings_now() -> WorkflowSettings:
    """The rule settings, read again when the rules are (at most once a second)."""
    active_event_rules()
    if _loaded.get("settings") is None:
        _loaded["settings"] = WorkflowSettings.current()
    return _loaded["settings"]


def _message_of(event: RuleEvent, ticket: Ticket) -> Message | None:
    messages = Message.objects.select_related("thread")
    if event.details.get("message"):
        return messages.filter(pk=event.details["message"]).first()
    if event.event == Event.CREATED:
        return messages.filter(ticket=ticket).order_by("created_at", "id").first()
    return None


def evaluate(
    rules: list[Rule], ticket: Ticket, facts: conditions.EventFacts | None
) -> dict[int, bool | str]:
    """{rule id: True / False, or the reason it cannot be evaluated} for the
    ticket as it is now. Conditions Python can read from the row are read
    there; what needs SQL (associations, SLA states, numbers and dates in
    custom properties) is asked in one query for every rule at once."""
    answers, pending, columns = _read_rules(rules, ticket, facts)
    row = {}
    if columns:
        row = (
            Ticket.objects.filter(pk=ticket.pk)
            .values(**{name: ExpressionWrapper(q, BooleanField()) for name, q in columns.items()})
            .first()
            or {}
        )
    for pk, (all_of, any_of) in pending.items():
        holds = all(row.get(a) if isinstance(a, str) else a for a in all_of)
        if holds and any_of:
            holds = any(row.get(a) if isinstance(a, str) else a for a in any_of)
        answers[pk] = bool(holds)
    return answers


def _may_hold(rules: list[Rule], ticket: Ticket, facts: conditions.EventFacts) -> bool:
    """Whether one of `rules` may hold, from what Python reads alone: a
    condition that needs SQL is unknown, and a rule it leaves undecided may
    hold; so may a rule that cannot be read (it is switched off where the
    rules run)."""
    answers, pending, _columns = _read_rules(rules, ticket, facts)
    if answers:
        return True
    for all_of, any_of in pending.values():
        # Known answers are booleans; a column's name stands for "unknown".
        if any(a is False for a in all_of):
            continue
        if not any_of or any(a is not False for a in any_of):
            return True
    return False


def _read_rules(
    rules: list[Rule], ticket: Ticket, facts: conditions.EventFacts | None
) -> tuple[dict[int, bool | str], dict[int, tuple[list, list]], dict[str, Q]]:
    """What Python reads of each rule: the reasons of those that cannot be
    read, each readable rule's answers by group (a boolean, or the name of
    the SQL column that will hold it), and those columns."""
    known = known_now()
    answers: dict[int, bool | str] = {}
    columns: dict[str, Q] = {}
    pending: dict[int, tuple[list, list]] = {}
    for rule in rules:
        pk = rule.id
        try:
            any_of = parsed(rule, "any")  # most rules have none
            pending[pk] = (
                _read(parsed(rule, "all"), known, ticket, facts, "all", pk, columns),
                _read(any_of, known, ticket, facts, "any", pk, columns) if any_of else [],
            )
        except (filters.FilterError, ValidationError) as error:
            answers[pk] = str(error.messages[0] if hasattr(error, "messages") else error)
    return answers, pending, columns


def parsed(rule: Rule, group: str) -> list[filters.Condition]:
    """The rule's conditions of one group as Condition objects, made once per
    loaded rule (a rule that changes is loaded again)."""
    name = f"_parsed_{group}"
    found = rule.__dict__.get(name)
    if found is None:
        triples = rule.conditions_all if group == "all" else rule.conditions_any
        found = [filters.Condition(*triple) for triple in triples]
        rule.__dict__[name] = found
    return found


def _read(conditions_, known, ticket, facts, group, rule_id, columns) -> list:
    """Each condition's answer (a bool), or the name of the SQL column that
    will hold it."""
    found = []
    for index, condition in enumerate(conditions_):
        if condition.key in conditions.EVENT_PROPERTIES:
            found.append(facts is not None and facts.holds(condition))
            continue
        prop = known.get(condition.key)
        answer = (
            conditions.read_in_python(condition, prop, ticket)
            if prop is not None and condition.operator in filters.OPERATORS_BY_TYPE[prop.type]
            else conditions.UNREAD
        )
        if answer is conditions.UNREAD:
            name = f"{group}_{rule_id}_{index}"
            columns[name] = filters.condition_q(condition, known, None)
            found.append(name)
        else:
            found.append(answer)
            if answer is (group == "any"):
                break  # all-of found a False, any-of a True: the rest cannot change it
    return found


def under_cap(rule: Rule, ticket: Ticket) -> bool:
    """Whether the rule may fire once more on this ticket today."""
    cap = settings_now().max_firings_per_day
    if fired_today(ticket).get(rule.pk, 0) >= cap:
        log.info("rule %s reached its daily cap on ticket %s", rule.pk, ticket.pk)
        return False
    return True


def fire(rule: Rule, ticket: Ticket, *, event_id: int) -> str:
    """Run `rule`'s actions on the locked ticket, once for the person's change
    `event_id` and everything rules did because of it (as Zendesk's triggers
    fire once per update). Returns "" when it fired, "skipped" when it already
    had (or its daily cap is reached), else why it cannot run (the rule is
    then switched off). The caller has checked the daily cap."""
    try:
        with transaction.atomic():
            firing = RuleFiring.objects.create(
                rule=rule, ticket=ticket, event_id=event_id, applied_at=timezone.now()
            )
    except IntegrityError:
        return "skipped"  # this change already fired the rule
    reason = run_actions(rule, ticket)
    if reason:
        firing.delete()
    return reason


def run_actions(rule: Rule, ticket: Ticket) -> str:
    """The rule's actions on the locked ticket, in a savepoint: "" when done,
    else the reason it cannot run, and the rule is switched off."""
    try:
        with transaction.atomic():
            # Validated again: what it names (a status, a team, a user) may be gone.
            cleaned = actions.validate(rule.actions, for_macro=False)
            actions.apply(
                cleaned, ticket=ticket, actor=None, via=TicketEvent.Via.RULE, name=rule.name
            )
    except OperationalError:
        raise  # the database, not the rule: the task is retried
    except Exception as error:
        # Anything else is the rule's: its savepoint rolled back what it did.
        log.exception("rule %s failed on ticket %s", rule.pk, ticket.pk)
        reason = _reason(error)
        switch_off(rule, reason)
        return reason
    # Webhooks subscribed to "rule fired" hear of it (event and time rules alike).
    webhook_events.publish(
        EventType.RULE_FIRED, ticket=ticket, data={"rule": {"id": rule.pk, "name": rule.name}}
    )
    return ""


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return str(error) or type(error).__name__


def switch_off(rule: Rule, reason: str) -> None:
    """A rule that cannot run is switched off, visibly, rather than failing
    every event that reaches it."""
    log.warning("rule %s switched off: %s", rule.pk, reason)
    Rule.objects.filter(pk=rule.pk).update(
        is_active=False, disabled_reason=reason[:1000], updated_at=timezone.now()
    )
    rule.is_active = False
    rule.disabled_reason = reason
    _rules_changed(Rule)

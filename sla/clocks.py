"""SLA clocks (S30-S33, ARCHITECTURE rule 4): deadlines written on the ticket
when something happens, a status derived from them when read, and a sweep
that speaks when a deadline comes near or passes.

The three goals and when their clocks run:

- First response: from the customer's first message until the first agent
  reply to them (an internal comment is not one). It stops once.
- Next response: from a customer message that follows an agent reply until
  the agent's next reply. Each such message starts a new clock unless one is
  already running.
- Close: from the ticket's creation until it enters a closed stage. Reopening
  starts it again from the moment of reopening.

Stages marked "pauses SLA clocks" (such as waiting on the contact) stop every
running clock; leaving them moves each deadline by the working time spent
paused. A clock started during a pause starts when the pause ends. A goal that
was met or missed is recorded once (`SlaOutcome`) and on the timeline.

Working time comes from the calendar of the ticket's team, else the default
calendar, unless the settings say 24/7 (S32).

A deadline keeps the configuration it was computed with until a super admin
applies a change to open tickets (`sla.changes`). Each clock is stamped with
the configuration's version (the latest `SlaChange` id) when the clocks
compute it from the live configuration; moving a running deadline later (a
pause ending, the goal's property changing) counts its time on the
configuration it was computed with, so the apply neither misses nor repeats a
move.
"""

import datetime

from django.conf import settings as django_settings
from django.db import connection, transaction
from django.db.models import Max
from django.dispatch import receiver
from django.utils import timezone

from conversations.models import Message
from tickets.models import Ticket, TicketEvent
from tickets.services import import_mode
from tickets.signals import ticket_activity

from .business import NoWorkingTime, Schedule
from .models import Calendar, SlaChange, SlaGoal, SlaOutcome, SlaSettings
from .snapshot import CUSTOM, Config

CLOCKS = {
    "first_response": "sla_first_response_due",
    "next_response": "sla_next_response_due",
    "close": "sla_close_due",
}
# sla_notified bits: (clock, "soon" | "over") -> bit
BITS = {
    (clock, stage): 1 << (2 * index + offset)
    for index, clock in enumerate(CLOCKS)
    for offset, stage in enumerate(("soon", "over"))
}
# The configuration each clock's deadline was computed with (see `Clocks.config`).
VERSIONS = {clock: f"sla_{clock}_version" for clock in CLOCKS}
SLA_FIELDS = [
    *CLOCKS.values(),
    *VERSIONS.values(),
    "sla_first_response_at",
    "sla_paused_at",
    "sla_due_soon_minutes",
    "sla_next_check_at",
    "sla_notified",
]


# What the goals are for a ticket ------------------------------------------


def goal_for(ticket: Ticket, settings: SlaSettings) -> SlaGoal | None:
    """The enabled goals for the ticket's value of the property goals vary
    by (a built-in one, or a custom choice property "property:<key>")."""
    if not settings.enabled:
        return None
    field = settings.goals_by
    if not field:
        return _goal_with_value("")
    if field.startswith(CUSTOM):
        return _goal_with_value(ticket.properties.get(field.removeprefix(CUSTOM), ""))
    return _goal_with_value(
        getattr(ticket, f"{field}_id" if field in ("team", "pipeline") else field)
    )


def _goal_with_value(value) -> SlaGoal | None:
    return SlaGoal.objects.filter(value=str(value or ""), is_enabled=True).first()


def schedule_for(ticket: Ticket, settings: SlaSettings) -> Schedule:
    if settings.mode == SlaSettings.Mode.ALWAYS:
        return Schedule.around_the_clock()
    return team_schedule(ticket.team_id)


def team_schedule(team_id: int | None) -> Schedule:
    """The working time of a team's tickets: its calendar (the first, when it
    is in several), else the help desk's default one, else every minute (no
    hours defined yet). The SLA clocks, routing and time-based rules all
    count in it."""
    calendar = (
        Calendar.objects.filter(teams=team_id).order_by("id").first() if team_id else None
    ) or Calendar.objects.filter(is_default=True).first()
    if calendar is None:
        return Schedule.around_the_clock()
    return calendar_schedule(calendar)


def calendar_schedule(calendar: Calendar) -> Schedule:
    own = set(calendar.holidays.values_list("date", flat=True))
    public = None
    if calendar.holiday_country:
        import holidays

        public = holidays.country_holidays(
            calendar.holiday_country.upper(), subdiv=calendar.holiday_subdivision or None
        )
    return Schedule.weekly(
        calendar.time_zone,
        [(p.weekday, p.start, p.end) for p in calendar.periods.all()],
        is_holiday=lambda day: day in own or (public is not None and day in public),
    )


# Events ---------------------------------------------------------------------


# A process clock this far from the database's is wrong, not merely late.
SKEW_TOLERANCE = datetime.timedelta(minutes=1)


def corrected(at: datetime.datetime) -> datetime.datetime:
    """An event time from this process's clock, moved by that clock's error when
    it is off from PostgreSQL's `now()` by more than SKEW_TOLERANCE (RELIABILITY
    20: a worker whose clock runs 10 minutes fast still sets true deadlines).
    Off when HELPDESK_SLA_DATABASE_CLOCK is False (tests that move the process
    clock with time_machine, which cannot move PostgreSQL's)."""
    if not django_settings.HELPDESK_SLA_DATABASE_CLOCK or connection.vendor != "postgresql":
        return at
    skew = database_now() - timezone.now()
    return at + skew if abs(skew) > SKEW_TOLERANCE else at


# The kinds of ticket_activity that can move a deadline; others (tags) are
# ignored before anything is read or saved.
CLOCK_KINDS = {"customer_message", "agent_reply", "stage", "properties"}


@receiver(ticket_activity)
def on_ticket_activity(sender, ticket: Ticket, kind: str, at: datetime.datetime, **details):
    if kind not in CLOCK_KINDS:
        return
    settings = SlaSettings.current()
    if not settings.enabled:
        return
    at = corrected(at)
    clock = Clocks(ticket, settings)
    if kind == "customer_message":
        clock.customer_message(at)
    elif kind == "agent_reply":
        clock.agent_reply(at)
    elif kind == "stage":
        clock.stage_changed(details["old_stage"], details["new_stage"], at)
    elif kind == "properties":
        clock.properties_changed(details["previous"], at)
    clock.save()


class Clocks:
    """The SLA fields of one locked ticket, changed by events and saved once."""

    def __init__(self, ticket: Ticket, settings: SlaSettings, *, known=None):
        """`known`: the goal, schedule and version already read for another
        ticket with the same goal value and team (a batch, `clocks_from_history`)."""
        self.ticket = ticket
        self.settings = settings
        self.goal, self._schedule, self._version = known or (goal_for(ticket, settings), None, None)
        # Met or missed goals as unsaved rows, when a batch asks (clocks_from_history).
        self.recorded: list | None = None
        self._configs = {}
        self.changed = False

    @property
    def version(self) -> int:
        """The live configuration's version: the latest SLA change's id."""
        if self._version is None:
            self._version = SlaChange.objects.aggregate(last=Max("pk"))["last"] or 0
        return self._version

    def config(self, clock: str):
        """The configuration `clock`'s deadline was computed with, as a
        `snapshot.Config`: the `before` of the first change saved
        after its stamp. None when that is the live configuration (no change
        since, or a deadline older than the stamps)."""
        stamp = getattr(self.ticket, VERSIONS[clock])
        if stamp is None:
            return None
        if stamp not in self._configs:
            change = SlaChange.objects.filter(pk__gt=stamp).order_by("pk").only("before").first()
            self._configs[stamp] = Config(change.before) if change else None
        return self._configs[stamp]

    def _schedule_of(self, config, team_id) -> Schedule:
        if config is None:
            return self.schedule
        return config.schedule(config.calendar(team_id))

    @property
    def schedule(self) -> Schedule:
        if self._schedule is None:
            self._schedule = schedule_for(self.ticket, self.settings)
        return self._schedule

    def _due(self, start: datetime.datetime, minutes: int | None):
        if not minutes:
            return None
        start = self.ticket.sla_paused_at or start  # started in a pause: runs after it
        try:
            return self.schedule.add(start, datetime.timedelta(minutes=minutes))
        except NoWorkingTime:
            return None

    def _set(self, field: str, value) -> None:
        if getattr(self.ticket, field) != value:
            setattr(self.ticket, field, value)
            self.changed = True

    def _start(self, clock: str, due) -> None:
        self._set(CLOCKS[clock], due)
        if due is not None:
            self._set(VERSIONS[clock], self.version)
        self._set(
            "sla_notified",
            self.ticket.sla_notified & ~(BITS[(clock, "soon")] | BITS[(clock, "over")]),
        )
        if due is not None:
            self._set("sla_due_soon_minutes", self.goal.due_soon_minutes)

    def _stop(self, clock: str, at: datetime.datetime) -> None:
        due = getattr(self.ticket, CLOCKS[clock])
        if due is None:
            return
        met = at <= due
        outcome = SlaOutcome(
            ticket=self.ticket,
            team_id=self.ticket.team_id,
            goal=clock,
            due_at=due,
            done_at=at,
            met=met,
        )
        event = TicketEvent(
            ticket=self.ticket,
            kind=TicketEvent.Kind.SLA,
            field=clock,
            new_value="met" if met else "missed",
        )
        if self.recorded is not None:  # a batch writes them once its tickets have ids
            event.created_at = at
            self.recorded += [outcome, event]
            return
        outcome.save()
        event.save()

    def customer_message(self, at: datetime.datetime) -> None:
        ticket = self.ticket
        if self.goal is None:
            return
        if ticket.sla_first_response_at is None:
            if ticket.sla_first_response_due is None:
                self._start("first_response", self._due(at, self.goal.first_response_minutes))
        elif ticket.sla_next_response_due is None:
            self._start("next_response", self._due(at, self.goal.next_response_minutes))
        if ticket.is_open and ticket.sla_close_due is None:
            self._start("close", self._due(ticket.created_at or at, self.goal.close_minutes))

    def agent_reply(self, at: datetime.datetime) -> None:
        ticket = self.ticket
        if ticket.sla_first_response_at is None:
            self._stop("first_response", at)
            self._set("sla_first_response_at", at)
        if ticket.sla_next_response_due is not None:
            self._stop("next_response", at)
            self._set("sla_next_response_due", None)

    def stage_changed(self, old, new, at: datetime.datetime) -> None:
        ticket = self.ticket
        if new.is_closed and not old.is_closed:
            self._stop("close", at)
            self._set("sla_next_response_due", None)
        elif old.is_closed and not new.is_closed and self.goal is not None:
            self._start("close", self._due(at, self.goal.close_minutes))
        if new.pauses_sla and not old.pauses_sla and ticket.sla_paused_at is None:
            self._set("sla_paused_at", at)
        elif old.pauses_sla and not new.pauses_sla and ticket.sla_paused_at is not None:
            self._resume(at)

    def properties_changed(self, previous: dict, at: datetime.datetime) -> None:
        """The property goals vary by changed (or the team, whose calendar
        counts): each running deadline keeps the working time already spent
        and gets the new goal, and the timeline says it moved."""
        selector = self.settings.goals_by.removeprefix(CUSTOM)
        if not (selector and selector in previous) and "team" not in previous:
            return
        live_old_goal = _goal_with_value(previous[selector]) if selector in previous else self.goal
        self._schedule = None  # the team's calendar may differ
        goals = {
            "first_response": "first_response_minutes",
            "next_response": "next_response_minutes",
            "close": "close_minutes",
        }
        now = self.ticket.sla_paused_at or at
        for clock, field in CLOCKS.items():
            due = getattr(self.ticket, field)
            if due is None or not _running(self.ticket, clock):
                continue
            # The time spent is measured on the goal and hours the deadline
            # was computed with: those before an SLA change not applied yet,
            # if it predates the change (else applying would move it again).
            config = self.config(clock)
            if config is None:
                old_goal = live_old_goal
                old_minutes = getattr(old_goal, goals[clock]) if old_goal else None
            else:
                old_goal = config.goal(self.ticket, previous)
                old_minutes = old_goal[clock] if old_goal else None
            if old_goal is None:
                continue
            new_minutes = getattr(self.goal, goals[clock]) if self.goal else None
            if not new_minutes:
                self._set(field, None)  # no goal any more for this value
                self._moved(clock, due, None)
                continue
            old_schedule = self._schedule_of(config, previous.get("team", self.ticket.team_id))
            schedule = self.schedule
            old_total = datetime.timedelta(minutes=old_minutes or 0)
            left = old_schedule.between(now, due) if due >= now else -old_schedule.between(due, now)
            spent = old_total - left
            rest = datetime.timedelta(minutes=new_minutes) - spent
            try:
                new_due = (
                    schedule.add(now, rest)
                    if rest >= datetime.timedelta(0)
                    else (schedule.subtract(now, -rest))
                )
            except NoWorkingTime:
                continue
            # Computed from the live configuration now, moved or not.
            self._set(VERSIONS[clock], self.version)
            if new_due != due:
                self._set(field, new_due)
                self._set("sla_due_soon_minutes", self.goal.due_soon_minutes)
                self._moved(clock, due, new_due)
        if selector and selector in previous:
            self._start_new_goals()

    def _start_new_goals(self) -> None:
        """The clocks the new value has a goal for and the old had not (issue
        14: before, such a ticket stayed without SLA). Each starts where it
        would have had the goal applied all along, so the working time already
        spent counts, as when a goal changes; the timeline says it was set."""
        ticket, goal = self.ticket, self.goal
        if goal is None or not ticket.is_open:
            return
        waiting = _waiting_since(ticket)
        wanted = []
        if ticket.sla_first_response_at is None and waiting is not None:
            wanted.append(("first_response", waiting, goal.first_response_minutes))
        elif waiting is not None:
            wanted.append(("next_response", waiting, goal.next_response_minutes))
        if waiting is not None or ticket.sla_first_response_at is not None:
            wanted.append(("close", ticket.created_at, goal.close_minutes))
        for clock, start, minutes in wanted:
            if getattr(ticket, CLOCKS[clock]) is not None or not minutes:
                continue
            due = self._due(start, minutes)
            if due is not None:
                self._start(clock, due)
                self._moved(clock, None, due)

    def _moved(self, clock: str, old, new) -> None:
        TicketEvent.objects.create(
            ticket=self.ticket,
            kind=TicketEvent.Kind.SLA,
            field=clock,
            old_value=old.isoformat() if old else "",
            new_value=new.isoformat() if new else "",
        )

    def _resume(self, at: datetime.datetime) -> None:
        """Move each running deadline by the working time spent paused."""
        paused = self.ticket.sla_paused_at
        self._set("sla_paused_at", None)
        for clock, field in CLOCKS.items():
            due = getattr(self.ticket, field)
            if due is None or due <= paused or not _running(self.ticket, clock):
                continue
            # On the hours the deadline was computed with: it keeps its
            # configuration (and its stamp) until a change is applied.
            schedule = self._schedule_of(self.config(clock), self.ticket.team_id)
            left = schedule.between(paused, due)
            try:
                self._set(field, schedule.add(at, left))
            except NoWorkingTime:
                continue
            self._moved(clock, due, getattr(self.ticket, field))

    def save(self) -> None:
        if import_mode() is not None:
            self._set(
                "sla_notified", self.ticket.sla_notified | passed_bits(self.ticket, timezone.now())
            )
        self._set("sla_next_check_at", next_check(self.ticket))
        if self.changed:
            Ticket.objects.filter(pk=self.ticket.pk).update(
                **{field: getattr(self.ticket, field) for field in SLA_FIELDS}
            )


def _waiting_since(ticket: Ticket) -> datetime.datetime | None:
    """When the customer's oldest message that no agent has answered yet
    arrived; None when nothing waits for an answer."""
    messages = Message.objects.filter(ticket=ticket, kind=Message.Kind.MESSAGE)
    answered = (
        messages.filter(direction=Message.Direction.OUTBOUND)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    waiting = messages.filter(direction=Message.Direction.INBOUND)
    if answered is not None:
        waiting = waiting.filter(created_at__gt=answered)
    return waiting.order_by("created_at").values_list("created_at", flat=True).first()


def next_check(ticket: Ticket):
    """When the sweep next has something to say: the earliest "due soon" or
    deadline of a running clock it has not announced; None while paused."""
    if ticket.sla_paused_at is not None or not ticket.is_open:
        return None
    soon = datetime.timedelta(minutes=ticket.sla_due_soon_minutes)
    moments = []
    for clock, field in CLOCKS.items():
        due = getattr(ticket, field)
        if due is None or not _running(ticket, clock):
            continue
        if not ticket.sla_notified & BITS[(clock, "soon")]:
            moments.append(due - soon)
        if not ticket.sla_notified & BITS[(clock, "over")]:
            moments.append(due)
    return min(moments, default=None)


def passed_bits(ticket: Ticket, now: datetime.datetime) -> int:
    """The announcements whose moment has already passed, as sla_notified
    bits: an import marks them said (`tickets.services.importing`), so the
    sweep speaks of what is still ahead and never of the imported past."""
    soon = datetime.timedelta(minutes=ticket.sla_due_soon_minutes)
    bits = 0
    for clock, field in CLOCKS.items():
        due = getattr(ticket, field)
        if due is None:
            continue
        for stage, moment in (("soon", due - soon), ("over", due)):
            if moment <= now:
                bits |= BITS[(clock, stage)]
    return bits


def clocks_from_history(tickets_and_replies, settings: SlaSettings) -> list:
    """Start the clocks of new imported tickets, not yet saved, as their
    history would have: the customer's first message at creation, the first
    agent reply when there was one (pairs of ticket and that moment or
    None). The SLA fields are set on the tickets; what has already passed
    is marked announced (as `Clocks.save` does in import mode). Returns the
    SlaOutcome and TicketEvent rows of goals met or missed, to insert once
    the tickets have ids. Goals and schedules are read once per value and team."""
    goals: dict = {}
    schedules: dict = {}
    version = SlaChange.objects.aggregate(last=Max("pk"))["last"] or 0
    now = timezone.now()
    recorded: list = []
    for ticket, first_reply in tickets_and_replies:
        key = _goal_key(ticket, settings)
        if key not in goals:
            goals[key] = goal_for(ticket, settings)
        if ticket.team_id not in schedules:
            schedules[ticket.team_id] = schedule_for(ticket, settings)
        clock = Clocks(ticket, settings, known=(goals[key], schedules[ticket.team_id], version))
        clock.recorded = recorded
        clock.customer_message(ticket.created_at)
        if first_reply is not None:
            clock.agent_reply(first_reply)
        ticket.sla_notified |= passed_bits(ticket, now)
        ticket.sla_next_check_at = next_check(ticket)
    return recorded


def _goal_key(ticket: Ticket, settings: SlaSettings):
    field = settings.goals_by
    if not field:
        return ""
    if field.startswith(CUSTOM):
        return ticket.properties.get(field.removeprefix(CUSTOM), "")
    return getattr(ticket, f"{field}_id" if field in ("team", "pipeline") else field)


def _running(ticket: Ticket, clock: str) -> bool:
    """Whether `clock` still counts (its deadline, if set, matters)."""
    if clock == "first_response":
        return ticket.sla_first_response_at is None
    if clock == "close":
        return ticket.is_open
    return True  # next response: cleared when answered


# Status at read time ----------------------------------------------------------


def status(ticket: Ticket, now: datetime.datetime) -> dict | None:
    """The most urgent running clock of an open ticket: {"goal", "state",
    "due"}, or None. Paused tickets show no clock."""
    if not ticket.is_open or ticket.sla_paused_at is not None:
        return None
    soon = datetime.timedelta(minutes=ticket.sla_due_soon_minutes)
    running = [
        (due, clock)
        for clock, field in CLOCKS.items()
        if (due := getattr(ticket, field)) is not None and _running(ticket, clock)
    ]
    if not running:
        return None
    due, clock = min(running)
    return {"goal": clock, "state": running_state(due, soon, now), "due": due}


def running_state(due: datetime.datetime, soon: datetime.timedelta, now) -> str:
    """ "overdue", "due_soon" or "on_track" for a running clock."""
    return "overdue" if now >= due else "due_soon" if now >= due - soon else "on_track"


# The sweep ----------------------------------------------------------------------


def database_now() -> datetime.datetime:
    """PostgreSQL's clock, not this process's (RELIABILITY 20)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT now()")
            return cursor.fetchone()[0]
    return timezone.now()


def sweep(limit: int = 1000) -> int:
    """Announce each deadline that became due soon or passed, once: rows come
    from the sla_next_check_at index, locked with SKIP LOCKED so two sweeps
    never take the same row (RELIABILITY 19), and everything is written in
    bulk. Returns how many were announced."""
    from .notify import announce_all

    now = database_now()
    announcements = []
    with transaction.atomic():
        rows = list(
            Ticket.objects.filter(sla_next_check_at__lte=now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("owner")
            .order_by("sla_next_check_at")[:limit]
        )
        for ticket in rows:
            soon = datetime.timedelta(minutes=ticket.sla_due_soon_minutes)
            for clock, field in CLOCKS.items():
                due = getattr(ticket, field)
                if due is None or not _running(ticket, clock):
                    continue
                for stage, moment in (("soon", due - soon), ("over", due)):
                    bit = BITS[(clock, stage)]
                    if moment <= now and not ticket.sla_notified & bit:
                        ticket.sla_notified |= bit
                        if stage == "soon" and now >= due:
                            continue  # already overdue: say that, not both
                        if ticket.deleted_at is not None:
                            continue  # deleted tickets are in no notification (S11)
                        state = "due_soon" if stage == "soon" else "overdue"
                        announcements.append((ticket, clock, state))
            ticket.sla_next_check_at = next_check(ticket)
        Ticket.objects.bulk_update(rows, ["sla_notified", "sla_next_check_at"], batch_size=500)
        announce_all(announcements)
    return len(announcements)

"""Working-hours calendars for SLA deadlines (S32).

A calendar has a time zone, working periods per weekday (several a day; a
period whose end is not after its start runs past midnight into the next
day) and holidays: a country's public holidays from the `holidays` package
and dates of its own. One calendar is the help desk's default; a team can
have its own.
"""

import itertools
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from helpdesk.memo import remembered


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("“%(value)s” is not a known time zone."), params={"value": value}
        ) from None


class Calendar(models.Model):
    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(
        _("time zone"),
        max_length=60,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("Such as Europe/Helsinki or Asia/Seoul."),
    )
    is_default = models.BooleanField(
        _("help desk default"),
        default=False,
        help_text=_("Used for tickets whose team has no calendar of its own."),
    )
    teams = models.ManyToManyField(
        Team,
        verbose_name=_("teams"),
        blank=True,
        related_name="sla_calendars",
        help_text=_("Teams whose tickets follow this calendar."),
    )
    holiday_country = models.CharField(
        _("public holidays of"),
        max_length=10,
        blank=True,
        help_text=_("A country code such as FI, DE, PL, KR or TW; empty for none."),
    )
    holiday_subdivision = models.CharField(
        _("region"),
        max_length=10,
        blank=True,
        help_text=_("Optional: a state or province code, such as BY for Bavaria."),
    )

    class Meta:
        verbose_name = _("working-hours calendar")
        verbose_name_plural = _("working-hours calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_calendar"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.holiday_country:
            import holidays

            try:
                holidays.country_holidays(
                    self.holiday_country.upper(), subdiv=self.holiday_subdivision or None
                )
            except NotImplementedError:
                raise ValidationError(
                    {
                        "holiday_country": _(
                            "No holiday calendar is known for this country or region."
                        )
                    }
                ) from None


class WorkingPeriod(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="periods")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday)
    start = models.TimeField(_("from"))
    end = models.TimeField(
        _("until"), help_text=_("An end at or before the start runs past midnight.")
    )

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


WEEK = 7 * 24 * 60


def overlapping_periods(periods) -> tuple | None:
    """The first two of `periods` ((weekday, start, end) triples, an end at
    or before the start running past midnight) whose working time overlaps,
    else None. Overlaps would count the same minutes twice in a deadline."""
    spans = []
    for period in periods:
        weekday, start, end = period
        begin = weekday * 1440 + start.hour * 60 + start.minute
        length = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        finish = begin + (length if length > 0 else length + 1440)
        spans.append((begin, min(finish, WEEK), period))
        if finish > WEEK:  # Sunday night into Monday wraps around the week
            spans.append((0, finish - WEEK, period))
    spans.sort(key=lambda span: span[:2])
    # Sorted by start, the spans are disjoint unless two neighbours overlap.
    for (_begin, end, first), (begin, _end, second) in itertools.pairwise(spans):
        if begin < end and first is not second:
            return first, second
    return None


class Holiday(models.Model):
    """A date of the calendar's own (a company day off); public holidays come
    from the calendar's country."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="one_holiday_per_date")
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


class SlaSettings(models.Model):
    """The help desk's SLA settings (one row): on or off, working hours or
    24/7 (S32), and which ticket property selects the goals (S31)."""

    class Mode(models.TextChoices):
        WORKING_HOURS = "working_hours", _("Working hours")
        ALWAYS = "always", _("24/7")

    class GoalsBy(models.TextChoices):
        ALL = "", _("All help desk tickets")
        PRIORITY = "priority", _("Priority")
        TEAM = "team", _("Team")
        SOURCE = "source", _("Source")
        PIPELINE = "pipeline", _("Pipeline")

    enabled = models.BooleanField(_("SLAs are on"), default=False)
    mode = models.CharField(_("clocks run on"), max_length=20, choices=Mode, default=Mode.ALWAYS)
    # A GoalsBy value, or "property:<key>" for a custom choice property.
    goals_by = models.CharField(_("goals vary by"), max_length=80, default="", blank=True)

    class Meta:
        verbose_name = _("SLA settings")
        verbose_name_plural = _("SLA settings")

    def __str__(self) -> str:
        return str(_("SLA settings"))

    @staticmethod
    def goals_by_choices() -> list[tuple[str, str]]:
        from tickets.models import PropertyDefinition

        custom = PropertyDefinition.objects.filter(type=PropertyDefinition.Type.CHOICE)
        return [
            *SlaSettings.GoalsBy.choices,
            *((f"property:{p.key}", p.local_name) for p in custom),
        ]

    def clean(self):
        if self.goals_by not in dict(self.goals_by_choices()):
            raise ValidationError({"goals_by": _("Choose a property from the list.")})

    def goal_values(self) -> list[tuple[str, str]]:
        """The values a goal can be for, as (value as stored, name as the
        reader reads it): what clocks.goal_for compares a ticket's value with,
        a team's or pipeline's id, a priority's or source's code, a custom
        property's option. Empty is the goal for tickets without a value (or
        for all tickets when goals do not vary)."""
        from accounts.models import Team
        from tickets.models import Pipeline, Priority, PropertyDefinition, Source

        field = self.goals_by
        if not field:
            return [("", str(_("All tickets")))]
        if field == self.GoalsBy.TEAM:
            values = [(str(t.pk), t.local_name) for t in Team.objects.order_by("name")]
        elif field == self.GoalsBy.PIPELINE:
            values = [(str(p.pk), p.local_name) for p in Pipeline.objects.all()]
        elif field == self.GoalsBy.PRIORITY:
            values = [(v, str(label)) for v, label in Priority.choices]
        elif field == self.GoalsBy.SOURCE:
            values = [(v, str(label)) for v, label in Source.choices]
        else:
            definition = PropertyDefinition.objects.filter(
                key=field.removeprefix("property:")
            ).first()
            values = definition.local_choices if definition else []
        return [("", str(_("Tickets without a value"))), *values]

    def goals_by_name(self) -> str:
        return str(dict(self.goals_by_choices()).get(self.goals_by, self.goals_by))

    @classmethod
    def current(cls) -> "SlaSettings":
        def load() -> "SlaSettings":
            settings, _created = cls.objects.get_or_create(pk=1)
            return settings

        # Kept between inbound messages (helpdesk.memo; SlaApp.ready watches it).
        return remembered("sla.settings", load)


class SlaGoal(models.Model):
    """The goals for tickets whose selecting property has `value` (or for all
    tickets when goals do not vary), with their "due soon" warning (S30, S33).
    Times are working minutes; empty means no goal."""

    value = models.CharField(
        _("for tickets with"),
        max_length=100,
        blank=True,
        unique=True,
        help_text=_("The value of the property goals vary by (empty: all tickets)."),
    )
    is_enabled = models.BooleanField(_("on"), default=True)
    first_response_minutes = models.PositiveIntegerField(
        _("time to first response (minutes)"), null=True, blank=True
    )
    next_response_minutes = models.PositiveIntegerField(
        _("time to next response (minutes)"), null=True, blank=True
    )
    close_minutes = models.PositiveIntegerField(_("time to close (minutes)"), null=True, blank=True)
    due_soon_minutes = models.PositiveIntegerField(
        _("due soon this many minutes before the deadline"), default=60
    )

    class Meta:
        ordering = ["value"]
        verbose_name = _("SLA goal")
        verbose_name_plural = _("SLA goals")

    def __str__(self) -> str:
        # The team's, pipeline's or option's name, not the id it is stored by.
        names = dict(SlaSettings.current().goal_values())
        return names.get(self.value) or self.value or str(_("All tickets"))

    def clean(self):
        settings = SlaSettings.current()
        if self.value not in dict(settings.goal_values()):
            raise ValidationError(
                {
                    "value": _(
                        "“%(value)s” is not one of the values of “%(property)s”:"
                        " choose one from the list."
                    )
                    % {"value": self.value, "property": settings.goals_by_name()}
                }
            )


class SlaOutcome(models.Model):
    """A goal met or missed, written when its clock stops: what the report counts."""

    class Goal(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response")
        NEXT_RESPONSE = "next_response", _("Next response")
        CLOSE = "close", _("Time to close")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    goal = models.CharField(max_length=20, choices=Goal)
    due_at = models.DateTimeField()
    done_at = models.DateTimeField()
    met = models.BooleanField()

    class Meta:
        indexes = [models.Index(fields=["done_at", "goal"], name="sla_outcome_period")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.goal} {'met' if self.met else 'missed'}"


class SlaChange(models.Model):
    """A change to the SLA configuration that open tickets have not taken up
    yet (issue 14). Running deadlines keep the configuration they started
    with until a super admin applies the change; `before` is the
    configuration they were computed with, `after` the one they move to
    (taken when applying, so later edits wait for their own change)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Not applied")
        QUEUED = "queued", _("Applying")
        DONE = "done", _("Applied")

    created_at = models.DateTimeField(_("changed"), auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    parts = models.JSONField(default=list)  # "settings", "goals", "calendars", "holidays"
    before = models.JSONField()
    after = models.JSONField(null=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.PENDING, db_index=True
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(_("applied"), null=True)
    finished_at = models.DateTimeField(null=True)
    # When a chunk was last done: a queued change quiet for long lost its task.
    progressed_at = models.DateTimeField(null=True)
    # Progress, so a task that runs again resumes after the last ticket done.
    last_ticket_id = models.BigIntegerField(default=0)
    tickets_checked = models.PositiveIntegerField(default=0)
    tickets_moved = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("SLA change")
        verbose_name_plural = _("SLA changes")
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="pending"), name="one_pending_sla_change"
            )
        ]

    def __str__(self) -> str:
        when = date_format(timezone.localtime(self.created_at), "SHORT_DATETIME_FORMAT")
        return str(_("SLA change of %(date)s")) % {"date": when}

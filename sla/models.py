"""Working-hours calendars for SLA deadlines (S32).

A calendar has a time zone, working periods per weekday (several a day; a
period whose end is not after its start runs past midnight into the next
day) and holidays: a country's public holidays from the `holidays` package
and dates of its own. One calendar is the help desk's default; a team can
have its own.
"""

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Team


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

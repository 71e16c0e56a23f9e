"""A report's period and filters as they travel in the URL, read with a
clear message for anything that does not make sense (the rest still applies)."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Team, User
from tickets.models import Pipeline, Priority, PropertyDefinition, Source, Tag

from .measures import NONE, Filters, Period

MAX_DAYS = 366
PRESETS = {
    "today": gettext_lazy("Today"),
    "7d": gettext_lazy("Last 7 days"),
    "30d": gettext_lazy("Last 30 days"),
    "90d": gettext_lazy("Last 90 days"),
    "quarter": gettext_lazy("This quarter"),
    "year": gettext_lazy("Last 12 months"),
    "custom": gettext_lazy("Custom"),
}
DEFAULT_PRESET = "30d"
CUSTOM_PREFIX = "p_"


@dataclass
class Choices:
    """What each filter offers, read once per request."""

    teams: list = field(default_factory=list)
    owners: list = field(default_factory=list)
    pipelines: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    custom: list = field(default_factory=list)  # [(definition, [(value, label)])]

    @classmethod
    def load(cls) -> "Choices":
        return cls(
            teams=[(str(t.pk), t.local_name) for t in Team.objects.all()],
            owners=[
                (str(u.pk), u.display_name)
                for u in User.objects.filter(is_active=True).exclude(role=User.Role.COLLABORATOR)
            ],
            pipelines=[(str(p.pk), p.local_name) for p in Pipeline.objects.all()],
            tags=[(str(t.pk), t.name) for t in Tag.objects.all()],
            custom=[
                (d, d.local_choices)
                for d in PropertyDefinition.objects.filter(type=PropertyDefinition.Type.CHOICE)
            ],
        )

    def dimension(self, key: str) -> list[tuple[str, str]]:
        return {
            "team": [*self.teams, (NONE, _("No team"))],
            "owner": [*self.owners, (NONE, _("Unassigned"))],
            "pipeline": self.pipelines,
            "source": [(str(v), str(label)) for v, label in Source.choices],
            "priority": [
                *((str(v), str(label)) for v, label in Priority.choices),
                (NONE, _("No priority")),
            ],
        }[key]

    def label(self, key: str, value) -> str:
        value = NONE if value in (None, "") else str(value)
        return dict(self.dimension(key)).get(value, value)


DIMENSION_LABELS = {
    "team": gettext_lazy("Team"),
    "owner": gettext_lazy("Agent"),
    "pipeline": gettext_lazy("Pipeline"),
    "source": gettext_lazy("Channel"),
    "priority": gettext_lazy("Priority"),
}


@dataclass
class ReportState:
    preset: str
    period: Period
    filters: Filters
    raw: dict[str, str]
    errors: list[str]

    def query(self, **changes) -> str:
        values = {**self.raw, **changes}
        return urlencode([(k, v) for k, v in values.items() if v not in ("", None)])


def _quarter_start(day: datetime.date) -> datetime.date:
    return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)


def read(query, choices: Choices, today: datetime.date | None = None) -> ReportState:
    """The state of a report from its query string."""
    zone = timezone.get_current_timezone()
    today = today or timezone.localdate()
    errors: list[str] = []
    preset = query.get("range") or DEFAULT_PRESET
    if preset not in PRESETS:
        errors.append(_("Choose one of the offered periods."))
        preset = DEFAULT_PRESET
    starts = {
        "today": today,
        "7d": today - datetime.timedelta(days=6),
        "30d": today - datetime.timedelta(days=29),
        "90d": today - datetime.timedelta(days=89),
        "quarter": _quarter_start(today),
        "year": today - datetime.timedelta(days=364),
    }
    raw = {"range": preset}
    if preset == "custom":
        start = parse_date(query.get("from") or "")
        end = parse_date(query.get("to") or "")
        if start is None or end is None:
            errors.append(_("Enter both dates as YYYY-MM-DD: the last 30 days are shown."))
            preset, start, end = DEFAULT_PRESET, starts[DEFAULT_PRESET], today
            raw = {"range": preset}
        else:
            if start > end:
                start, end = end, start
            if (end - start).days + 1 > MAX_DAYS:
                errors.append(
                    _("A report covers at most %(days)s days: the last of them are shown.")
                    % {"days": MAX_DAYS}
                )
                start = end - datetime.timedelta(days=MAX_DAYS - 1)
            raw.update({"from": start.isoformat(), "to": end.isoformat()})
    else:
        start, end = starts[preset], today
    filters = Filters()
    for key in DIMENSION_LABELS:
        value = (query.get(key) or "").strip()
        if not value:
            continue
        if value not in dict(choices.dimension(key)):
            errors.append(
                _("“%(value)s” is not a value of %(filter)s: that filter is left out.")
                % {"value": value, "filter": DIMENSION_LABELS[key]}
            )
            continue
        filters.dims[key] = [value]
        raw[key] = value
    tag = (query.get("tag") or "").strip()
    if tag:
        if tag in dict(choices.tags):
            filters.tags = [int(tag)]
            raw["tag"] = tag
        else:
            errors.append(
                _("“%(value)s” is not a value of %(filter)s: that filter is left out.")
                % {"value": tag, "filter": _("Tag")}
            )
    for definition, options in choices.custom:
        value = (query.get(CUSTOM_PREFIX + definition.key) or "").strip()
        if not value:
            continue
        if value not in dict(options):
            errors.append(
                _("“%(value)s” is not a value of %(filter)s: that filter is left out.")
                % {"value": value, "filter": definition.local_name}
            )
            continue
        filters.custom[definition.key] = [value]
        raw[CUSTOM_PREFIX + definition.key] = value
    return ReportState(preset, Period(start, end, zone), filters, raw, errors)

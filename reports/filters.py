"""The ticket table's filters behind three of the Volume report's numbers,
so that they too drill down to exactly the tickets they count (issue 21):

- "Reopened": tickets opened again after a close in a period;
- "Open at the end of the day": tickets open when a day ended;
- "Created on weekday and hour": a cell of the heat map of incoming tickets.

The first two read the reports' facts (a ticket's closes and reopenings), so
they hold the tickets a report counts: not deleted, not spam, not merged
into another. The third reads the ticket's creation in the reader's zone.
"""

import datetime

from django.db.models import BooleanField, Func, Q, Value
from django.utils.translation import gettext_lazy as _

from tickets.filters import VALUELESS, Condition, FilterError, Property, date_bounds

from .models import OpenSpan, TicketFact

FAR_PAST = datetime.datetime.min.replace(tzinfo=datetime.UTC)
FAR_FUTURE = datetime.datetime.max.replace(tzinfo=datetime.UTC)


class AnyWithin(Func):
    """Whether a moment of an array of moments falls in [start, end)."""

    output_field = BooleanField()

    def __init__(self, moments: str, start: datetime.datetime, end: datetime.datetime):
        super().__init__(moments, Value(start), Value(end))

    def as_sql(self, compiler, connection, **extra):
        (moments, moments_params), *bounds = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        (start, start_params), (end, end_params) = bounds
        sql = f"EXISTS (SELECT 1 FROM unnest({moments}) AS m WHERE m >= {start} AND m < {end})"
        return sql, (*moments_params, *start_params, *end_params)


class OpenAt(Func):
    """Whether a ticket was open at a moment: its last close before it, if
    any, came before its last reopening before it."""

    output_field = BooleanField()

    def __init__(self, moment: datetime.datetime):
        super().__init__("closes", "reopens", Value(moment))

    def as_sql(self, compiler, connection, **extra):
        (closes, closes_params), (reopens, reopens_params), (moment, moment_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        sql = (
            f"(coalesce((SELECT max(c) FROM unnest({closes}) AS c WHERE c < {moment}), "
            f"'-infinity') <= coalesce((SELECT max(r) FROM unnest({reopens}) AS r "
            f"WHERE r < {moment}), '-infinity'))"
        )
        return sql, (*closes_params, *moment_params, *reopens_params, *moment_params)


# Up to this many tickets, a filter names them. The ticket table sorts by
# last activity: given a subquery, PostgreSQL walks that index until it has a
# page, and tickets open a year ago are at its far end (3 s at a million
# tickets); given their ids, it reads just them (a few ms).
NAMED = 10_000


def _tickets(facts) -> Q:
    ids = list(facts.values_list("ticket_id", flat=True)[: NAMED + 1])
    if len(ids) <= NAMED:
        return Q(pk__in=ids)
    return Q(pk__in=facts.values("ticket_id"))


def reopened_between(start: datetime.datetime, end: datetime.datetime):
    """The facts of tickets reopened in [start, end) (a partial index holds
    the tickets ever reopened)."""
    return TicketFact.objects.filter(reopens__len__gt=0).filter(AnyWithin("reopens", start, end))


def open_at(moment: datetime.datetime):
    """The facts of tickets open at `moment`. A ticket is open only between
    its creation and its last close (a GiST index on that span finds the few
    whose span holds the moment); of those, one never reopened was open, and
    one reopened was if its closes and reopenings say so."""
    return (
        TicketFact.objects.alias(span=OpenSpan())
        .filter(span__contains=moment)
        .filter(Q(reopens=[]) | Q(OpenAt(moment)))
    )


def _reopened(prop: Property, condition: Condition) -> Q:
    if condition.operator in VALUELESS:
        found = _tickets(TicketFact.objects.filter(reopens__len__gt=0))
        return found if condition.operator == "known" else ~found
    start, end = date_bounds(condition, prop)
    return _tickets(reopened_between(start or FAR_PAST, end or FAR_FUTURE))


def _open_at(prop: Property, condition: Condition) -> Q:
    _start, end = date_bounds(condition, prop)
    return _tickets(open_at(end))


def _slots() -> list[tuple[str, str]]:
    """Every hour of the week, "weekday-hour" (Monday is 0), as the heat map
    names its cells."""
    days = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday")]
    days += [_("Saturday"), _("Sunday")]
    return [(f"{w}-{h}", f"{day} {h:02d}:00") for w, day in enumerate(days) for h in range(24)]


def _created_slot(prop: Property, condition: Condition) -> Q:
    """Created in one of the hours of the week named, in the reader's time
    zone (the heat map's): ISO weekdays count from Monday, 1."""
    found = Q(pk__in=[])
    for value in condition.values:
        weekday, _dash, hour = value.partition("-")
        if not (weekday.isdigit() and hour.isdigit() and int(weekday) < 7 and int(hour) < 24):
            raise FilterError(
                _("“%(value)s” is not a value of %(property)s.")
                % {"value": value, "property": prop.label}
            )
        found |= Q(created_at__iso_week_day=int(weekday) + 1, created_at__hour=int(hour))
    return found


REOPENED_AT = Property("reopened_at", _("Reopened"), "date", where=_reopened)
CREATED_SLOT = Property(
    "created_slot",
    _("Created on weekday and hour"),
    "slot",
    choices=_slots,
    where=_created_slot,
    offered=False,
)
OPEN_AT = Property("open_at", _("Open at the end of the day"), "day", where=_open_at)

"""The ticket table's filters behind two of the Volume report's numbers, so
that they too drill down to exactly the tickets they count (issue 21):

- "Reopened": tickets opened again after a close in a period;
- "Open at the end of the day": tickets open when a day ended.

Both read the reports' facts (a ticket's closes and reopenings), so they hold
the tickets a report counts: not deleted, not spam, not merged into another.
"""

import datetime

from django.db.models import BooleanField, Func, Q, Value
from django.utils.translation import gettext_lazy as _

from tickets.filters import VALUELESS, Condition, Property, date_bounds

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


REOPENED_AT = Property("reopened_at", _("Reopened"), "date", where=_reopened)
OPEN_AT = Property("open_at", _("Open at the end of the day"), "day", where=_open_at)

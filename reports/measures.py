"""The reports' figures (issue 21), computed in PostgreSQL from the facts and
hourly rollups (reports.facts), in the viewer's time zone, over the tickets
they may see (tickets.access.visibility_scope: the rule of visible_tickets).

Counts read the rollups when they can answer: no tag or custom property
filter (the rollups do not carry them) and a time zone whose days begin on a
whole UTC hour. Otherwise, and for medians and percentiles, they read the
facts. Every count has a drill-down: the ticket table's own filters that
select exactly the tickets counted (reports.drill).
"""

import contextlib
import datetime
import zoneinfo
from dataclasses import dataclass, field

from django.contrib.postgres.fields import ArrayField
from django.db import connection, transaction
from django.db.models import Aggregate, Count, F, FloatField, Q, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from accounts.models import User
from surveys.models import GOOD
from tickets.access import visibility_scope
from tickets.models import Ticket, TicketTag

from .models import Rollup, TicketFact

DIMENSIONS = {
    # filter key: (fact / rollup column, table filter key)
    "team": "team_id",
    "owner": "owner_id",
    "pipeline": "pipeline_id",
    "source": "source",
    "priority": "priority",
}
NONE = "none"  # the value of "no team", "no owner", "no priority"


@dataclass
class Period:
    start: datetime.date
    end: datetime.date  # inclusive
    zone: zoneinfo.ZoneInfo | datetime.tzinfo

    @property
    def since(self) -> datetime.datetime:
        return datetime.datetime.combine(self.start, datetime.time(), tzinfo=self.zone)

    @property
    def until(self) -> datetime.datetime:
        return datetime.datetime.combine(
            self.end + datetime.timedelta(days=1), datetime.time(), tzinfo=self.zone
        )

    @property
    def days(self) -> list[datetime.date]:
        count = (self.end - self.start).days + 1
        return [self.start + datetime.timedelta(days=n) for n in range(count)]

    @property
    def whole_hours(self) -> bool:
        """Whether every day of the period starts on a whole UTC hour here."""
        return all(
            (
                datetime.datetime.combine(day, datetime.time(), tzinfo=self.zone).utcoffset()
                or datetime.timedelta(0)
            ).total_seconds()
            % 3600
            == 0
            for day in [*self.days, self.end + datetime.timedelta(days=1)]
        )

    @property
    def zone_name(self) -> str:
        return str(getattr(self.zone, "key", None) or timezone.get_current_timezone_name())


@dataclass
class Filters:
    """The report's filters: dimension values, tag ids, custom choices."""

    dims: dict[str, list[str]] = field(default_factory=dict)
    tags: list[int] = field(default_factory=list)
    custom: dict[str, list[str]] = field(default_factory=dict)

    @property
    def beyond_rollups(self) -> bool:
        return bool(self.tags or self.custom)

    def q(self) -> Q:
        """These filters on a table with the dimension columns."""
        found = Q()
        for key, values in self.dims.items():
            column = DIMENSIONS[key]
            wanted = Q(pk__in=[])
            plain = [v for v in values if v != NONE]
            if plain:
                wanted |= Q(**{f"{column}__in": plain})
            if NONE in values:
                wanted |= (
                    Q(**{f"{column}__isnull": True})
                    if column.endswith("_id")
                    else Q(**{column: ""})
                )
            found &= wanted
        return found

    def ticket_q(self) -> Q:
        """The tag and custom property filters, on the facts' tickets."""
        found = Q()
        for tag in self.tags:
            found &= Q(ticket_id__in=TicketTag.objects.filter(tag_id=tag).values("ticket_id"))
        for key, values in self.custom.items():
            found &= Q(
                ticket_id__in=Ticket.objects.filter(
                    Q(*(Q(properties__contains={key: v}) for v in values), _connector=Q.OR)
                ).values("pk")
            )
        return found


class Percentiles(Aggregate):
    """Median and 90th percentile, in one sort."""

    function = "percentile_cont"
    template = "percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"

    def as_sql(self, compiler, connection, **extra_context):
        """PostgreSQL's FILTER clause after WITHIN GROUP (Django puts it inside)."""
        if self.filter is None:
            return super().as_sql(compiler, connection, filter="", **extra_context)
        condition, condition_params = compiler.compile(self.filter)
        copy = self.copy()
        copy.filter = None
        sql, params = super(Percentiles, copy).as_sql(
            compiler, connection, filter=f" FILTER (WHERE {condition})", **extra_context
        )
        return sql, (*params, *condition_params)

    def __init__(self, expression, **extra):
        super().__init__(expression, output_field=ArrayField(FloatField()), **extra)


# Medians sort a period's durations in memory: at a million tickets 90 days
# hold some 150,000 of them, past PostgreSQL's default 4 MB (a sort on disk,
# three times slower).
SORT_MEMORY = "64MB"


@contextlib.contextmanager
def sort_memory():
    """Room for the report's sorts, for this transaction only."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{SORT_MEMORY}'")
        yield


def facts_for(user: User, filters: Filters):
    return TicketFact.objects.filter(visibility_scope(user), filters.q(), filters.ticket_q())


def rollups_for(user: User, filters: Filters):
    return Rollup.objects.filter(visibility_scope(user), filters.q())


def uses_rollups(period: Period, filters: Filters) -> bool:
    return not filters.beyond_rollups and period.whole_hours


def _sql(queryset, *fields) -> tuple[str, list]:
    sql, params = queryset.values(*fields).query.sql_with_params()
    return sql, list(params)


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# Volume ------------------------------------------------------------------------


def daily_counts(user: User, period: Period, filters: Filters) -> dict[datetime.date, dict]:
    """{day: {created, solved}} over the period, every day present."""
    days = {day: {"created": 0, "solved": 0} for day in period.days}
    zone = period.zone_name
    if uses_rollups(period, filters):
        sql, params = _sql(
            rollups_for(user, filters).filter(hour__gte=period.since, hour__lt=period.until),
            "hour",
            "created",
            "solved",
        )
        rows = _rows(
            f"SELECT (r.hour AT TIME ZONE %s)::date, sum(r.created), sum(r.solved) "
            f"FROM ({sql}) r GROUP BY 1",
            [zone, *params],
        )
        for day, created, solved in rows:
            if day in days:
                days[day] = {"created": created, "solved": solved}
        return days
    facts = facts_for(user, filters)
    for measure, column in (("created", "created_at"), ("solved", "solved_at")):
        sql, params = _sql(
            facts.filter(**{f"{column}__gte": period.since, f"{column}__lt": period.until}),
            column,
        )
        for day, count in _rows(
            f"SELECT (f.{column} AT TIME ZONE %s)::date, count(*) FROM ({sql}) f GROUP BY 1",
            [zone, *params],
        ):
            if day in days:
                days[day][measure] = count
    return days


def reopened(
    user: User, period: Period, filters: Filters, *, weekly: bool = False
) -> tuple[dict[datetime.date, int], int]:
    """Tickets reopened in each day of the period (or each week, Monday to
    Sunday, keyed by its first day in the period) and in the whole period:
    a ticket reopened twice counts once, as its drill-down lists it once.
    Read from the facts of tickets ever reopened (a partial index)."""
    sql, params = _sql(facts_for(user, filters).filter(reopens__len__gt=0), "ticket_id", "reopens")
    local = "(m AT TIME ZONE %s)"
    bucket = f"date_trunc('week', {local})::date" if weekly else f"{local}::date"
    rows = _rows(
        f"SELECT {bucket}, count(DISTINCT f.ticket_id) FROM ({sql}) f, unnest(f.reopens) m "
        f"WHERE m >= %s AND m < %s GROUP BY ROLLUP (1)",
        [period.zone_name, *params, period.since, period.until],
    )
    found, total = {}, 0
    for start, count in rows:
        if start is None:
            total = count
        else:
            found[max(start, period.start)] = count
    return found, total


def _unnested(facts, column: str, since, until, zone: str) -> list[tuple]:
    sql, params = _sql(facts, column)
    return _rows(
        f"SELECT (m AT TIME ZONE %s)::date, count(*) FROM ({sql}) f, unnest(f.{column}) m "
        f"WHERE m >= %s AND m < %s GROUP BY 1",
        [zone, *params, since, until],
    )


def backlog(
    user: User, period: Period, filters: Filters, now=None, current: int | None = None
) -> dict[datetime.date, int]:
    """Tickets open at the end of each day: those open now, walked back
    through the creations, closes and reopenings since."""
    now = now or timezone.now()
    zone = period.zone_name
    facts = facts_for(user, filters)
    if current is None:
        current = open_now(user, filters)
    later: dict[datetime.date, int] = {}  # day: net change of the open count
    if uses_rollups(period, filters):
        sql, params = _sql(
            rollups_for(user, filters).filter(hour__gte=period.since),
            "hour",
            "created",
            "closes",
            "reopens",
        )
        for day, net in _rows(
            f"SELECT (r.hour AT TIME ZONE %s)::date, sum(r.created - r.closes + r.reopens) "
            f"FROM ({sql}) r GROUP BY 1",
            [zone, *params],
        ):
            later[day] = net
    else:
        sql, params = _sql(facts.filter(created_at__gte=period.since), "created_at")
        for day, n in _rows(
            f"SELECT (f.created_at AT TIME ZONE %s)::date, count(*) FROM ({sql}) f GROUP BY 1",
            [zone, *params],
        ):
            later[day] = later.get(day, 0) + n
        far = now + datetime.timedelta(days=1)
        for column, sign in (("closes", -1), ("reopens", 1)):
            for day, n in _unnested(facts, column, period.since, far, zone):
                later[day] = later.get(day, 0) + sign * n
    return _walk_back(period, later, current, now)


def by_dimension(user: User, period: Period, filters: Filters, column: str) -> list[dict]:
    """Created and solved in the period per value of `column` (source, team…)."""
    found: dict = {}
    if uses_rollups(period, filters):
        rows = (
            rollups_for(user, filters)
            .filter(hour__gte=period.since, hour__lt=period.until)
            .values(column)
            .annotate(created=Sum("created"), solved=Sum("solved"))
        )
        for row in rows:
            found[row[column]] = {"created": row["created"], "solved": row["solved"]}
    else:
        facts = facts_for(user, filters)
        for measure, moment in (("created", "created_at"), ("solved", "solved_at")):
            rows = (
                facts.filter(**{f"{moment}__gte": period.since, f"{moment}__lt": period.until})
                .values(column)
                .annotate(n=Count("pk"))
            )
            for row in rows:
                found.setdefault(row[column], {"created": 0, "solved": 0})[measure] = row["n"]
    return [
        {"value": value, **counts}
        for value, counts in found.items()
        if counts["created"] or counts["solved"]
    ]


def heat_map(user: User, period: Period, filters: Filters) -> dict[tuple[int, int], int]:
    """Tickets created per (weekday Monday = 0, hour) in the viewer's zone."""
    zone = period.zone_name
    if uses_rollups(period, filters):
        sql, params = _sql(
            rollups_for(user, filters).filter(hour__gte=period.since, hour__lt=period.until),
            "hour",
            "created",
        )
        expression, column = "sum(f.created)", "hour"
    else:
        sql, params = _sql(
            facts_for(user, filters).filter(
                created_at__gte=period.since, created_at__lt=period.until
            ),
            "created_at",
        )
        expression, column = "count(*)", "created_at"
    rows = _rows(
        f"SELECT extract(isodow FROM f.{column} AT TIME ZONE %s)::int - 1, "
        f"extract(hour FROM f.{column} AT TIME ZONE %s)::int, {expression} "
        f"FROM ({sql}) f GROUP BY 1, 2",
        [zone, zone, *params],
    )
    return {(weekday, hour): int(n) for weekday, hour, n in rows if n}


def open_now(user: User, filters: Filters) -> int:
    """Tickets open now (a partial index on the facts holds just them)."""
    return facts_for(user, filters).filter(solved_at__isnull=True).count()


@dataclass
class Volume:
    days: dict[datetime.date, dict]
    open_at: dict[datetime.date, int]
    heat: dict[tuple[int, int], int]
    open_now: int


def volume(user: User, period: Period, filters: Filters, now=None) -> Volume:
    """Daily counts, the open tickets at the end of each day and the heat map
    in one pass over the rollups from the period's start until now (their
    local hours), or from the facts when the rollups cannot answer."""
    now = now or timezone.now()
    current = open_now(user, filters)
    if not uses_rollups(period, filters):
        return Volume(
            daily_counts(user, period, filters),
            backlog(user, period, filters, now=now, current=current),
            heat_map(user, period, filters),
            current,
        )
    sql, params = _sql(
        rollups_for(user, filters).filter(hour__gte=period.since),
        "hour",
        "created",
        "solved",
        "closes",
        "reopens",
    )
    rows = _rows(
        f"SELECT r.hour AT TIME ZONE %s, sum(r.created), sum(r.solved), sum(r.closes), "
        f"sum(r.reopens) FROM ({sql}) r GROUP BY 1",
        [period.zone_name, *params],
    )
    days = {day: {"created": 0, "solved": 0} for day in period.days}
    later: dict[datetime.date, int] = {}
    heat: dict[tuple[int, int], int] = {}
    for local, created, solved, closes, reopens in rows:
        day = local.date()
        later[day] = later.get(day, 0) + created - closes + reopens
        if day in days:
            found = days[day]
            found["created"] += created
            found["solved"] += solved
            if created:
                key = (local.weekday(), local.hour)
                heat[key] = heat.get(key, 0) + created
    return Volume(days, _walk_back(period, later, current, now), heat, current)


def _walk_back(period: Period, later: dict, current: int, now) -> dict[datetime.date, int]:
    result = {}
    running = current
    today = now.astimezone(period.zone).date()
    # Days after the period, up to today, first.
    for day in sorted((d for d in later if d > period.end), reverse=True):
        running -= later[day]
    for day in reversed(period.days):
        if day > today:
            continue
        result[day] = running
        running -= later.get(day, 0)
    return result


# Speed -------------------------------------------------------------------------


def speed(user: User, period: Period, filters: Filters, *, business: bool) -> dict:
    """Of the tickets solved in the period: first response, next responses
    and resolution (median and 90th percentile, seconds), one-touch rate and
    replies per ticket. None where there is nothing to measure."""
    suffix = "_business" if business else ""
    solved = facts_for(user, filters).filter(
        solved_at__gte=period.since, solved_at__lt=period.until
    )
    row = solved.aggregate(
        tickets=Count("pk"),
        answered=Count(f"first_response{suffix}"),
        first=Percentiles(F(f"first_response{suffix}")),
        resolution=Percentiles(F(f"resolution{suffix}")),
        one_touch=Count("pk", filter=Q(replies=1)),
        replies=Sum("replies"),
    )
    sql, params = _sql(solved, f"next_responses{suffix}")
    [(next_row, next_count)] = _rows(
        "SELECT percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY x), count(x) "
        f"FROM ({sql}) f, unnest(f.next_responses{suffix}) x",
        params,
    )
    tickets = row["tickets"]

    def pair(values):
        return (None, None) if not values else (values[0], values[1])

    return {
        "tickets": tickets,
        "answered": row["answered"],
        "first": pair(row["first"]),
        "next": pair(next_row),
        "next_count": next_count,
        "resolution": pair(row["resolution"]),
        "one_touch": (100 * row["one_touch"] / tickets) if tickets else None,
        "replies": (row["replies"] / tickets) if tickets else None,
    }


# Workload ---------------------------------------------------------------------


def workload(user: User, period: Period, filters: Filters, column: str) -> list[dict]:
    """Per owner or team: created in the period (assigned to them now),
    solved in the period, open now, median first response of the solved.
    Three grouped reads, each of one covering index of the facts (created,
    solved, open): one pass over their union could read none of them."""
    facts = facts_for(user, filters)
    found: dict = {}

    def row(value) -> dict:
        return found.setdefault(
            value,
            {
                "value": value,
                "assigned": 0,
                "solved": 0,
                "open": 0,
                "first": None,
                "first_business": None,
            },
        )

    created = facts.filter(created_at__gte=period.since, created_at__lt=period.until)
    for counted in created.values(column).annotate(n=Count("pk")):
        row(counted[column])["assigned"] = counted["n"]
    solved = facts.filter(solved_at__gte=period.since, solved_at__lt=period.until)
    for counted in solved.values(column).annotate(
        n=Count("pk"),
        first=Percentiles(F("first_response")),
        first_business=Percentiles(F("first_response_business")),
    ):
        found_row = row(counted[column])
        found_row["solved"] = counted["n"]
        found_row["first"] = counted["first"][0] if counted["first"] else None
        found_row["first_business"] = (
            counted["first_business"][0] if counted["first_business"] else None
        )
    for counted in facts.filter(solved_at__isnull=True).values(column).annotate(n=Count("pk")):
        row(counted[column])["open"] = counted["n"]
    return list(found.values())


# Satisfaction -----------------------------------------------------------------
#
# Each ticket's current survey (the latest one sent) rides on its facts, so
# a ticket counts once, with one rating, under its team, owner and channel of
# now, and the ratings of a period are read from two covering indexes (sent,
# rated) without touching a ticket or a survey: a year of ratings at a
# million tickets is some 40,000 index entries.

GOOD_COUNT = Count("pk", filter=Q(survey_rating__in=GOOD))


def rated_in(user: User, period: Period, filters: Filters):
    return facts_for(user, filters).filter(
        survey_rated_at__gte=period.since, survey_rated_at__lt=period.until
    )


def satisfaction(user: User, period: Period, filters: Filters) -> dict:
    """Ratings given in the period and the good ones; surveys sent in the
    period and how many of them were answered (by now)."""
    rated = rated_in(user, period, filters).aggregate(rated=Count("pk"), good=GOOD_COUNT)
    sent = (
        facts_for(user, filters)
        .filter(survey_sent_at__gte=period.since, survey_sent_at__lt=period.until)
        .aggregate(sent=Count("pk"), answered=Count("pk", filter=Q(survey_rated_at__isnull=False)))
    )
    return {**rated, **sent}


def satisfaction_by(user: User, period: Period, filters: Filters, column: str) -> list[dict]:
    """Ratings and good ones in the period per value of the ticket's
    `column` (team_id, owner_id, source), most ratings first."""
    rows = (
        rated_in(user, period, filters)
        .values(column)
        .annotate(rated=Count("pk"), good=GOOD_COUNT)
        .order_by("-rated")
    )
    return [{"value": row[column], "rated": row["rated"], "good": row["good"]} for row in rows]


def satisfaction_per_bucket(
    user: User, period: Period, filters: Filters, *, weekly: bool
) -> dict[datetime.date, dict]:
    """{first day of the day or week (Monday): {rated, good}} in the viewer's zone."""
    day = TruncDate("survey_rated_at", tzinfo=period.zone)
    found = {}
    for row in (
        rated_in(user, period, filters)
        .annotate(bucket=TruncWeek(day) if weekly else day)
        .values("bucket")
        .annotate(rated=Count("pk"), good=GOOD_COUNT)
        .order_by()
    ):
        start = row["bucket"]
        if isinstance(start, datetime.datetime):
            start = start.date()
        found[max(start, period.start)] = {"rated": row["rated"], "good": row["good"]}
    return found


def satisfaction_comments(user: User, period: Period, filters: Filters):
    """The facts of the ratings left with a comment in the period, latest
    first, each with its survey and ticket (`fact.survey`): counted and paged
    on the index, the surveys read for the page only."""
    return (
        rated_in(user, period, filters)
        .filter(survey_commented=True)
        .select_related("survey", "survey__ticket", "survey__ticket__owner")
        .order_by("-survey_rated_at", "-survey_id")
    )

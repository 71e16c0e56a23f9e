"""The Reports section (issue 21): Volume, Speed, SLA and Workload over a
period and filters, for the tickets the viewer may see; every count links to
the ticket table showing those tickets, every table exports to CSV."""

import csv
import datetime
import functools

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate, TruncWeek
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET

from accounts.models import Team
from sla.models import SlaOutcome
from surveys.filters import RATINGS
from surveys.models import rating_group
from tickets.access import visible_tickets
from tickets.rendering import nav_context, render_pane

from . import charts, facts, measures, params
from .drill import drill
from .facts import WATERMARK
from .measures import NONE

TABS = [
    ("volume", gettext_lazy("Volume")),
    ("speed", gettext_lazy("Speed")),
    ("sla", gettext_lazy("SLA")),
    ("workload", gettext_lazy("Workload")),
    ("satisfaction", gettext_lazy("Satisfaction")),
]
# Periods longer than this are drawn per week.
DAILY_UP_TO = 62


def _roomy(view):
    """The view's queries run with room for their sorts (measures.sort_memory).
    Reports are computed in PostgreSQL (percentiles, time zones, arrays): on
    the embedded SQLite database the page says so instead."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not facts.enabled():
            if not request.user.has_seat:
                raise Http404
            context = {"tab": view.__name__, "tabs": TABS}
            context.update(nav_context(request.user, None))
            return render_pane(request, "reports/unavailable.html", context)
        with measures.sort_memory():
            return view(request, *args, **kwargs)

    return wrapped


def _state(request):
    if not request.user.has_seat:
        raise Http404
    choices = params.Choices.load()
    return params.read(request.GET, choices), choices


def _context(request, tab: str, state, choices) -> dict:
    dims = [
        {
            "key": key,
            "label": label,
            "options": choices.dimension(key),
            "value": state.raw.get(key, ""),
        }
        for key, label in params.DIMENSION_LABELS.items()
    ]
    custom = [
        {
            "key": params.CUSTOM_PREFIX + d.key,
            "label": d.local_name,
            "options": options,
            "value": state.raw.get(params.CUSTOM_PREFIX + d.key, ""),
        }
        for d, options in choices.custom
    ]
    if choices.tags:
        custom.insert(
            0,
            {
                "key": "tag",
                "label": _("Tag"),
                "options": choices.tags,
                "value": state.raw.get("tag", ""),
            },
        )
    return {
        "tab": tab,
        "tabs": TABS,
        "state": state,
        "presets": list(params.PRESETS.items()),
        "dims": dims,
        "custom_filters": custom,
        "errors": state.errors,
        "start": state.period.start,
        "end": state.period.end,
        "as_of": cache.get(WATERMARK),
        "query": state.query(),
        **nav_context(request.user, None),
    }


def _csv(name: str, state, header: list, rows: list) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    period = f"{state.period.start:%Y-%m-%d}_{state.period.end:%Y-%m-%d}"
    response["Content-Disposition"] = f'attachment; filename="report-{name}-{period}.csv"'
    response.write("\ufeff")  # spreadsheets read the file as UTF-8
    writer = csv.writer(response)
    writer.writerow([str(cell) for cell in header])
    for row in rows:
        writer.writerow([_cell(cell) for cell in row])
    return response


def _cell(value) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _buckets(period) -> list[tuple[datetime.date, datetime.date]]:
    """Days, or weeks (Monday to Sunday, cut to the period) for long periods."""
    days = period.days
    if len(days) <= DAILY_UP_TO:
        return [(d, d) for d in days]
    found, start = [], days[0]
    for day in days:
        if day.weekday() == 6 or day == days[-1]:
            found.append((start, day))
            start = day + datetime.timedelta(days=1)
    return found


# Volume ------------------------------------------------------------------------


@login_required
@require_GET
@_roomy
def volume(request):
    state, choices = _state(request)
    user, period, filters = request.user, state.period, state.filters
    found = measures.volume(user, period, filters)
    daily, open_at, heat = found.days, found.open_at, found.heat
    weekly = len(period.days) > DAILY_UP_TO
    reopened, reopened_total = measures.reopened(user, period, filters, weekly=weekly)
    buckets = []
    for start, end in _buckets(period):
        days = [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]
        buckets.append(
            {
                "start": start,
                "end": end,
                "created": sum(daily[d]["created"] for d in days),
                "solved": sum(daily[d]["solved"] for d in days),
                "reopened": reopened.get(start, 0),
                "backlog": open_at.get(end),
                "created_url": drill(filters, "created", start, end),
                "solved_url": drill(filters, "solved", start, end),
                "reopened_url": drill(filters, "reopened", start, end),
                "backlog_url": drill(filters, "open_at", end=end),
            }
        )
    channels = sorted(
        measures.by_dimension(user, period, filters, "source"),
        key=lambda row: -row["created"],
    )
    for row in channels:
        row["label"] = choices.label("source", row["value"])
        row["created_url"] = drill(
            filters, "created", period.start, period.end, source=row["value"]
        )
        row["solved_url"] = drill(filters, "solved", period.start, period.end, source=row["value"])
    weekdays = [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]
    export = request.GET.get("export")
    if export == "daily":
        return _csv(
            "volume",
            state,
            [
                _("From"),
                _("To"),
                pgettext("number of tickets", "Created"),
                pgettext("number of tickets", "Solved"),
                _("Reopened"),
                _("Open at the end"),
            ],
            [
                [b["start"], b["end"], b["created"], b["solved"], b["reopened"], b["backlog"]]
                for b in buckets
            ],
        )
    if export == "channels":
        return _csv(
            "channels",
            state,
            [
                _("Channel"),
                pgettext("number of tickets", "Created"),
                pgettext("number of tickets", "Solved"),
            ],
            [[row["label"], row["created"], row["solved"]] for row in channels],
        )
    if export == "hours":
        return _csv(
            "hours",
            state,
            [_("Day"), *(f"{h:02d}" for h in range(24))],
            [[weekdays[w], *(heat.get((w, h), 0) for h in range(24))] for w in range(7)],
        )
    totals = {key: sum(b[key] for b in buckets) for key in ("created", "solved")}
    totals["reopened"] = reopened_total
    heat_chart = charts.heat(heat)

    # Each hour of the week with tickets links to them (chart and table).
    slot_urls = {
        (w, h): drill(filters, "created", period.start, period.end, created_slot=f"{w}-{h}")
        for (w, h), count in heat.items()
        if count
    }
    for row in heat_chart["rows"]:
        row["label"] = weekdays[row["weekday"]]
        row["short"] = WEEKDAYS_ABBR[row["weekday"]]
        for cell in row["cells"]:
            cell["url"] = slot_urls.get((row["weekday"], cell["hour"]), "")
    context = _context(request, "volume", state, choices) | {
        "buckets": buckets,
        "weekly": weekly,
        "totals": totals,
        "backlog_end": open_at.get(period.end),
        "created_url": drill(filters, "created", period.start, period.end),
        "solved_url": drill(filters, "solved", period.start, period.end),
        "reopened_url": drill(filters, "reopened", period.start, period.end),
        "open_url": drill(filters, "open"),
        "open_now": found.open_now,
        "volume_chart": charts.bars(buckets, ["created", "solved"]),
        "backlog_chart": charts.line([(b["end"], b["backlog"], b["backlog_url"]) for b in buckets]),
        "channels": channels,
        "channel_top": charts.nice_max(max((r["created"] for r in channels), default=0)),
        "heat": heat_chart,
        "heat_table": [
            {
                "label": weekdays[w],
                "cells": [
                    {"value": heat.get((w, h), 0), "url": slot_urls.get((w, h), "")}
                    for h in range(24)
                ],
            }
            for w in range(7)
        ],
    }
    return render_pane(request, "reports/volume.html", context)


# Speed ---------------------------------------------------------------------------


def duration(seconds: float | None) -> str | None:
    """A duration as a lead reads it: "2 d 4 h", "3 h 20 min", "12 min"."""
    if seconds is None:
        return None
    minutes = round(seconds / 60)
    if minutes < 1:
        return _("under a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s min") % {"minutes": minutes}


@login_required
@require_GET
@_roomy
def speed(request):
    state, choices = _state(request)
    user, period, filters = request.user, state.period, state.filters
    business = request.GET.get("hours") != "calendar"
    found = measures.speed(user, period, filters, business=business)
    solved_url = drill(filters, "solved", period.start, period.end)
    rows = [
        {
            "label": _("Time to first response"),
            "median": duration(found["first"][0]),
            "p90": duration(found["first"][1]),
            "count": found["answered"],
            "missing": _("No solved ticket had a customer message answered."),
        },
        {
            "label": _("Time to next response"),
            "median": duration(found["next"][0]),
            "p90": duration(found["next"][1]),
            "count": found["next_count"],
            "missing": _("No customer wrote again after an answer."),
        },
        {
            "label": _("Time to solution"),
            "median": duration(found["resolution"][0]),
            "p90": duration(found["resolution"][1]),
            "count": found["tickets"],
            "linked": True,
            "missing": _("No ticket was solved in this period."),
        },
    ]
    daily = _speed_per_bucket(user, period, filters, business)
    if request.GET.get("export") == "speed":
        return _csv(
            "speed",
            state,
            [_("Measure"), _("Median"), _("90th percentile"), _("Counted")],
            [[r["label"], r["median"], r["p90"], r["count"]] for r in rows]
            + [
                [_("One-touch resolution"), _rate(found["one_touch"]), "", found["tickets"]],
                [_("Replies per ticket"), _number(found["replies"]), "", found["tickets"]],
            ],
        )
    if request.GET.get("export") == "daily":
        return _csv(
            "speed-per-day",
            state,
            [
                _("From"),
                _("To"),
                _("Median time to first response"),
                pgettext("number of tickets", "Solved"),
            ],
            [[b["start"], b["end"], duration(b["seconds"]), b["solved"]] for b in daily],
        )
    context = _context(request, "speed", state, choices) | {
        "business": business,
        "rows": rows,
        "tickets": found["tickets"],
        "one_touch": _rate(found["one_touch"]),
        "replies": _number(found["replies"]),
        "solved_url": solved_url,
        "per_bucket": daily,
        "speed_chart": charts.bars(
            [{**b, "hours": round((b["seconds"] or 0) / 3600, 1)} for b in daily], ["hours"]
        ),
        "weekly": len(period.days) > DAILY_UP_TO,
    }
    return render_pane(request, "reports/speed.html", context)


def _rate(value: float | None) -> str | None:
    return None if value is None else f"{value:.1f} %"


def _number(value: float | None) -> str | None:
    return None if value is None else f"{value:.1f}"


def _speed_per_bucket(user, period, filters, business: bool) -> list[dict]:
    """The median first response per day, or per week (Monday to Sunday, cut
    to the period) for long periods: one query either way."""
    column = "first_response_business" if business else "first_response"
    weekly = len(period.days) > DAILY_UP_TO
    solved = measures.facts_for(user, filters).filter(
        solved_at__gte=period.since, solved_at__lt=period.until
    )
    day = TruncDate("solved_at", tzinfo=period.zone)
    bucket = TruncWeek(day) if weekly else day
    found = {}
    for row in (
        solved.annotate(bucket=bucket)
        .values("bucket")
        .annotate(p=measures.Percentiles(F(column)), n=Count("pk"))
    ):
        start = row["bucket"]
        if isinstance(start, datetime.datetime):
            start = start.date()
        found[max(start, period.start)] = row
    result = []
    for start, end in _buckets(period):
        row = found.get(start)
        seconds = row["p"][0] if row and row["p"] else None
        result.append(
            {
                "start": start,
                "end": end,
                "seconds": seconds,
                "label": duration(seconds),
                "solved": row["n"] if row else 0,
                "hours_url": drill(filters, "solved", start, end),
            }
        )
    return result


# Workload ------------------------------------------------------------------------

WORKLOAD_SORTS = ("name", "assigned", "solved", "open", "first", "csat")


@login_required
@require_GET
@_roomy
def workload(request):
    state, choices = _state(request)
    user, period, filters = request.user, state.period, state.filters
    by = "team" if request.GET.get("by") == "team" else "owner"
    column = "team_id" if by == "team" else "owner_id"
    sort = request.GET.get("sort") or "-open"
    if sort.lstrip("-") not in WORKLOAD_SORTS:
        sort = "-open"
    rows = measures.workload(user, period, filters, column)
    # Ratings in the period, per the ticket's owner or team now (a rated
    # ticket may have been solved before the period: its row is added).
    ratings = {r["value"]: r for r in measures.satisfaction_by(user, period, filters, column)}
    blank = {"assigned": 0, "solved": 0, "open": 0, "first": None, "first_business": None}
    known = {row["value"] for row in rows}
    rows += [{"value": value, **blank} for value in ratings if value not in known]
    for row in rows:
        value = row["value"]
        row["label"] = choices.label(by, value)
        key = NONE if value is None else str(value)
        row["assigned_url"] = drill(filters, "created", period.start, period.end, **{by: key})
        row["solved_url"] = drill(filters, "solved", period.start, period.end, **{by: key})
        row["open_url"] = drill(filters, "open", **{by: key})
        row["first_label"] = duration(row["first_business"])
        row["first_calendar_label"] = duration(row["first"])
        rated = ratings.get(value, {"rated": 0, "good": 0})
        row["rated"], row["good"] = rated["rated"], rated["good"]
        row["csat"] = _share(rated["good"], rated["rated"])
        row["rated_url"] = drill(filters, "rated", period.start, period.end, **{by: key})
    key = sort.lstrip("-")
    descending = sort.startswith("-")
    rows.sort(
        key=lambda r: (
            (r["label"].casefold(),)
            if key == "name"
            else ((r["first_business"] is None), r["first_business"] or 0)
            if key == "first"
            # Rows without ratings last, either way.
            else (
                r["csat"] is None,
                -(r["csat"] or 0) if descending else r["csat"] or 0,
                -r["rated"],
            )
            if key == "csat"
            else (r[key],)
        ),
        reverse=descending and key not in ("first", "csat"),
    )
    if request.GET.get("export") == "workload":
        return _csv(
            "workload",
            state,
            [
                _("Team") if by == "team" else _("Agent"),
                _("Assigned"),
                pgettext("number of tickets", "Solved"),
                _("Open now"),
                _("Median first response (business hours)"),
                _("Median first response (calendar hours)"),
                _("Good ratings (%)"),
                _("Ratings"),
            ],
            [
                [
                    r["label"],
                    r["assigned"],
                    r["solved"],
                    r["open"],
                    r["first_label"],
                    r["first_calendar_label"],
                    r["csat"],
                    r["rated"],
                ]
                for r in rows
            ],
        )
    context = _context(request, "workload", state, choices) | {
        "by": by,
        "sort": sort,
        "rows": rows,
        "columns": [
            ("name", _("Team") if by == "team" else _("Agent")),
            ("assigned", _("Assigned")),
            ("solved", pgettext("number of tickets", "Solved")),
            ("open", _("Open now")),
            ("first", _("Median first response")),
            ("csat", _("Satisfaction")),
        ],
    }
    return render_pane(request, "reports/workload.html", context)


# SLA ---------------------------------------------------------------------------


def _sla_rate(met: int, total: int) -> float | None:
    return round(100 * met / total, 1) if total else None


@login_required
@require_GET
@_roomy
def sla(request):
    """Goals met and missed per goal, team and day (moved here from sla.views)."""
    state, choices = _state(request)
    period, filters = state.period, state.filters
    tickets = visible_tickets(request.user)
    if filters.dims or filters.tags or filters.custom:
        tickets = tickets.filter(
            pk__in=measures.facts_for(request.user, filters).values("ticket_id")
        )
    outcomes = SlaOutcome.objects.filter(
        done_at__gte=period.since, done_at__lt=period.until, ticket__in=tickets.values("pk")
    )
    counted = {"total": Count("id"), "met": Count("id", filter=Q(met=True))}
    by_goal = {row["goal"]: row for row in outcomes.values("goal").annotate(**counted)}
    empty = {"total": 0, "met": 0}
    goals = [
        {"label": label, **row, "rate": _sla_rate(row["met"], row["total"])}
        for value, label in SlaOutcome.Goal.choices
        for row in [by_goal.get(value, empty)]
    ]
    team_names = {team.pk: team.local_name for team in Team.objects.all()}
    cells: dict = {}
    for row in outcomes.values("team", "goal").annotate(**counted):
        cells.setdefault(row["team"], {})[row["goal"]] = row
    teams = [
        {
            "name": team_names.get(team, "—"),
            "cells": [
                {**row, "rate": _sla_rate(row["met"], row["total"])}
                for g in SlaOutcome.Goal.values
                for row in [cells[team].get(g, empty)]
            ],
        }
        for team in sorted(cells, key=lambda t: team_names.get(t, ""))
    ]
    daily = {
        row["day"]: row
        for row in outcomes.annotate(day=TruncDate("done_at", tzinfo=period.zone))
        .values("day")
        .annotate(**counted)
    }
    days = []
    for day in period.days:
        row = daily.get(day, empty)
        days.append(
            {
                "start": day,
                "total": row["total"],
                "met": row["met"],
                "rate": _sla_rate(row["met"], row["total"]),
            }
        )
    export = request.GET.get("export")
    if export == "daily":
        return _csv(
            "sla-per-day",
            state,
            [_("Day"), _("Goals met"), _("Goals"), _("Met (%)")],
            [[d["start"], d["met"], d["total"], d["rate"]] for d in days],
        )
    if export == "teams":
        return _csv(
            "sla-per-team",
            state,
            [_("Team"), *(label for _v, label in SlaOutcome.Goal.choices)],
            [[t["name"], *(c["rate"] for c in t["cells"])] for t in teams],
        )
    missed = outcomes.filter(met=False).select_related("ticket", "team").order_by("-done_at")
    chart = charts.bars([{**d, "percent": d["rate"] or 0} for d in days], ["percent"])
    chart["top"], chart["half"] = 100, 50
    for group in chart["groups"]:
        for mark in group["marks"]:
            height = charts.HEIGHT * mark["value"] / 100
            mark["height"] = charts.coordinate(height)
            mark["y"] = charts.coordinate(charts.HEIGHT - height)
    context = _context(request, "sla", state, choices) | {
        "goals": goals,
        "goal_labels": [label for _value, label in SlaOutcome.Goal.choices],
        "teams": teams,
        "days": days,
        "chart": chart,
        "missed": missed[:50],
        "missed_count": outcomes.filter(met=False).count(),
    }
    return render_pane(request, "reports/sla.html", context)


# Satisfaction ------------------------------------------------------------------

COMMENTS_PER_PAGE = 20
# The comments' CSV holds the latest ones of the period, up to this many.
COMMENTS_EXPORTED = 10_000
BY = {"team": "team_id", "owner": "owner_id", "source": "source"}
FILE_NAMES = {"team": "team", "owner": "agent", "source": "channel"}


def _share(good: int, rated: int) -> float | None:
    """The share of good ratings; None (not 0 %) when there were none."""
    return round(100 * good / rated, 1) if rated else None


def _rating_label(survey) -> str:
    if survey.rating in ("good", "bad"):
        return str(RATINGS[survey.rating])
    return _("%(score)s of 5") % {"score": survey.rating}


@login_required
@require_GET
@_roomy
def satisfaction(request):
    """Share of good ratings, ratings and response rate, per team, agent,
    channel and day or week, and the customers' latest comments."""
    state, choices = _state(request)
    user, period, filters = request.user, state.period, state.filters
    found = measures.satisfaction(user, period, filters)
    weekly = len(period.days) > DAILY_UP_TO
    per_bucket = measures.satisfaction_per_bucket(user, period, filters, weekly=weekly)
    trend = []
    for start, end in _buckets(period):
        row = per_bucket.get(start, {"rated": 0, "good": 0})
        share = _share(row["good"], row["rated"])
        trend.append(
            {
                "start": start,
                "end": end,
                **row,
                "share": share,
                "percent": share or 0,
                "rated_url": drill(filters, "rated", start, end),
                "good_url": drill(filters, "rated", start, end, rating="good"),
            }
        )
    groups = {}
    for key, column in BY.items():
        rows = measures.satisfaction_by(user, period, filters, column)
        for row in rows:
            value = NONE if row["value"] in (None, "") else str(row["value"])
            row["label"] = choices.label(key, row["value"])
            row["share"] = _share(row["good"], row["rated"])
            row["rated_url"] = drill(filters, "rated", period.start, period.end, **{key: value})
            row["good_url"] = drill(
                filters, "rated", period.start, period.end, rating="good", **{key: value}
            )
        groups[key] = rows
    comments = measures.satisfaction_comments(user, period, filters)
    share = _share(found["good"], found["rated"])
    export = request.GET.get("export")
    if export == "daily":
        return _csv(
            "satisfaction-per-day",
            state,
            [_("From"), _("To"), _("Good ratings"), _("Ratings"), _("Good (%)")],
            [[b["start"], b["end"], b["good"], b["rated"], b["share"]] for b in trend],
        )
    if export in groups:
        names = {"team": _("Team"), "owner": _("Agent"), "source": _("Channel")}
        return _csv(
            f"satisfaction-per-{FILE_NAMES[export]}",
            state,
            [names[export], _("Good ratings"), _("Ratings"), _("Good (%)")],
            [[r["label"], r["good"], r["rated"], r["share"]] for r in groups[export]],
        )
    if export == "comments":
        return _csv(
            "satisfaction-comments",
            state,
            [_("Ticket"), _("Ticket name"), _("Rating"), _("Comment"), _("Rated"), _("Agent")],
            [
                [
                    s.ticket_id,
                    s.ticket.name,
                    _rating_label(s),
                    s.comment,
                    timezone.localtime(s.rated_at).strftime("%Y-%m-%d %H:%M"),
                    s.ticket.owner.display_name if s.ticket.owner else "",
                ]
                for s in (fact.survey for fact in comments[:COMMENTS_EXPORTED])
            ],
        )
    page = Paginator(comments, COMMENTS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = [fact.survey for fact in page.object_list]
    for survey in page:
        survey.label = _rating_label(survey)
        survey.group = rating_group(survey.rating)
    chart = charts.bars(trend, ["percent"])
    chart["top"], chart["half"] = 100, 50
    for group in chart["groups"]:
        for mark in group["marks"]:
            height = charts.HEIGHT * mark["value"] / 100
            mark["height"] = charts.coordinate(height)
            mark["y"] = charts.coordinate(charts.HEIGHT - height)
            mark["url"] = group["bucket"]["rated_url"]
    context = _context(request, "satisfaction", state, choices) | {
        **found,
        "share": share,
        "response": _share(found["answered"], found["sent"]),
        "rated_url": drill(filters, "rated", period.start, period.end),
        "good_url": drill(filters, "rated", period.start, period.end, rating="good"),
        "sent_url": drill(filters, "sent", period.start, period.end),
        "answered_url": drill(filters, "sent", period.start, period.end, answered=True),
        "trend": trend,
        "weekly": weekly,
        "chart": chart,
        "breakdowns": [
            ("team", _("By team"), groups["team"], _("Team")),
            ("owner", _("By agent"), groups["owner"], _("Agent")),
            ("source", _("By channel"), groups["source"], _("Channel")),
        ],
        "comments": page,
    }
    return render_pane(request, "reports/satisfaction.html", context)

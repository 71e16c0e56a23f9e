"""The SLA report (issue 7): attainment per goal and per team for a period,
a daily chart, and the missed tickets; only tickets the viewer may see (S3)."""

import datetime

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET

from accounts.models import Team
from tickets.access import visible_tickets
from tickets.rendering import nav_context, render_pane

from .models import SlaOutcome

DEFAULT_DAYS = 30
MAX_DAYS = 366


def _period(request) -> tuple[datetime.date, datetime.date]:
    today = timezone.localdate()
    end = parse_date(request.GET.get("to") or "") or today
    start = parse_date(request.GET.get("from") or "") or end - datetime.timedelta(
        days=DEFAULT_DAYS - 1
    )
    if start > end:
        start, end = end, start
    return max(start, end - datetime.timedelta(days=MAX_DAYS - 1)), end


def _rate(met: int, total: int) -> float | None:
    return round(100 * met / total, 1) if total else None


@login_required
@require_GET
def sla_report(request):
    start, end = _period(request)
    zone = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time(), tzinfo=zone)
    until = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time(), tzinfo=zone
    )
    outcomes = SlaOutcome.objects.filter(
        done_at__gte=since,
        done_at__lt=until,
        ticket__in=visible_tickets(request.user).values("pk"),
    )
    counted = {"total": Count("id"), "met": Count("id", filter=Q(met=True))}
    by_goal = {row["goal"]: row for row in outcomes.values("goal").annotate(**counted)}
    empty = {"total": 0, "met": 0}
    goals = [
        {"label": label, **row, "rate": _rate(row["met"], row["total"])}
        for value, label in SlaOutcome.Goal.choices
        for row in [by_goal.get(value, empty)]
    ]
    team_names = {team.pk: team.local_name for team in Team.objects.all()}
    cells = {}
    for row in outcomes.values("team", "goal").annotate(**counted):
        cells.setdefault(row["team"], {})[row["goal"]] = row
    teams = [
        {
            "name": team_names.get(team, "—"),
            "cells": [
                _rate(row["met"], row["total"])
                for g in SlaOutcome.Goal.values
                for row in [cells[team].get(g, empty)]
            ],
        }
        for team in sorted(cells, key=lambda t: team_names.get(t, ""))
    ]
    daily = _daily(outcomes, zone)
    days = []
    day = start
    while day <= end:
        row = daily.get(day, {"total": 0, "met": 0})
        days.append(
            {
                "day": day,
                "total": row["total"],
                "met": row["met"],
                "rate": _rate(row["met"], row["total"]),
            }
        )
        day += datetime.timedelta(days=1)
    missed = outcomes.filter(met=False).select_related("ticket", "team").order_by("-done_at")[:50]
    return render_pane(
        request,
        "sla/report.html",
        {
            "start": start,
            "end": end,
            "goals": goals,
            "goal_labels": [label for _value, label in SlaOutcome.Goal.choices],
            "teams": teams,
            "chart": _chart(days),
            "missed": missed,
            "missed_count": outcomes.filter(met=False).count(),
            **nav_context(request.user, None),
        },
    )


def _daily(outcomes, zone) -> dict:
    from django.db.models.functions import TruncDate

    rows = (
        outcomes.annotate(day=TruncDate("done_at", tzinfo=zone))
        .values("day")
        .annotate(total=Count("id"), met=Count("id", filter=Q(met=True)))
    )
    return {row["day"]: row for row in rows}


CHART_WIDTH, CHART_HEIGHT = 720, 160


def _chart(days: list[dict]) -> dict:
    """Bars of the daily attainment (percent met), drawn as SVG geometry."""
    step = CHART_WIDTH / max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        if day["rate"] is None:
            continue
        height = CHART_HEIGHT * day["rate"] / 100
        bars.append(
            {
                "x": round(index * step + step * 0.15, 1),
                "y": round(CHART_HEIGHT - height, 1),
                "width": round(step * 0.7, 1),
                "height": round(height, 1),
                "day": day,
            }
        )
    return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "bars": bars, "days": days}

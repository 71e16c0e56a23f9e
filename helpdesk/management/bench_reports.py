"""The reports' lines of `make bench` (issue 21): each report page over 90
days and over a year, for a super admin and a team-scoped agent. Targets:
p95 <= 300 ms for 90 days, <= 1 s for a year.

The seeded tickets have no facts: they are built here in SQL from the ticket
rows (calendar measures from the ticket's own moments; the working time of a
calendar is the beat's Python, too slow for a million rows at once), with the
rollups from them, once per dataset. They are kept and vacuumed, as a help
desk's facts are (the beat refreshes a few each minute, autovacuum follows):
measured in the transaction that wrote them, no read could use the covering
indexes, and the figures would be those of a state production never is in.
"""

import datetime
import time

from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reports.drill import drill
from reports.measures import Filters

FACTS = """
INSERT INTO reports_ticketfact
    (ticket_id, team_id, owner_id, pipeline_id, source, priority, created_at, solved_at,
     closes, reopens, first_response_at, first_response, first_response_business,
     next_responses, next_responses_business, resolution, resolution_business, replies,
     survey_id, survey_sent_at, survey_rated_at, survey_rating, survey_commented)
SELECT t.id, t.team_id, t.owner_id, t.pipeline_id, t.source, t.priority, t.created_at,
    CASE WHEN t.is_open THEN NULL ELSE c.at END,
    CASE WHEN o.reopened THEN ARRAY[t.created_at + interval '1 day'] ELSE '{}' END
        || CASE WHEN t.is_open THEN '{}'::timestamptz[] ELSE ARRAY[c.at] END,
    CASE WHEN o.reopened THEN ARRAY[t.created_at + interval '2 days']
         ELSE '{}'::timestamptz[] END,
    r.at,
    extract(epoch FROM r.at - t.created_at)::int,
    (extract(epoch FROM r.at - t.created_at) / 3)::int,
    CASE WHEN t.id % 3 = 0 THEN ARRAY[(t.id % 7200)::int] ELSE '{}'::int[] END,
    CASE WHEN t.id % 3 = 0 THEN ARRAY[(t.id % 2400)::int] ELSE '{}'::int[] END,
    CASE WHEN t.is_open THEN NULL
         ELSE extract(epoch FROM coalesce(t.closed_at, t.last_activity_at) - t.created_at)::int END,
    CASE WHEN t.is_open THEN NULL
         ELSE (extract(epoch FROM coalesce(t.closed_at, t.last_activity_at) - t.created_at) / 3)::int END,
    (t.id % 4)::int,
    s.id, s.sent_at, s.rated_at, coalesce(s.rating, ''), coalesce(s.comment, '') != ''
FROM tickets_ticket t
CROSS JOIN LATERAL (SELECT coalesce(t.closed_at, t.last_activity_at) AS at) c
-- One ticket in twelve was closed a day after it came and reopened the next.
CROSS JOIN LATERAL (
    SELECT t.id % 12 = 0
        AND t.created_at + interval '2 days' < CASE WHEN t.is_open THEN now() ELSE c.at END
        AS reopened
) o
CROSS JOIN LATERAL (
    SELECT CASE WHEN t.last_agent_reply_at > t.created_at THEN t.last_agent_reply_at
                ELSE t.created_at + make_interval(mins => (t.id % 900)::int) END AS at
) r
LEFT JOIN LATERAL (
    SELECT id, sent_at, rated_at, rating, comment FROM surveys_survey
    WHERE ticket_id = t.id AND sent_at IS NOT NULL ORDER BY sent_at DESC, id DESC LIMIT 1
) s ON true
WHERE t.deleted_at IS NULL AND NOT t.is_spam AND t.merged_into_id IS NULL
"""

ROLLUPS = """
INSERT INTO reports_rollup
    (hour, team_id, owner_id, pipeline_id, source, priority,
     created, solved, closes, reopens, one_touch, replies)
SELECT hour, team_id, owner_id, pipeline_id, source, priority,
    sum(created), sum(solved), sum(closes), sum(reopens), sum(one_touch), sum(replies)
FROM (
    SELECT date_trunc('hour', created_at) AS hour, team_id, owner_id, pipeline_id, source,
        priority, 1 AS created, 0 AS solved, 0 AS closes, 0 AS reopens, 0 AS one_touch,
        0 AS replies
    FROM reports_ticketfact
    UNION ALL
    SELECT date_trunc('hour', solved_at), team_id, owner_id, pipeline_id, source, priority,
        0, 1, 0, 0, (replies = 1)::int, replies
    FROM reports_ticketfact WHERE solved_at IS NOT NULL
    UNION ALL
    SELECT date_trunc('hour', m), team_id, owner_id, pipeline_id, source, priority,
        0, 0, 1, 0, 0, 0
    FROM reports_ticketfact, unnest(closes) m
    UNION ALL
    SELECT date_trunc('hour', m), team_id, owner_id, pipeline_id, source, priority,
        0, 0, 0, 1, 0, 0
    FROM reports_ticketfact, unnest(reopens) m
) cells
GROUP BY 1, 2, 3, 4, 5, 6
"""


# Satisfaction surveys for half the closed tickets, sent an hour after the
# close; a third of them answered (one in seven bad), a quarter of those with
# a comment: tens of thousands of ratings at a million tickets, which the facts carry
# (reports.measures, "Satisfaction").
SURVEYS = """
INSERT INTO surveys_survey
    (ticket_id, contact_id, email, scale, status, skip_reason, send_after, sent_at,
     answer_until, rating, comment, rated_at, created_at)
SELECT t.id, NULL, '', 'good_bad', 'sent', '', c.at + interval '1 hour',
    c.at + interval '1 hour', c.at + interval '8 days',
    CASE WHEN t.id % 6 != 0 THEN '' WHEN t.id % 7 = 0 THEN 'bad' ELSE 'good' END,
    CASE WHEN t.id % 24 = 0 THEN 'Thanks for the quick help.' ELSE '' END,
    CASE WHEN t.id % 6 = 0 THEN c.at + make_interval(mins => 60 + (t.id % 600)::int) END,
    c.at
FROM tickets_ticket t
CROSS JOIN LATERAL (SELECT coalesce(t.closed_at, t.last_activity_at) AS at) c
WHERE NOT t.is_open AND t.id % 2 = 0 AND t.deleted_at IS NULL
"""


def build_facts(summary) -> list[dict]:
    """Facts and rollups of every counted ticket, unless they are there."""
    counted = "deleted_at IS NULL AND NOT is_spam AND merged_into_id IS NULL"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM tickets_ticket WHERE {counted}")
        (tickets,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM reports_ticketfact")
        (facts,) = cursor.fetchone()
        # Facts built before the surveys were there carry none of them, and
        # facts built by an older bench no reopening.
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM surveys_survey) "
            "AND NOT EXISTS (SELECT 1 FROM reports_ticketfact WHERE survey_sent_at IS NOT NULL) "
            "OR EXISTS (SELECT 1 FROM reports_ticketfact) "
            "AND NOT EXISTS (SELECT 1 FROM reports_ticketfact WHERE cardinality(reopens) > 0)"
        )
        (without_surveys,) = cursor.fetchone()
    if facts == tickets and not without_surveys:
        return []
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM reports_ticketfact")
        cursor.execute("DELETE FROM reports_rollup")
        cursor.execute("DELETE FROM reports_dirtyticket")
        cursor.execute(FACTS)
        cursor.execute(ROLLUPS)
    with connection.cursor() as cursor:
        # VACUUM cannot run in a transaction (the tests' smoke run is in one).
        vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        cursor.execute(f"{vacuum} reports_ticketfact")
        cursor.execute(f"{vacuum} reports_rollup")
        cursor.execute("SELECT count(*) FROM reports_rollup")
        (cells,) = cursor.fetchone()
    built = (time.perf_counter() - started) * 1000
    return [summary(f"reports: facts and {cells:,} rollup cells built (SQL)", [built], 6)]


def build_surveys(summary) -> list[dict]:
    """The surveys of SURVEYS, unless they are there."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM surveys_survey")
        (surveys,) = cursor.fetchone()
        if surveys:
            return []
        started = time.perf_counter()
        cursor.execute(SURVEYS)
        vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        cursor.execute(f"{vacuum} surveys_survey")
        cursor.execute("SELECT count(*) FROM surveys_survey WHERE rated_at IS NOT NULL")
        (ratings,) = cursor.fetchone()
    built = (time.perf_counter() - started) * 1000
    return [summary(f"reports: {ratings:,} ratings built (SQL)", [built], 3)]


def _drill_downs(preset: str) -> list[tuple[str, tuple]]:
    """The Volume numbers whose table reads the facts' closes and reopenings:
    reopened in the period, and open at the end of its first day."""
    today = timezone.localdate()
    start = today - datetime.timedelta(days=89 if preset == "90d" else 364)
    return [
        ("reopened", ("reopened", start, today)),
        ("open at the end of the first day", ("open_at", None, start)),
    ]


def measure(runs: int, summary, counter, agent, team_agent) -> list[dict]:
    """Every report page, 90 days and a year, as a super admin would open it
    and (Volume, Satisfaction) as a team-scoped agent."""
    results = build_surveys(summary) + build_facts(summary)
    client = Client(SERVER_NAME="localhost")
    client.force_login(agent)
    team_client = Client(SERVER_NAME="localhost")
    team_client.force_login(team_agent)
    pages = [
        ("volume", "reports:volume", {}),
        ("speed", "reports:speed", {}),
        ("speed, calendar hours", "reports:speed", {"hours": "calendar"}),
        ("SLA", "reports:sla", {}),
        ("workload", "reports:workload", {}),
        ("satisfaction", "reports:satisfaction", {}),
    ]
    for period, preset, target in (("90 days", "90d", 300), ("a year", "year", 1000)):
        cases = [(f"reports: {name}, {period}", client, url, args) for name, url, args in pages]
        cases += [
            (f"reports: {name}, {period}, team-scoped agent", team_client, url, {})
            for name, url in (
                ("volume", "reports:volume"),
                ("satisfaction", "reports:satisfaction"),
            )
        ]
        cases += [
            (f"reports: drill-down, {name}, {period}", client, drill(Filters(), *args), {})
            for name, args in _drill_downs(preset)
        ]
        for name, who, url, args in cases:
            if url.startswith("/"):  # a drill-down: the ticket table's own address
                path, params = url, {}
            else:
                path, params = reverse(url), {"range": preset, **args}
            who.get(path, params)  # warm up
            with counter() as counted:
                response = who.get(path, params)
            if response.status_code != 200:
                raise RuntimeError(f"{name}: HTTP {response.status_code}")
            timings = []
            for _run in range(runs):
                began = time.perf_counter()
                who.get(path, params)
                timings.append((time.perf_counter() - began) * 1000)
            results.append(summary(name, timings, counted.count, target))
    return results

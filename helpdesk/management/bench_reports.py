"""The reports' lines of `make bench` (issue 21): each report page over 90
days and over a year, for a super admin and a team-scoped agent. Targets:
p95 <= 300 ms for 90 days, <= 1 s for a year.

The seeded tickets have no facts yet: they are built here in SQL from the
ticket rows (calendar measures from the ticket's own moments; the working
time of a calendar is the beat's Python, too slow for a million rows at
once), with the rollups from them, in a transaction rolled back at the end:
the dataset stays as seeded.
"""

import time

from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

FACTS = """
INSERT INTO reports_ticketfact
    (ticket_id, team_id, owner_id, pipeline_id, source, priority, created_at, solved_at,
     closes, reopens, first_response_at, first_response, first_response_business,
     next_responses, next_responses_business, resolution, resolution_business, replies)
SELECT t.id, t.team_id, t.owner_id, t.pipeline_id, t.source, t.priority, t.created_at,
    CASE WHEN t.is_open THEN NULL ELSE coalesce(t.closed_at, t.last_activity_at) END,
    CASE WHEN t.is_open THEN '{}'::timestamptz[]
         ELSE ARRAY[coalesce(t.closed_at, t.last_activity_at)] END,
    '{}'::timestamptz[],
    r.at,
    extract(epoch FROM r.at - t.created_at)::int,
    (extract(epoch FROM r.at - t.created_at) / 3)::int,
    CASE WHEN t.id % 3 = 0 THEN ARRAY[(t.id % 7200)::int] ELSE '{}'::int[] END,
    CASE WHEN t.id % 3 = 0 THEN ARRAY[(t.id % 2400)::int] ELSE '{}'::int[] END,
    CASE WHEN t.is_open THEN NULL
         ELSE extract(epoch FROM coalesce(t.closed_at, t.last_activity_at) - t.created_at)::int END,
    CASE WHEN t.is_open THEN NULL
         ELSE (extract(epoch FROM coalesce(t.closed_at, t.last_activity_at) - t.created_at) / 3)::int END,
    (t.id % 4)::int
FROM tickets_ticket t
CROSS JOIN LATERAL (
    SELECT CASE WHEN t.last_agent_reply_at > t.created_at THEN t.last_agent_reply_at
                ELSE t.created_at + make_interval(mins => (t.id % 900)::int) END AS at
) r
WHERE t.deleted_at IS NULL AND NOT t.is_spam AND t.merged_into_id IS NULL
"""

ROLLUPS = """
INSERT INTO reports_rollup
    (hour, team_id, owner_id, pipeline_id, source, priority,
     created, solved, closes, reopens, one_touch, replies)
SELECT hour, team_id, owner_id, pipeline_id, source, priority,
    sum(created), sum(solved), sum(closes), 0, sum(one_touch), sum(replies)
FROM (
    SELECT date_trunc('hour', created_at) AS hour, team_id, owner_id, pipeline_id, source,
        priority, 1 AS created, 0 AS solved, 0 AS closes, 0 AS one_touch, 0 AS replies
    FROM reports_ticketfact
    UNION ALL
    SELECT date_trunc('hour', solved_at), team_id, owner_id, pipeline_id, source, priority,
        0, 1, 1, (replies = 1)::int, replies
    FROM reports_ticketfact WHERE solved_at IS NOT NULL
) cells
GROUP BY 1, 2, 3, 4, 5, 6
"""


# Satisfaction surveys for half the closed tickets, sent an hour after the
# close; a third of them answered (one in seven bad), a quarter of those with
# a comment: at a million tickets some 100,000 ratings, read straight from
# the surveys (reports.measures, "Satisfaction").
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


class _Rollback(Exception):
    pass


def measure(runs: int, summary, counter, agent, team_agent) -> list[dict]:
    """Every report page, 90 days and a year, as a super admin would open it
    and (Volume, Satisfaction) as a team-scoped agent."""
    results: list[dict] = []
    try:
        with transaction.atomic():
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM reports_ticketfact")
                cursor.execute("DELETE FROM reports_rollup")
                cursor.execute(FACTS)
                cursor.execute(ROLLUPS)
                cursor.execute("ANALYZE reports_ticketfact")
                cursor.execute("ANALYZE reports_rollup")
                cursor.execute("SELECT count(*) FROM reports_rollup")
                (cells,) = cursor.fetchone()
                cursor.execute(SURVEYS)
                cursor.execute("ANALYZE surveys_survey")
                cursor.execute("SELECT count(*) FROM surveys_survey WHERE rated_at IS NOT NULL")
                (ratings,) = cursor.fetchone()
            built = (time.perf_counter() - started) * 1000
            results.append(
                summary(
                    f"reports: facts, {cells:,} rollup cells and {ratings:,} ratings built (SQL)",
                    [built],
                    10,
                )
            )
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
                cases = [
                    (f"reports: {name}, {period}", client, url, args) for name, url, args in pages
                ]
                cases += [
                    (f"reports: {name}, {period}, team-scoped agent", team_client, url, {})
                    for name, url in (
                        ("volume", "reports:volume"),
                        ("satisfaction", "reports:satisfaction"),
                    )
                ]
                for name, who, url, args in cases:
                    params = {"range": preset, **args}
                    path = reverse(url)
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
            raise _Rollback
    except _Rollback:
        pass
    return results

"""The REST API's lines of `make bench` (issue 18): the ticket list (first and
next page, for an agent who sees everything and for a team-scoped one, and
filtered like the table) and a single ticket, through a personal access token
as an integration would call them. Targets: p95 <= 30 ms for a list page,
<= 20 ms for one ticket. The tokens are made in a transaction rolled back at
the end: the dataset stays as seeded."""

import logging
import time

from django.db import transaction
from django.test import Client, override_settings

from api import tokens
from tickets.access import visible_tickets

LIST_TARGET = 30
SINGLE_TARGET = 20


def time_api(agent, team_agent, runs: int, summary, counter) -> list[dict]:
    """The API's lines; its per-request log lines are held back meanwhile
    (they would fill the report, and the console write is not the API's cost)."""
    requests_log = logging.getLogger("api.requests")
    level = requests_log.level
    requests_log.setLevel(logging.WARNING)
    try:
        return _time_api(agent, team_agent, runs, summary, counter)
    finally:
        requests_log.setLevel(level)


def _time_api(agent, team_agent, runs: int, summary, counter) -> list[dict]:
    results = []
    with transaction.atomic(), override_settings(HELPDESK_API_RATE=10**9):
        clients = {}
        for user in (agent, team_agent):
            _token, secret = tokens.token_create(
                user=user, name="Bench", scope="read", expires_in_days=None
            )
            clients[user.pk] = Client(
                SERVER_NAME="localhost", headers={"Authorization": f"Bearer {secret}"}
            )
        client, team_client = clients[agent.pk], clients[team_agent.pk]
        first = client.get("/api/v1/tickets", {"view": "all"}).json()
        ticket = visible_tickets(agent).filter(is_open=True).order_by("-id").first()
        cases = [
            ("API ticket list, all open (50)", client, "/api/v1/tickets", {"view": "all-open"}),
            ("API ticket list, next page (keyset)", client, first["next"] or "", {}),
            (
                "API ticket list, team-scoped token",
                team_client,
                "/api/v1/tickets",
                {"view": "all-open"},
            ),
            (
                "API ticket list, priority filter, sorted by creation",
                client,
                "/api/v1/tickets",
                {"priority": "high", "sort": "-created_at"},
            ),
        ]
        for name, who, url, params in cases:
            if url:
                results.append(_time(name, who, url, params, runs, summary, counter, LIST_TARGET))
        if ticket:
            results.append(
                _time(
                    "API single ticket",
                    client,
                    f"/api/v1/tickets/{ticket.pk}",
                    {},
                    runs,
                    summary,
                    counter,
                    SINGLE_TARGET,
                )
            )
        transaction.set_rollback(True)
    return results


def _time(name, client, url, params, runs, summary, counter, target) -> dict:
    client.get(url, params)  # warm up (and the token's last use written)
    with counter() as counted:
        response = client.get(url, params)
    if response.status_code != 200:
        raise RuntimeError(f"{name}: HTTP {response.status_code} {response.content[:200]!r}")
    timings = []
    for _run in range(runs):
        started = time.perf_counter()
        client.get(url, params)
        timings.append((time.perf_counter() - started) * 1000)
    return summary(name, timings, counted.count, target)

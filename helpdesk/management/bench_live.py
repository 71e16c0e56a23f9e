"""The live workspace's lines of `make bench` (issue 19): the list's
"changed since" check one agent makes every 5 s, what 40 agents checking at
once add to the server, and the top bar's search type-ahead over every ticket
the agent may see. Everything runs in a transaction rolled back at the end:
the dataset stays as seeded."""

import statistics
import time

from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tickets import queries
from tickets.models import Ticket

AGENTS = 40
INTERVAL_SECONDS = 5  # static/js/live.js
RECENT = 20  # tickets changed in the last seconds while the agents check


def measure(runs: int, summary, counter, terms: list[tuple[str, str]]) -> list[dict]:
    """`terms`: (label, text) of what agents type in a search box."""
    with transaction.atomic():
        results = _measure(runs, summary, counter)
        results += _type_ahead(runs, summary, counter, terms)
        transaction.set_rollback(True)
    return results


TYPED = ("rare word", "common word", "common Korean word", "partial email")


def _type_ahead(runs: int, summary, counter, terms) -> list[dict]:
    """The type-ahead's answer (best 8 tickets and their contacts) for what an
    agent types, and with operators, for an agent who sees every ticket."""
    agent = User.objects.filter(username__regex=r"^bench[0-9]+$").order_by("pk").first()
    if agent is None:
        return []
    agent.visibility = User.Visibility.ALL
    agent.save(update_fields=["visibility"])
    client = Client(SERVER_NAME="localhost")
    client.force_login(agent)
    url = reverse("tickets:search_suggest")
    typed = dict(terms)
    cases = [(label, typed[label]) for label in TYPED if label in typed]
    cases += [
        (
            "operators status:open is:unassigned",
            f"status:open is:unassigned {typed['common word']}",
        ),
        ("operator from:", f"from:{typed['partial email'].split('@')[0]}"),
    ]
    results = []
    for label, text in cases:
        client.get(url, {"q": text})  # warm up
        with counter() as counted:
            response = client.get(url, {"q": text})
        if response.status_code != 200:
            raise RuntimeError(f"type-ahead {label}: HTTP {response.status_code}")
        timings = []
        for _run in range(runs):
            started = time.perf_counter()
            client.get(url, {"q": text})
            timings.append((time.perf_counter() - started) * 1000)
        found = response.content.decode().count('class="suggest-item suggest-ticket"')
        results.append(
            summary(f"search type-ahead, {label} ({found} shown)", timings, counted.count)
        )
    return results


def _measure(runs: int, summary, counter) -> list[dict]:
    agents = list(User.objects.filter(username__regex=r"^bench[0-9]+$").order_by("pk")[:AGENTS])
    if not agents:
        return []
    # A desk at work: a third of the agents see their teams' tickets, a third
    # their own only; a few tickets changed a moment ago.
    for index, agent in enumerate(agents):
        agent.visibility = [User.Visibility.ALL, User.Visibility.TEAMS, User.Visibility.OWNED][
            index % 3
        ]
        agent.save(update_fields=["visibility"])
    clients = []
    for agent in agents:
        client = Client(SERVER_NAME="localhost")
        client.force_login(agent)
        clients.append(client)
    url = reverse("tickets:view_changes", args=["all-open"])
    since = {"since": str(queries.stamp(timezone.now()))}
    results = []
    for name in ("nothing changed", f"{RECENT} tickets changed"):
        if name != "nothing changed":
            # (Nothing changed in the 10 s before unless the seed just ran.)
            recent = Ticket.objects.open().alive().order_by("-last_activity_at")
            ids = list(recent.values_list("pk", flat=True)[:RECENT])
            Ticket.objects.filter(pk__in=ids).update(updated_at=timezone.now())
        client, params = clients[0], since
        client.get(url, params)  # warm up
        with counter() as counted:
            response = client.get(url, params)
        if response.status_code != 200:
            raise RuntimeError(f"live check: HTTP {response.status_code}")
        timings = []
        for _run in range(max(runs, 20)):
            started = time.perf_counter()
            client.get(url, params)
            timings.append((time.perf_counter() - started) * 1000)
        results.append(summary(f"live check, {name} (request)", timings, counted.count))
        # The check itself, as the server runs it inside the request: the
        # target the issue sets (p95 <= 10 ms at a million tickets).
        view = queries.get_view_for_user(agents[0], "all-open")
        moment = queries.from_stamp(params["since"])
        with counter() as counted:
            queries.changes_since(agents[0], view, moment)
        timings = []
        for _run in range(max(runs, 20)):
            started = time.perf_counter()
            queries.changes_since(agents[0], view, moment)
            timings.append((time.perf_counter() - started) * 1000)
        results.append(summary(f"live check, {name} (query)", timings, counted.count, 10))
    # 40 agents, each checking once per interval: the server time one round
    # of checks takes, spread over the interval, is the load they add.
    rounds = []
    timings = []
    for _round in range(max(runs // 4, 5)):
        started_round = time.perf_counter()
        for client in clients:
            started = time.perf_counter()
            client.get(url, since)
            timings.append((time.perf_counter() - started) * 1000)
        rounds.append((time.perf_counter() - started_round) * 1000)
    per_second = statistics.median(rounds) / INTERVAL_SECONDS
    line = summary(
        f"live check, {len(clients)} agents every {INTERVAL_SECONDS} s "
        f"(added load {per_second:.1f} ms of server time per second, "
        f"{per_second / 10:.1f}% of one core)",
        timings,
        counted.count,
    )
    results.append(line)
    return results

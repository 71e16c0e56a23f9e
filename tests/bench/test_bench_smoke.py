"""A tiny run of `make bench`: it seeds, measures every page and reports."""

import json
import re

from django.core.management import call_command

from conversations.models import Message
from crm.models import Contact
from tickets.indexing import refresh_search_vectors
from tickets.models import Ticket


def test_bench_seeds_measures_and_reports(db, tmp_path, capsys):
    call_command("bench", tickets=400, runs=2, out=str(tmp_path))
    assert Ticket.objects.count() == 400
    assert Contact.objects.filter(company__name__startswith="Bench company").count() == 1200
    assert Ticket.objects.filter(is_open=True).exists()
    # Each ticket's conversation: one to five messages, the customer's first.
    seeded = Message.objects.filter(message_id__startswith="<seed-")
    assert 400 <= seeded.count() <= 2000
    assert not seeded.filter(direction="outbound", author=None).exclude(ticket__owner=None)
    output = capsys.readouterr().out
    assert re.search(r"machine yardstick [\d.]+ ms before, [\d.]+ ms after", output)
    for page in (
        "view all-open",
        "ticket page (full)",
        "ticket page (full), 8-message thread",
        "open table, sort created_at",
        "open table, sort -owner",
        "open table, sort sla",
        "sidebar counts",
        "counts request of the sidebar",
        "counts request of the sidebar with the custom view",
        "view sent (list, htmx)",
        "search rare Korean word",
        "search phone",
        "quick filters owner+priority",
        "quick filters stage, sort created_at",
        "table sweep: ",
        "table sweep, slowest: ",
        "filter seats:gt:50",
        "filter tag “bench-refund” (20 tickets)",
        "custom view, 2 conditions (table)",
        "ticket pane, 1,000-event timeline",
        "older timeline page, 1,000 events",
        "webhook answer",
        "ingest one reply in the worker",
        "ingestion:",
        "SLA change applied to",
        "SLA apply to open tickets:",
        "rules: 200 active rules evaluated on one event",
        "rules: time sweep",
        "ingestion with rules:",
        "route() round_robin, 20 agents",
        "route() least_open, 20 agents",
        "macro apply, 5 actions (service)",
        "macro apply, 5 actions (request + ticket pane)",
        "edit a header field, priority (answer)",
        "webhooks: an event queued for 5 subscriptions",
        "webhooks: delivery to a local receiver",
        "help center article page",
        "help center search common word",
        "help center search Korean without spaces",
        "API ticket list, all open (50)",
        "API ticket list, next page (keyset)",
        "API ticket list, team-scoped token",
        "API ticket list, priority filter, sorted by creation",
        "API single ticket",
        "portal: ticket list (",
        "portal: ticket list, company sharing (",
        "portal: ticket page (",
        "import: CSV tickets",
        "reports: volume, 90 days",
        "reports: speed, a year",
        "reports: SLA, 90 days",
        "reports: workload, a year",
        "reports: volume, 90 days, team-scoped agent",
        "reports: satisfaction, 90 days",
        "reports: satisfaction, a year, team-scoped agent",
        "live check, nothing changed (request)",
        "live check, nothing changed (query)",
        "live check, 20 tickets changed (request)",
        "live check, 40 agents every 5 s",
        "search type-ahead, rare word",
        "search type-ahead, operators status:open is:unassigned",
    ):
        assert page in output
    report = json.loads(next(tmp_path.glob("bench-400-*.json")).read_text())
    results = {r["name"]: r for r in report["results"]}
    counts = next(r for name, r in results.items() if name.startswith("sidebar counts ("))
    views = int(counts["name"].removeprefix("sidebar counts (").split()[0])
    assert views >= 8 and counts["queries"] == 1  # one statement for every view
    assert all(r["p95"] > 0 and r["queries"] > 0 for r in results.values())


def test_the_seeded_search_vectors_are_those_the_app_computes(db, tmp_path):
    """The seed writes the vectors itself (COPY): they hold what
    refresh_search_vectors() would, the associated contacts included."""
    call_command("bench", tickets=50, runs=1, out=str(tmp_path), only="routing")
    report = json.loads(next(tmp_path.glob("bench-50-*.json")).read_text())
    measured = [r["name"] for r in report["results"]]
    assert measured and all(name.startswith("route()") for name in measured)
    tickets = Ticket.objects.order_by("pk")
    seeded = dict(tickets.values_list("pk", "search_vector"))
    assert all(1 <= t.contacts.count() <= 3 for t in tickets)
    assert Ticket.objects.exclude(properties={}).exists()
    refreshed = refresh_search_vectors(seeded)
    for pk, vector in seeded.items():
        assert sorted(vector.split()) == sorted(refreshed[pk].split())


def test_the_end_to_end_ingestion_bench_loses_nothing(transactional_db, pipeline, capsys):
    """gunicorn and a real worker on the test database: every webhook becomes
    one ticket (the command fails otherwise), and the figures are reported."""
    from tests.celery_worker import require_worker_setup

    require_worker_setup()
    call_command("bench_ingest", messages=20, clients=2, rules=10)
    output = capsys.readouterr().out
    assert "messages/s from first post to last ticket" in output
    assert "20 rows done, 20 tickets, 0 not done" in output
    # Issue 17: the worker runs the rules; each holding rule once per event.
    assert "40 events, 40 firings: each of the 1 holding rules once per event" in output
    assert not Ticket.objects.filter(name__startswith="Bench inbound").exists()


def test_the_http_bench_reads_pages_through_gunicorn(transactional_db, tmp_path, capsys):
    """wrk against gunicorn on the test database, signed in: every answer a
    200 (the command fails otherwise) and a rate for each page."""
    call_command("bench", tickets=50, runs=1, out=str(tmp_path), only="routing")
    call_command("bench_http", seconds=1, connections=2)
    output = capsys.readouterr().out
    for page in ("list page (All open, full page)", "table, open tickets oldest first"):
        assert re.search(rf"{re.escape(page)}: [\d.]+ requests/s", output)

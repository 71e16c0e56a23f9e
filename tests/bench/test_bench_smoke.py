"""A tiny run of `make bench`: it seeds, measures every page and reports."""

import json

from django.core.management import call_command

from tickets.models import Ticket


def test_bench_seeds_measures_and_reports(db, tmp_path, capsys):
    call_command("bench", tickets=400, runs=2, out=str(tmp_path))
    assert Ticket.objects.count() == 400
    assert Ticket.objects.filter(is_open=True).exists()
    output = capsys.readouterr().out
    for page in (
        "view all-open",
        "ticket page (full)",
        "sidebar counts",
        "webhook answer",
        "ingestion:",
    ):
        assert page in output
    report = json.loads(next(tmp_path.glob("bench-400-*.json")).read_text())
    results = {r["name"]: r for r in report["results"]}
    assert results["sidebar counts (7 views)"]["queries"] == 7  # one per view
    assert all(r["p95"] > 0 and r["queries"] > 0 for r in results.values())

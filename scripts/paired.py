"""Measure a code change side by side, in one process (issue 22).

On a shared, noisy machine two runs of the same code can differ by more than
the change being measured. Here both variants run in one process and take
turns, request by request (or message by message), so that load, caches and
the machine's mood fall on both alike. The figure to read is the median of
the paired differences.

The change is described by a toggle module: a Python file defining `on()`
and `off()`, which switch the process between the new and the old code
(usually by putting a function back, e.g. `module.function = old_version`):

    # /tmp/toggle.py
    from tickets.templatetags import ticket_lists, workspace
    new = workspace.when_reader
    def on(): ticket_lists.when_reader = new
    def off(): ticket_lists.when_reader = lambda: workspace.when

Then, with the bench's database and settings in the environment (as
`make bench` sets them; `manage.py bench` seeds it):

    .venv/bin/python scripts/paired.py --toggle /tmp/toggle.py \\
        --url "/views/all-open/list/?sort=created_at" --pairs 100
    .venv/bin/python scripts/paired.py --toggle /tmp/toggle.py --ingest 200

A page is requested as the bench's agent through Django's test client; its
HTML is compared between the variants first (tokens and nonces aside), and a
difference is shown. `--ingest N` stores N new emails and N replies to them
the way the bench does (the Mailgun webhook, tasks not queued) and times the
worker's share of each (channels_inbound.ingest.inbound_process); the
tickets are deleted afterwards.
"""

import argparse
import difflib
import os
import re
import runpy
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRETS = re.compile(rb'[A-Za-z0-9]{64}|nonce="[^"]*"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--toggle", required=True, help="a file defining on() and off()")
    parser.add_argument("--url", help="the page to request")
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--ingest", type=int, help="new emails (and as many replies) to time")
    args = parser.parse_args()
    if bool(args.url) == bool(args.ingest):
        parser.error("give --url or --ingest")

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()
    from helpdesk import process

    process.loaded()  # as a web or Celery worker runs
    toggle = runpy.run_path(args.toggle)
    if args.url:
        page(toggle, args.url, args.pairs)
    else:
        ingest(toggle, args.ingest)
    print(f"load average {', '.join(f'{n:.2f}' for n in os.getloadavg())}")


def report(label: str, off: list[float], on: list[float], differences: list[float]) -> None:
    def p95(values):
        return sorted(values)[int(len(values) * 0.95)]

    print(
        f"{label}: off p50 {statistics.median(off):.2f} p95 {p95(off):.2f} ms | "
        f"on p50 {statistics.median(on):.2f} p95 {p95(on):.2f} ms | "
        f"paired median difference {statistics.median(differences):+.2f} ms "
        f"over {len(differences)} pairs"
    )


def page(toggle: dict, url: str, pairs: int) -> None:
    from django.test import Client

    from helpdesk.management.commands.bench import bench_agent

    client = Client(SERVER_NAME="localhost")
    client.force_login(bench_agent())
    bodies = {}
    for variant in ("off", "on", "off", "on"):  # warm both, keep the second body
        toggle[variant]()
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"{url}: HTTP {response.status_code} with the toggle {variant}")
        bodies[variant] = SECRETS.sub(b"*", response.content).decode()
    if bodies["on"] != bodies["off"]:
        print("The HTML differs:")
        lines = difflib.unified_diff(
            bodies["off"].splitlines(), bodies["on"].splitlines(), "off", "on", lineterm=""
        )
        for line in list(lines)[:40]:
            print(f"  {line[:200]}")
    timings: dict[str, list[float]] = {"off": [], "on": []}
    differences = []
    for n in range(pairs):
        taken = {}
        for variant in ("on", "off") if n % 2 else ("off", "on"):
            toggle[variant]()
            started = time.perf_counter()
            client.get(url)
            taken[variant] = (time.perf_counter() - started) * 1000
            timings[variant].append(taken[variant])
        differences.append(taken["on"] - taken["off"])
    report(url, timings["off"], timings["on"], differences)


def ingest(toggle: dict, count: int) -> None:
    from unittest import mock

    from django.test import Client, override_settings
    from django.utils import timezone

    from channels_inbound import tasks
    from channels_inbound.ingest import inbound_process
    from channels_inbound.models import InboundItem
    from helpdesk.management import bench_inbound
    from tickets.models import Ticket
    from workflows import engine

    bench_inbound.bench_channel()
    key, stamp = bench_inbound.SIGNING_KEY, timezone.now().strftime("%H%M%S%f")
    client = Client(SERVER_NAME="localhost")

    def post(kind: str) -> list[int]:
        for n in range(count):
            client.post("/inbound/email/mailgun/", bench_inbound.webhook_post(kind, stamp, n, key))
        rows = InboundItem.objects.filter(event_id__startswith=f"bench-{kind}-{stamp}")
        return list(rows.order_by("id").values_list("pk", flat=True))

    def timed(label: str, ids: list[int]) -> None:
        timings: dict[str, list[float]] = {"off": [], "on": []}
        for n, pk in enumerate(ids):
            variant = "on" if n % 2 else "off"
            toggle[variant]()
            started = time.perf_counter()
            inbound_process(pk)
            if n > 1:  # the first of each pays for what a worker keeps
                timings[variant].append((time.perf_counter() - started) * 1000)
        # Messages, not requests: each variant's median, not paired differences.
        off, on = timings["off"], timings["on"]
        print(
            f"{label}: off p50 {statistics.median(off):.2f} ms | on p50 "
            f"{statistics.median(on):.2f} ms | difference "
            f"{statistics.median(on) - statistics.median(off):+.2f} ms over {len(on)} each"
        )

    settings = override_settings(ANYMAIL={"MAILGUN_WEBHOOK_SIGNING_KEY": key})
    try:
        with settings, mock.patch.object(tasks.process_inbound_item, "delay"):
            new = post("in")
        with mock.patch.object(engine, "enqueue"):
            timed("new email", new)
            with settings, mock.patch.object(tasks.process_inbound_item, "delay"):
                replies = post("re")
            timed("reply", replies)
    finally:
        Ticket.objects.filter(name__startswith=bench_inbound.subject(stamp)).delete()


if __name__ == "__main__":
    main()

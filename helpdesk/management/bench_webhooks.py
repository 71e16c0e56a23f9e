"""The webhooks' lines of `make bench` (issue 18): what a change costs more
when five webhooks listen for it (the delivery rows written in its
transaction), and how many deliveries a worker process posts per second to a
receiver on this machine. Everything runs in a transaction rolled back at
the end: the dataset stays as seeded."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from tickets.models import Ticket
from webhooks import delivery, events, receivers
from webhooks.models import Delivery, EventType, Subscription

SUBSCRIPTIONS = 5


class _Answer(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def measure(runs: int, summary, counter) -> list[dict]:
    ticket = Ticket.objects.filter(is_open=True).select_related("stage", "pipeline").first()
    if ticket is None:
        return []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook"
    results = []
    try:
        with override_settings(HELPDESK_WEBHOOKS_ALLOW_PRIVATE=True), transaction.atomic():
            hooks = Subscription.objects.bulk_create(
                Subscription(name=f"Bench hook {n}", url=url, events=[EventType.TICKET_UPDATED])
                for n in range(SUBSCRIPTIONS)
            )
            events._subscriptions_changed(None)
            events.active_subscriptions()  # read once per process, as in a worker
            queued = []
            with counter() as counted:
                for run in range(max(runs, 20)):
                    started = time.perf_counter()
                    receivers.on_ticket_activity(
                        Ticket,
                        ticket=ticket,
                        kind="properties",
                        at=timezone.now(),
                        previous={"priority": "low" if run % 2 else "high"},
                        actor=None,
                    )
                    queued.append((time.perf_counter() - started) * 1000)
            results.append(
                summary(
                    f"webhooks: an event queued for {SUBSCRIPTIONS} subscriptions (added per change)",
                    queued,
                    counted.count // len(queued),
                    5,
                )
            )
            pending = list(
                Delivery.objects.filter(subscription__in=hooks)
                .order_by("id")
                .values_list("pk", flat=True)
            )
            posted = []
            with counter() as counted:
                began = time.perf_counter()
                for pk in pending:
                    started = time.perf_counter()
                    if delivery.deliver(pk) != "succeeded":
                        raise RuntimeError(f"bench delivery {pk} was not delivered")
                    posted.append((time.perf_counter() - started) * 1000)
                elapsed = time.perf_counter() - began
            rate = len(pending) / elapsed if elapsed else 0
            results.append(
                summary(
                    f"webhooks: delivery to a local receiver, one process ({rate:,.0f}/s)",
                    posted,
                    counted.count // max(len(posted), 1),
                )
            )
            transaction.set_rollback(True)
    finally:
        server.shutdown()
        server.server_close()
        events._subscriptions_changed(None)
    return results

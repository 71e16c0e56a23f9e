"""The peer's email ingestion, in-process (issue 22): django-helpdesk 2.6.1's
helpdesk.email.extract_email_metadata(), the function its mail poller
(process_queue) calls for each raw message of a queue's mailbox: parse, find
the ticket by the subject's [queue-id] tag or In-Reply-To, create the ticket
or the follow-up, send the notifications (kept in memory here: locmem).

    .peer/venv/bin/python scripts/peer/ingest.py [--messages 500]

Feeds --messages new emails (each a new ticket), then as many replies (each
carrying the ticket's tag in its subject and In-Reply-To the first email, so
each becomes a follow-up), and reports emails/s and SQL statements per email
(median), for each kind. What it writes is deleted at the end: the seeded
dataset stays as it was.

Ours: the "ingest one email in the worker" and "ingest one reply in the
worker" lines of `manage.py bench` (its ingestion part: the worker's share,
channels_inbound.ingest.inbound_process, on a stored raw message); the
webhook in front of it and the Celery queue are not counted there either.
"""

import argparse
import logging
import os
import statistics
import sys
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_site.settings")

import django

django.setup()

from django.core import mail  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from peer_site.vocabulary import ours  # noqa: E402

from helpdesk import email as helpdesk_email  # noqa: E402
from helpdesk.models import FollowUp, Queue, Ticket  # noqa: E402

# Our bench's words, as our ingestion bench writes them.
WORDS = ours.WORDS


def new_mail(stamp: str, n: int, queue: Queue) -> str:
    message = EmailMessage()
    message["From"] = f"Customer {n} <customer{n}@bench-customer{n % 50}.example>"
    message["To"] = queue.email_address
    message["Subject"] = f"Bench inbound {stamp} {n}"
    message["Message-ID"] = f"<bench-in-{stamp}-{n}@bench.example>"
    message["Date"] = "Mon, 01 Jan 2024 10:00:00 +0000"
    message.set_content(" ".join(WORDS) + f" {n}")
    return message.as_string()


def reply_mail(stamp: str, n: int, queue: Queue, ticket_id: int) -> str:
    message = EmailMessage()
    message["From"] = f"Customer {n} <customer{n}@bench-customer{n % 50}.example>"
    message["To"] = queue.email_address
    message["Subject"] = f"Re: [{queue.slug}-{ticket_id}] Bench inbound {stamp} {n}"
    message["Message-ID"] = f"<bench-re-{stamp}-{n}@bench.example>"
    message["In-Reply-To"] = f"<bench-in-{stamp}-{n}@bench.example>"
    message["References"] = message["In-Reply-To"]
    message["Date"] = "Mon, 01 Jan 2024 11:00:00 +0000"
    message.set_content(
        "Thanks, here is more detail: " + " ".join(WORDS) + f" {n}\n\n"
        f"On Mon, 1 Jan 2024 Support wrote:\n> We are looking into it.\n"
    )
    return message.as_string()


def feed(raws: list[str], queue: Queue, logger) -> tuple[list[float], list[int], list]:
    timings, counts, tickets = [], [], []
    for raw in raws:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            ticket = helpdesk_email.extract_email_metadata(message=raw, queue=queue, logger=logger)
            timings.append(time.perf_counter() - started)
        counts.append(len(captured))
        tickets.append(ticket)
        if len(mail.outbox) > 1000:
            mail.outbox.clear()
    return timings, counts, tickets


def report(name: str, timings: list[float], counts: list[int]) -> None:
    # The first pays for what a long-running poller has warm (templates...).
    timings, counts = timings[1:] or timings, counts[1:] or counts
    rate = len(timings) / sum(timings)
    ordered = sorted(t * 1000 for t in timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"  {name:28} {rate:7.1f} emails/s   p50 {statistics.median(ordered):6.1f} ms  "
        f"p95 {p95:6.1f} ms   SQL per email: median {statistics.median_low(counts)}, "
        f"max {max(counts)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--queue", default="bench0", help="the queue's slug")
    parser.add_argument("--keep", action="store_true", help="keep what was ingested")
    args = parser.parse_args()
    mail.outbox = []  # the locmem backend's, as a test run has it
    logger = logging.getLogger("peer.ingest")
    logger.setLevel(logging.WARNING)
    queue = Queue.objects.get(slug=args.queue)
    stamp = time.strftime("%H%M%S")
    before = Ticket.objects.count()

    new_timings, new_counts, tickets = feed(
        [new_mail(stamp, n, queue) for n in range(args.messages)], queue, logger
    )
    if any(t is None for t in tickets):
        sys.exit("some new emails made no ticket")
    replies = [reply_mail(stamp, n, queue, t.pk) for n, t in enumerate(tickets)]
    re_timings, re_counts, replied = feed(replies, queue, logger)
    made = {t.pk for t in tickets}
    if {t.pk for t in replied if t} != made:
        sys.exit("some replies did not land on their ticket")
    followups = FollowUp.objects.filter(ticket_id__in=made).count()
    print(
        f"peer ingestion (django-helpdesk 2.6.1, extract_email_metadata in-process), "
        f"{before:,} tickets in the database; load average "
        + ", ".join(f"{n:.2f}" for n in os.getloadavg())
    )
    report("new email -> ticket", new_timings, new_counts)
    report("reply -> follow-up", re_timings, re_counts)
    print(
        f"  {len(made)} tickets, {followups} follow-ups written "
        f"({'kept' if args.keep else 'deleted now'}); notifications rendered: locmem"
    )
    if not args.keep:
        Ticket.objects.filter(pk__in=made).delete()


if __name__ == "__main__":
    main()

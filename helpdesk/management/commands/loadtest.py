"""`make loadtest` (issue 22): the help desk as several machines run it,
under 40 agents and a stream of inbound mail, then checked for what must
never happen under load.

Starts gunicorn (2 workers), 2 Celery workers and beat on PostgreSQL and
Redis, and Locust (loadtest/locustfile.py) with --agents agents (open views
and tickets, reply, comment, change status, search) and --rate messages a
second through the Mailgun webhook, for --duration seconds. SLA goals of two
minutes and a sweep every 5 s make deadlines pass during the run, so both
workers sweep at once. Afterwards it waits for the queues to drain and
checks: p95 per request type, no failed request, every inbound message
stored exactly once, every reply sent exactly once, no SLA deadline
announced twice. Exits non-zero when a check fails.

Run it on a database of its own, seeded with the demo (as `make loadtest`
does): it adds agents and a channel, and shortens the SLA goals.
"""

import csv
import json
import os
import re
import signal
import tempfile
import time
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from accounts.models import Team, User
from channels_inbound.ingest import inbound_process
from channels_inbound.models import EmailChannel, InboundItem
from channels_inbound.store import inbound_store
from conversations.models import EmailAddress, Message, OutboundEmail
from helpdesk.management.commands.bench_ingest import free_port, spawn, wait_until_up
from sla.models import SlaGoal, SlaSettings
from tickets.models import Pipeline, Stage, Ticket, TicketEvent

KEY = "load-signing-key"
PASSWORD = "load-agent-password"
REDIS = os.environ.get("LOADTEST_REDIS_URL", "redis://127.0.0.1:6379/13")
LOCUSTFILE = Path(settings.BASE_DIR, "loadtest", "locustfile.py")
MESSAGE_ID = re.compile(rb"^Message-ID: (<[^>]+>)", re.MULTILINE | re.IGNORECASE)


class Command(BaseCommand):
    help = "Load test: 40 agents and 20 inbound messages/s on 2 web and 2 worker processes."

    def add_arguments(self, parser):
        parser.add_argument("--agents", type=int, default=40)
        parser.add_argument("--rate", type=float, default=20.0, help="inbound messages a second")
        parser.add_argument("--duration", type=int, default=300, help="seconds")
        parser.add_argument("--seed", type=int, default=500, help="tickets before the run")
        parser.add_argument("--out", default="loadtest-results")

    def handle(self, *args, agents, rate, duration, seed, out, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The load test needs PostgreSQL.")
        import redis

        redis.Redis.from_url(REDIS).flushdb()
        stamp = timezone.now().strftime("%H%M%S")
        stages = self.prepare(agents, seed)
        mail_folder = Path(tempfile.mkdtemp(prefix="loadtest-mail-"))
        out_folder = Path(out)
        out_folder.mkdir(parents=True, exist_ok=True)
        port = free_port()
        env = self.environment(mail_folder)
        processes = [
            spawn(
                [
                    *("-m", "gunicorn", "helpdesk.wsgi", f"--bind=127.0.0.1:{port}"),
                    *("--workers=2", "--log-level=warning"),
                ],
                env,
            ),
            *[
                spawn(
                    [
                        *("-m", "celery", "-A", "helpdesk", "worker", f"--hostname=load{n}@%h"),
                        *("--concurrency=1", "--loglevel=warning"),
                        *("--without-gossip", "--without-mingle"),
                    ],
                    env,
                )
                for n in (1, 2)
            ],
            spawn(
                [
                    *("-m", "celery", "-A", "helpdesk", "beat", "--loglevel=warning"),
                    f"--schedule={mail_folder / 'beat-schedule'}",
                ],
                env,
            ),
        ]
        started = timezone.now()
        try:
            wait_until_up(f"http://127.0.0.1:{port}/inbound/email/mailgun/")
            prefix = out_folder / f"locust-{stamp}"
            locust = spawn(
                [
                    *("-m", "locust", "-f", str(LOCUSTFILE), "--headless"),
                    *(f"--users={agents + 2}", "--spawn-rate=10", f"--run-time={duration}s"),
                    *(f"--host=http://127.0.0.1:{port}", f"--csv={prefix}", "--only-summary"),
                    *("--stop-timeout=10", "--loglevel=WARNING"),
                ],
                {
                    **env,
                    "LOAD_AGENTS": str(agents),
                    "LOAD_INBOUND_USERS": "2",
                    "LOAD_RATE": str(rate),
                    "LOAD_PASSWORD": PASSWORD,
                    "LOAD_SIGNING_KEY": KEY,
                    "LOAD_STAMP": stamp,
                    "LOAD_SEEDED": str(seed),
                    "LOAD_STAGES": ",".join(map(str, stages)),
                },
            )
            locust.wait(timeout=duration + 120)
            drained = self.drain(stamp, started)
        finally:
            for process in processes:
                os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                process.wait(timeout=60)
        report = self.verify(stamp, prefix, mail_folder, started, drained)
        path = out_folder / f"loadtest-{stamp}.json"
        report["load_average"] = os.getloadavg()
        path.write_text(json.dumps(report, indent=2))
        self.print_report(report, agents, rate, duration)
        self.stdout.write(f"\nWritten to {path}")
        if report["problems"]:
            raise CommandError("; ".join(report["problems"]))

    # Setting up -------------------------------------------------------------

    def prepare(self, agents: int, seed: int) -> list[int]:
        """Agents, a channel, SLA goals short enough to pass during the run,
        and `seed` tickets to work on, each started by a customer's email.
        Returns the open statuses agents move tickets between."""
        team, _created = Team.objects.get_or_create(name="Load team")
        password = make_password(PASSWORD)
        for n in range(agents):
            User.objects.update_or_create(
                username=f"load-agent-{n}",
                defaults={
                    "password": password,
                    "role": User.Role.AGENT,
                    "visibility": User.Visibility.ALL,
                    "main_team": team,
                    "first_name": f"Agent {n}",
                },
            )
        address, _created = EmailAddress.objects.get_or_create(email="support@load.example")
        pipeline = Pipeline.objects.order_by("position", "id").first()
        open_stages = [
            s
            for s in Stage.objects.filter(pipeline=pipeline, is_closed=False).order_by("position")
            if not s.required_properties
        ]
        EmailChannel.objects.update_or_create(
            address=address, defaults={"pipeline": pipeline, "stage": open_stages[0], "team": team}
        )
        SlaSettings.objects.update_or_create(
            pk=1, defaults={"enabled": True, "mode": SlaSettings.Mode.ALWAYS}
        )
        if not SlaGoal.objects.exists():
            SlaGoal.objects.create(
                first_response_minutes=2,
                next_response_minutes=2,
                close_minutes=60,
                due_soon_minutes=1,
            )
        seeded = Ticket.objects.filter(name__startswith="Load ticket ").count()
        # Seeded here, in this process: what it would send stays in memory.
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        for n in range(seeded, seed):
            item, _created = inbound_store(
                source=InboundItem.Source.PIPE, payload=self.seed_mail(n)
            )
            inbound_process(item.pk)
        return [s.pk for s in open_stages]

    def seed_mail(self, n: int) -> bytes:
        return (
            f"From: Customer {n} <seed{n}@load-customer{n % 50}.example>\r\n"
            f"To: support@load.example\r\nSubject: Load ticket {n}\r\n"
            f"Message-ID: <load-seed-{n}@load.example>\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n"
            f"Our invoice export fails since the upgrade; the printer report too. ({n})\r\n"
        ).encode()

    def environment(self, mail_folder: Path) -> dict:
        db = connection.settings_dict
        return {
            **os.environ,
            "DATABASE_URL": (
                f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}"
                f"/{db['NAME']}"
            ),
            "REDIS_URL": REDIS,
            "MAILGUN_WEBHOOK_SIGNING_KEY": KEY,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_folder),
            "SLA_SWEEP_SECONDS": "5",
            "DEBUG": "false",
            "SECURE": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECRET_KEY": settings.SECRET_KEY,
        }

    # Checking ---------------------------------------------------------------

    def drain(self, stamp: str, since) -> float:
        """Seconds until the workers finished the inbound rows and the
        outbox of the run after the last request (at most 5 minutes)."""
        started = time.monotonic()
        rows = InboundItem.objects.filter(event_id__startswith=f"load-{stamp}-")
        unsent = OutboundEmail.objects.filter(
            status__in=["pending", "sending"], message__created_at__gte=since
        )
        while rows.filter(status=InboundItem.Status.PENDING).exists() or unsent.exists():
            if time.monotonic() - started > 300:
                break
            time.sleep(0.5)
        return time.monotonic() - started

    def verify(self, stamp: str, prefix: Path, mail_folder: Path, started, drained: float) -> dict:
        problems = []
        requests = {}
        with open(f"{prefix}_stats.csv", newline="") as stats:
            for row in csv.DictReader(stats):
                requests[row["Name"]] = {
                    "count": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "p50": float(row["50%"] or 0),
                    "p95": float(row["95%"] or 0),
                    "rps": float(row["Requests/s"] or 0),
                }
        failed = sum(r["failures"] for name, r in requests.items() if name != "Aggregated")
        if failed:
            problems.append(f"{failed} requests failed (see {prefix}_failures.csv)")

        posted = requests.get("webhook (Mailgun)", {"count": 0, "failures": 0})
        accepted = posted["count"] - posted["failures"]
        # Locust records a request when its answer arrives: one in flight when
        # the run stops may be stored without being counted, never the reverse.
        rows = InboundItem.objects.filter(event_id__startswith=f"load-{stamp}-")
        by_status = dict(rows.values_list("status").annotate(n=Count("id")))
        total = rows.count()
        messages = Message.objects.filter(message_id__startswith=f"<load-{stamp}-")
        stored = messages.count()
        distinct = messages.values("message_id").distinct().count()
        if total < accepted or by_status.get(InboundItem.Status.DONE, 0) != total:
            problems.append(f"{accepted} webhooks accepted, inbound rows {by_status}")
        if stored != total or distinct != stored:
            problems.append(f"{total} inbound rows, {stored} messages stored ({distinct} distinct)")

        replies = Message.objects.filter(
            direction=Message.Direction.OUTBOUND, kind=Message.Kind.MESSAGE, created_at__gte=started
        )
        outbox = dict(
            OutboundEmail.objects.filter(message__in=replies)
            .values_list("status")
            .annotate(n=Count("id"))
        )
        sent_ids = Counter()
        for path in mail_folder.glob("*.log"):
            sent_ids.update(MESSAGE_ID.findall(path.read_bytes()))
        reply_ids = set(replies.values_list("message_id", flat=True))
        copies = Counter(sent_ids[m.encode()] for m in reply_ids)
        if set(copies) - {1}:
            problems.append(f"replies by copies sent: {dict(copies)}")

        announced = TicketEvent.objects.filter(kind=TicketEvent.Kind.SLA, created_at__gte=started)
        doubled = (
            announced.values("ticket", "field", "new_value").annotate(n=Count("id")).filter(n__gt=1)
        )
        if doubled.exists():
            problems.append(f"{doubled.count()} SLA deadlines announced more than once")
        return {
            "requests": requests,
            "inbound": {"accepted": accepted, "rows": by_status, "messages": stored},
            "replies": {"written": len(reply_ids), "outbox": outbox, "copies": dict(copies)},
            "sla_announcements": announced.count(),
            "drained_after_seconds": round(drained, 1),
            "problems": problems,
        }

    def print_report(self, report: dict, agents: int, rate: float, duration: int):
        self.stdout.write(
            f"\nload test: {agents} agents, {rate:g} inbound messages/s, {duration} s; "
            "gunicorn 2 workers, 2 Celery workers + beat"
        )
        self.stdout.write(
            f"  {'request':<26}{'count':>8}{'fail':>6}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>8}"
        )
        for name, r in report["requests"].items():
            self.stdout.write(
                f"  {name:<26}{r['count']:>8}{r['failures']:>6}{r['p50']:>9.0f}{r['p95']:>9.0f}"
                f"{r['rps']:>8.1f}"
            )
        inbound, replies = report["inbound"], report["replies"]
        self.stdout.write(
            f"  inbound: {inbound['accepted']} accepted, rows {inbound['rows']}, "
            f"{inbound['messages']} messages stored\n"
            f"  replies: {replies['written']} written, outbox {replies['outbox']}, "
            f"sent copies per reply {replies['copies']}\n"
            f"  SLA deadlines announced: {report['sla_announcements']} (none twice: "
            f"{'yes' if not any('SLA' in p for p in report['problems']) else 'NO'})\n"
            f"  queues drained {report['drained_after_seconds']} s after the last request\n"
            f"  load average {report['load_average'][0]:.2f}"
        )
        self.stdout.write("  checks: " + ("all passed" if not report["problems"] else "FAILED"))

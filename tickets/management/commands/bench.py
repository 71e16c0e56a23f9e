"""Seed a large dataset fast and measure the workspace's server time and queries.

    manage.py bench --tickets 1000000

Seeding uses COPY on PostgreSQL (bulk inserts elsewhere) and happens only when
the database does not already hold exactly the bench dataset of that size.
Every page is requested in-process through Django's test client by a signed-in
agent; the report gives p50/p95 milliseconds and the number of SQL queries.
The bench owns its database: run it against a separate one (the Makefile's
`bench` target uses helpdesk_bench).
"""

import datetime
import json
import random
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team, User
from crm.models import Company, Contact
from tickets import queries
from tickets.models import Pipeline, Priority, Stage, Ticket

OPEN_SHARE = 0.08  # a help desk closes most of what it gets: ~8 % of all tickets open
WORDS = (
    "invoice login password refund export crash sync webhook delivery account billing "
    "결제 배송 로그인 發票 登入 匯出 Rechnung Passwort Lieferung lasku kirjautuminen "
    "faktura logowanie zamówienie"
).split()


class Command(BaseCommand):
    help = "Seed --tickets N tickets (COPY) and report p50/p95 server time and queries."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=100_000)
        parser.add_argument("--runs", type=int, default=40)
        parser.add_argument("--out", default="bench-results")

    def handle(self, *args, tickets, runs, out, **options):
        if (
            "test" not in connection.settings_dict["NAME"]
            and Ticket.objects.filter(name__startswith="Bench").count() != Ticket.objects.count()
        ):
            raise CommandError("This database holds non-bench tickets: use a separate database.")
        if Ticket.objects.count() != tickets:
            started = time.perf_counter()
            self.seed(tickets)
            self.stdout.write(
                f"Seeded {tickets:,} tickets in {time.perf_counter() - started:.1f} s"
            )
        results = self.measure(runs)
        self.report(results, tickets, out)

    # Seeding ---------------------------------------------------------------

    def seed(self, count: int):
        rng = random.Random(7)
        with transaction.atomic():
            from channels_inbound.models import EmailChannel

            EmailChannel.objects.all().delete()  # it protects its pipeline
            for model in (Ticket.contacts.through, Ticket.companies.through, Ticket.deals.through):
                model.objects.all().delete()
            Ticket.objects.all().delete()
            Contact.objects.all().delete()
            Company.objects.all().delete()
            Stage.objects.all().delete()
            Pipeline.objects.all().delete()
            User.objects.filter(username__startswith="bench").delete()
            Team.objects.filter(name__startswith="Bench").delete()

            teams = [Team.objects.create(name=f"Bench team {i}") for i in range(6)]
            agents = []
            for i in range(40):
                agents.append(
                    User.objects.create(
                        username=f"bench{i}",
                        first_name="Agent",
                        last_name=str(i),
                        main_team=teams[i % len(teams)],
                    )
                )
            User.objects.create(
                username="bench-team", main_team=teams[0], visibility=User.Visibility.TEAMS
            )
            pipeline = Pipeline.objects.create(name="Bench support")
            stages = [
                Stage.objects.create(pipeline=pipeline, name=name, position=i, is_closed=closed)
                for i, (name, closed) in enumerate(
                    [
                        ("New", False),
                        ("Waiting on contact", False),
                        ("Waiting on us", False),
                        ("Closed", True),
                    ]
                )
            ]
            companies = Company.objects.bulk_create(
                Company(name=f"Bench company {i}", domain=f"bench{i}.example")
                for i in range(max(10, count // 200))
            )
            contacts = Contact.objects.bulk_create(
                (
                    Contact(
                        first_name=f"Customer{i}",
                        last_name=rng.choice(WORDS),
                        email=f"customer{i}@bench{i % len(companies)}.example",
                        phone=f"+1 555 {i:07d}",
                        company=companies[i % len(companies)],
                    )
                    for i in range(max(10, count // 10))
                ),
                batch_size=5000,
            )
        now = timezone.now()
        span = 3 * 365 * 24 * 3600

        def rows():
            for i in range(count):
                is_open = rng.random() < OPEN_SHARE
                # Open tickets are recent; closed ones spread over three years.
                age = rng.random() * (14 * 24 * 3600 if is_open else span)
                created = now - datetime.timedelta(seconds=age)
                activity = created + datetime.timedelta(seconds=rng.random() * min(age, 86400))
                stage = rng.choice(stages[:3]) if is_open else stages[3]
                owner = rng.choice(agents) if (not is_open or rng.random() < 0.7) else None
                team = owner.main_team_id if owner else rng.choice(teams).pk
                contact = contacts[rng.randrange(len(contacts))]
                words = " ".join(rng.choices(WORDS, k=6))
                yield (
                    f"Bench {i} {words[:40]}",
                    words,
                    pipeline.pk,
                    stage.pk,
                    owner.pk if owner else None,
                    team,
                    rng.choice(Priority.values),
                    "",
                    "email",
                    "{}",
                    created,
                    activity,
                    None if is_open else activity,
                    None,
                    rng.random() < 0.002,
                    is_open,
                    activity,
                    f"{contact.first_name} {contact.last_name}",
                    words[:200],
                )

        columns = (
            "name, description, pipeline_id, stage_id, owner_id, team_id, priority, category, "
            "source, properties, created_at, updated_at, closed_at, deleted_at, is_spam, is_open, "
            "last_activity_at, contact_name, preview"
        )
        table = Ticket._meta.db_table
        if connection.vendor == "postgresql":
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows():
                    copy.write_row(row)
            with connection.cursor() as cursor:
                # VACUUM sets the visibility map that index-only counts rely on;
                # it cannot run inside a transaction (the test smoke run is in one).
                vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
                cursor.execute(f"{vacuum} {table}")
        else:
            names = [c.strip() for c in columns.split(",")]
            Ticket.objects.bulk_create(
                (Ticket(**dict(zip(names, row, strict=True))) for row in rows()), batch_size=2000
            )

    # Measuring ---------------------------------------------------------------

    def measure(self, runs: int) -> list[dict]:
        agent = User.objects.get(username="bench0")
        team_agent = User.objects.get(username="bench-team")
        ticket = Ticket.objects.filter(owner=agent, is_open=True).order_by("-id").first()
        long_thread = self.long_thread(agent)
        deep = (
            Ticket.objects.open()
            .alive()
            .order_by("-last_activity_at", "-id")
            .values_list("last_activity_at", "id")[50_000 - 1 : 50_000]
        )
        deep_cursor = queries.encode_cursor(*deep[0]) if deep else None
        client = Client(SERVER_NAME="localhost")
        client.force_login(agent)
        team_client = Client(SERVER_NAME="localhost")
        team_client.force_login(team_agent)
        pane = {"HX-Request": "true", "HX-Target": "workspace"}
        detail = reverse("tickets:ticket_detail", args=["mine", ticket.pk]) if ticket else None

        cases = [
            (
                f"view {v.slug} (list + counts, htmx)",
                client,
                reverse("tickets:view_tickets", args=[v.slug]),
                {},
                pane,
            )
            for v in queries.DEFAULT_VIEWS
        ]
        cases.append(
            (
                "view all-open, team-scoped agent",
                team_client,
                reverse("tickets:view_tickets", args=["all-open"]),
                {},
                pane,
            )
        )
        if deep_cursor:
            cases.append(
                (
                    "all-open 1000 pages deep (keyset)",
                    client,
                    reverse("tickets:view_tickets", args=["all-open"]),
                    {"after": deep_cursor},
                    {"HX-Request": "true"},
                )
            )
        if long_thread:
            url = reverse("tickets:ticket_detail", args=["all-open", long_thread.pk])
            cases.append(
                (
                    "ticket pane, 200-message thread",
                    client,
                    url,
                    {},
                    {"HX-Request": "true", "HX-Target": "detail-pane"},
                )
            )
            cases.append(("ticket page (full), 200-message thread", client, url, {}, {}))
        if detail:
            cases.append(("ticket page (full)", client, detail, {}, {}))
            cases.append(
                (
                    "ticket pane (htmx)",
                    client,
                    detail,
                    {},
                    {"HX-Request": "true", "HX-Target": "detail-pane"},
                )
            )
        results = []
        for name, who, url, params, headers in cases:
            results.append(self.time_request(name, who, url, params, headers, runs))
        results.append(self.time_counts(agent, runs))
        results += self.time_ingestion(runs * 5)
        results.append(self.time_sla_sweep(min(1000, max(10, Ticket.objects.count() // 1000))))
        return results

    def time_sla_sweep(self, due: int) -> dict:
        """One SLA sweep when `due` open tickets have just passed a deadline,
        among all the others (issue 7: <= 1 s for 1,000 at 1,000,000)."""
        from conversations.models import Notification
        from sla import clocks
        from tickets.models import TicketEvent

        now = clocks.database_now()
        ids = list(
            Ticket.objects.filter(is_open=True, owner__isnull=False)
            .order_by("-id")
            .values_list("pk", flat=True)[:due]
        )
        Ticket.objects.filter(pk__in=ids).update(
            sla_first_response_due=now - datetime.timedelta(seconds=1),
            sla_next_check_at=now - datetime.timedelta(seconds=1),
            sla_due_soon_minutes=15,
            sla_notified=0,
        )
        with QueryCounter() as counted:
            started = time.perf_counter()
            announced = clocks.sweep()
            elapsed = (time.perf_counter() - started) * 1000
        if announced != len(ids):
            raise CommandError(f"SLA sweep announced {announced} of {len(ids)}")
        # Leave the dataset as seeded.
        Ticket.objects.filter(pk__in=ids).update(
            sla_first_response_due=None, sla_next_check_at=None, sla_notified=0
        )
        Notification.objects.filter(ticket_id__in=ids, kind="sla_overdue").delete()
        TicketEvent.objects.filter(ticket_id__in=ids, kind="sla").delete()
        return summary(f"SLA sweep, {len(ids)} tickets overdue", [elapsed], counted.count)

    def long_thread(self, agent):
        """A ticket with a 200-message thread (customer, agent and comments)."""
        from conversations.models import Channel, Message, Thread
        from conversations.services import help_desk_inbox

        ticket = Ticket.objects.filter(is_open=True, owner=agent).order_by("id").first()
        if ticket is None:
            return None
        if Message.objects.filter(ticket=ticket).count() >= 200:
            return ticket
        thread = Thread.objects.create(
            ticket=ticket, inbox=help_desk_inbox(), channel=Channel.EMAIL
        )
        words = " ".join(WORDS)
        Message.objects.bulk_create(
            Message(
                thread=thread,
                ticket=ticket,
                kind="comment" if i % 7 == 6 else "message",
                direction="inbound" if i % 2 == 0 else "outbound",
                author=None if i % 2 == 0 else agent,
                from_name="Customer" if i % 2 == 0 else agent.display_name,
                from_email="customer@bench.example",
                to=["support@bench.example"],
                subject="Long thread",
                html=f"<p>Message {i}: {words}</p>" * 3,
                text=f"Message {i}: {words}",
                message_id=f"<bench-{ticket.pk}-{i}@bench.example>",
            )
            for i in range(200)
        )
        return ticket

    def time_request(self, name, client, url, params, headers, runs):
        client.get(url, params, headers=headers)  # warm up
        with QueryCounter() as counted:
            response = client.get(url, params, headers=headers)
        if response.status_code != 200:
            raise CommandError(f"{name}: HTTP {response.status_code}")
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            client.get(url, params, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
        return summary(name, timings, counted.count)

    def time_counts(self, user, runs):
        queries.view_counts_for_sidebar(user)
        with CaptureQueriesContext(connection) as captured:
            queries.view_counts_for_sidebar(user)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            queries.view_counts_for_sidebar(user)
            timings.append((time.perf_counter() - started) * 1000)
        views = len(queries.views_for_user(user))
        return summary(f"sidebar counts ({views} views)", timings, len(captured))

    def time_ingestion(self, count):
        """Inbound email: the webhook's answer (raw stored, task queued) and the
        worker's share per message (parse, thread, create the ticket)."""
        import hashlib
        import hmac
        from email.message import EmailMessage
        from unittest import mock

        from django.test import override_settings

        from channels_inbound import tasks
        from channels_inbound.ingest import inbound_process
        from channels_inbound.models import EmailChannel, InboundItem
        from conversations.models import EmailAddress

        address, _created = EmailAddress.objects.get_or_create(email="support@bench.example")
        pipeline = Pipeline.objects.order_by("position", "id").first()
        EmailChannel.objects.get_or_create(
            address=address,
            defaults={
                "pipeline": pipeline,
                "stage": pipeline.stages.filter(is_closed=False).first(),
            },
        )
        key, stamp = "bench-signing-key", timezone.now().strftime("%H%M%S%f")
        client = Client(SERVER_NAME="localhost")
        acks, ids = [], []
        with (
            override_settings(ANYMAIL={"MAILGUN_WEBHOOK_SIGNING_KEY": key}),
            mock.patch.object(tasks.process_inbound_item, "delay"),
        ):
            for n in range(count):
                message = EmailMessage()
                message["From"] = f"Customer {n} <customer{n}@bench-customer{n % 50}.example>"
                message["To"] = "support@bench.example"
                message["Subject"] = f"Bench inbound {stamp} {n}"
                message["Message-ID"] = f"<bench-in-{stamp}-{n}@bench.example>"
                message.set_content(" ".join(WORDS) + f" {n}")
                token, now = f"bench-{stamp}-{n}", str(int(time.time()))
                signature = hmac.new(key.encode(), f"{now}{token}".encode(), hashlib.sha256)
                data = {
                    "body-mime": message.as_string(),
                    "token": token,
                    "timestamp": now,
                    "signature": signature.hexdigest(),
                }
                with QueryCounter() as posted:
                    started = time.perf_counter()
                    response = client.post("/inbound/email/mailgun/", data)
                    acks.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise CommandError(f"webhook: HTTP {response.status_code}")
            ids = list(
                InboundItem.objects.filter(status="pending", event_id__startswith=f"bench-{stamp}")
                .order_by("id")
                .values_list("pk", flat=True)
            )
        work = []
        with QueryCounter() as counted:
            inbound_process(ids[0])
        for pk in ids[1:]:
            started = time.perf_counter()
            inbound_process(pk)
            work.append((time.perf_counter() - started) * 1000)
        # Leave the dataset as seeded, so the next run does not seed again.
        Ticket.objects.filter(name__startswith=f"Bench inbound {stamp}").delete()
        return [
            summary("webhook answer (raw stored, task queued)", acks, posted.count),
            summary("ingest one email in the worker", work, counted.count),
        ]

    def report(self, results, tickets, out):
        self.stdout.write(
            f"\n{tickets:,} tickets on {connection.vendor}; "
            f"p50/p95 in ms over {len(results[0]['timings'])} runs\n"
        )
        self.stdout.write(f"{'page':44} {'p50':>8} {'p95':>8} {'queries':>8}")
        for r in results:
            self.stdout.write(f"{r['name']:44} {r['p50']:8.1f} {r['p95']:8.1f} {r['queries']:8d}")
        worker = next((r for r in results if r["name"] == "ingest one email in the worker"), None)
        if worker:
            rate = 1000 / statistics.mean(worker["timings"])
            self.stdout.write(
                f"ingestion: {rate:.0f} emails/s per worker process "
                f"(the worker runs one process per core)"
            )
        path = Path(settings.BASE_DIR, out)
        path.mkdir(exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        data = {"tickets": tickets, "vendor": connection.vendor, "results": results}
        (path / f"bench-{tickets}-{stamp}.json").write_text(json.dumps(data, indent=2))


class QueryCounter:
    """Counts the SQL statements run inside it (the test client resets the debug log
    at every request, so CaptureQueriesContext would see none)."""

    def __enter__(self):
        self.count = 0
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)


def summary(name: str, timings: list[float], query_count: int) -> dict:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "name": name,
        "p50": statistics.median(ordered),
        "p95": p95,
        "queries": query_count,
        "timings": timings,
    }

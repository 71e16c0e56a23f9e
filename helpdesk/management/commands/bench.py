"""Seed a large dataset fast and measure the workspace's server time and queries.

    manage.py bench --tickets 1000000

Seeding uses COPY on PostgreSQL (bulk inserts elsewhere) and happens only when
the database does not already hold exactly the bench dataset of that size:
the tickets, three times as many contacts (1 to 3 on each ticket), custom
properties, and each ticket's search vector written in the COPY itself.
Every page is requested in-process through Django's test client by a signed-in
agent; the report gives p50/p95 milliseconds and the number of SQL queries, and
marks the pages that have a target (the ticket table's) ok or MISS.
The bench owns its database: run it against a separate one (the Makefile's
`bench` target uses helpdesk_bench).
"""

import datetime
import itertools
import json
import os
import random
import re
import statistics
import time
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Max, Min
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from psycopg.types.json import JsonbDumper

from accounts.models import Team, User, person_name
from crm.models import Company, Contact
from helpdesk import process
from helpdesk.management import (
    bench_api,
    bench_db,
    bench_imports,
    bench_knowledge,
    bench_live,
    bench_portal,
    bench_reports,
    bench_rules,
    bench_webhooks,
)
from helpdesk.management.bench_words import (
    KOREAN_RARE_SHARE,
    KOREAN_SYLLABLES,
    OPEN_SHARE,
    RARE_SYLLABLES,
    WORDS,
    rare_word,
)
from tickets import filters, queries, search
from tickets.models import (
    Pipeline,
    Priority,
    PropertyDefinition,
    SavedView,
    Stage,
    Tag,
    Ticket,
    TicketEvent,
    TicketTag,
)

# Any page of the table sweep (time_table_sweep), in ms: the table's own
# targets for a filter (100-300 ms at a million tickets).
SWEEP_TARGET = 300
CONTACTS_PER_TICKET = 3  # contacts in the CRM per ticket; a ticket has 1 to 3 of them
TICKET_CONTACTS = ((1, 2, 3), (6, 3, 1))  # how many a ticket has, and how often: ~1.5
# Custom properties (PropertyDefinition) in Ticket.properties, set on most tickets.
PLANS = (("free", "pro", "enterprise"), (55, 30, 15))
PROPERTIES_SHARE = 0.9


@dataclass(frozen=True)
class Region:
    """Where a contact comes from: its names ("native:ascii" where the email
    address cannot be made by dropping diacritics) and phone formats (# a digit)."""

    weight: int
    first_names: str
    last_names: str
    phone: str
    mobile: str

    def names(self, which: str) -> list[tuple[str, str]]:
        pairs = []
        for entry in getattr(self, which).split():
            name, _colon, ascii_name = entry.partition(":")
            pairs.append((name, re.sub(r"[^a-z]", "", ascii_name or search.fold(name))))
        return pairs


REGIONS = (
    Region(
        40,
        "Emma Liam Olivia Noah Ava James Sophia Lucas Grace Henry",
        "Wilson Smith Johnson Brown García O'Neil Taylor Clarke",
        "+1 (###) ###-####",
        "###.###.####",
    ),
    Region(
        15,
        "민준:minjun 서연:seoyeon 지호:jiho 하은:haeun 도윤:doyun 수아:sua",
        "김:kim 이:lee 박:park 최:choi 정:jung 강:kang",
        "+82 2-###-####",
        "010-####-####",
    ),
    Region(
        15,
        "慧玲:huiling 志明:zhiming 怡君:yijun 俊傑:junjie 淑芬:shufen 家豪:jiahao",
        "陳:chen 林:lin 黃:huang 張:chang 李:lee 王:wang",
        "(02) ####-####",
        "+886 9## ### ###",
    ),
    Region(
        10,
        "Łukasz Małgorzata Wojciech Zofia Paweł Agnieszka",
        "Kowalski Wiśniewska Wójcik Kamińska Zieliński Szymańska",
        "+48 22 ### ## ##",
        "+48 ### ### ###",
    ),
    Region(
        10,
        "Jürgen Björn Anke Jörg Käthe Lukas",
        "Müller Schäfer Groß Weiß Köhler Schröder",
        "+49 30 ########",
        "0171 #######",
    ),
    Region(
        10,
        "Päivi Jyrki Aino Väinö Eetu Sinikka",
        "Mäkinen Virtanen Häkkinen Järvinen Korhonen Nieminen",
        "09 ### ####",
        "+358 40 ### ####",
    ),
)
REGION_WEIGHTS = list(itertools.accumulate(r.weight for r in REGIONS))
NAMES = [(r.names("first_names"), r.names("last_names")) for r in REGIONS]
# The 40 agents' first names, one each (the table sorts owners by first name).
AGENT_NAMES = [name for first_names, _last in NAMES for name, _ascii in first_names]


CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "mobile")


def contact(index: int, companies: list) -> dict:
    """Seeded contact number `index`, the same at every call: a ticket recomputes
    its contacts' lexemes instead of the seed holding millions of contacts."""
    rng = random.Random(index)
    region = rng.choices(range(len(REGIONS)), cum_weights=REGION_WEIGHTS)[0]
    first_names, last_names = NAMES[region]
    (first, first_ascii), (last, last_ascii) = rng.choice(first_names), rng.choice(last_names)
    company = companies[rng.randrange(len(companies))]
    local = rng.choice(
        (f"{first_ascii}.{last_ascii}.{index}", f"{first_ascii[0]}{last_ascii}{index}")
        + (f"customer{index}",) * 2
    )
    return {
        "index": index,
        "first_name": first,
        "last_name": last,
        "email": f"{local}@{company.domain}",
        "phone": phone_number(REGIONS[region].phone, rng) if rng.random() < 0.7 else "",
        "mobile": phone_number(REGIONS[region].mobile, rng) if rng.random() < 0.4 else "",
        "company": company,
    }


def phone_number(template: str, rng: random.Random) -> str:
    digits = iter(f"{rng.randrange(10**12):012d}")
    return "".join(next(digits) if c == "#" else c for c in template)


def ticket_properties(rng: random.Random) -> dict:
    """Plan and seats on most tickets; a few emptied ("" is empty), a few without."""
    chance = rng.random()
    if chance < PROPERTIES_SHARE:
        plan = rng.choices(*PLANS)[0]
        return {"plan": plan, "seats": str(int(2 ** rng.uniform(0, 9)))}
    return {"plan": "", "seats": ""} if chance < (1 + PROPERTIES_SHARE) / 2 else {}


# The reply token of a seeded thread starts with this (then the ticket's id).
SEEDED_THREAD = "seed"


def load(model, columns: tuple[str, ...], rows) -> None:
    """Insert `rows` (tuples in `columns` order): COPY on PostgreSQL, whose text
    format also takes the tsvector literals; bulk inserts elsewhere."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.adapters.register_dumper(dict, JsonbDumper)
            sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
            with cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        model.objects.bulk_create(
            (model(**dict(zip(columns, row, strict=True))) for row in rows), batch_size=2000
        )


def first_id(model, count: int) -> int:
    """The id of the first of the `count` rows just loaded into an emptied table,
    which the database numbered one after another."""
    first, last = model.objects.aggregate(Min("pk"), Max("pk")).values()
    if last - first + 1 != count:
        raise CommandError(f"{model.__name__}: ids {first}..{last} for {count:,} rows")
    return first


class Command(BaseCommand):
    help = "Seed --tickets N tickets (COPY) and report p50/p95 server time and queries."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=100_000)
        parser.add_argument("--runs", type=int, default=40)
        parser.add_argument("--out", default="bench-results")
        parser.add_argument(
            "--only",
            default="",
            help="Comma-separated: measure only these parts (pages, counts, macros, edits, "
            "ingestion, rules, sla, routing, webhooks, knowledge, api, portal, imports, "
            "reports, live) and the pages whose names hold one of the words.",
        )

    def handle(self, *args, tickets, runs, out, only, **options):
        self.only = [word.strip() for word in only.split(",") if word.strip()]
        if (
            "test" not in connection.settings_dict["NAME"]
            and Ticket.objects.filter(name__startswith="Bench").count() != Ticket.objects.count()
        ):
            raise CommandError("This database holds non-bench tickets: use a separate database.")
        seeding = None
        if self.needs_seed(tickets):
            started = time.perf_counter()
            self.seed(tickets)
            seeding = time.perf_counter() - started
            self.stdout.write(
                f"Seeded {tickets:,} tickets and {CONTACTS_PER_TICKET * tickets:,} contacts "
                f"in {seeding:.1f} s"
            )
        self.seed_history()
        self.settled = bench_db.settle()
        process.loaded()  # as a web worker is when it serves (helpdesk/wsgi.py)
        before = yardstick()
        results = self.measure(runs)
        self.yardsticks = (before, yardstick())
        self.report(results, tickets, out, seeding)

    # Seeding ---------------------------------------------------------------

    def needs_seed(self, count: int) -> bool:
        """Whether the database lacks the current dataset of this size: as many
        tickets, three seeded contacts per ticket (those of the bench companies:
        ingestion adds contacts of its own) and search vectors (a database seeded
        before they existed has none; one row tells)."""
        if Ticket.objects.count() != count:
            return True
        seeded = Contact.objects.filter(company__name__startswith="Bench company").count()
        if seeded != CONTACTS_PER_TICKET * count:
            return True
        first = Ticket.objects.order_by("pk").values_list("search_vector", flat=True).first()
        return not first

    def seed(self, count: int):
        rng = random.Random(7)
        with transaction.atomic():
            self.clear()
            teams = [Team.objects.create(name=f"Bench team {i}") for i in range(6)]
            agents = []
            for i in range(40):
                agents.append(
                    User.objects.create(
                        username=f"bench{i}",
                        first_name=AGENT_NAMES[i % len(AGENT_NAMES)],
                        last_name=f"Agent {i}",
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
            PropertyDefinition.objects.create(
                key="plan", label="Plan", type="choice", choices=list(PLANS[0])
            )
            PropertyDefinition.objects.create(key="seats", label="Seats", type="number")
            companies = Company.objects.bulk_create(
                Company(name=f"Bench company {i}", domain=f"bench{i}.example")
                for i in range(max(10, count // 200))
            )
        now = timezone.now()
        contact_count = CONTACTS_PER_TICKET * count
        load(
            Contact,
            ("first_name", "last_name", "email", "phone", "mobile", "company_id", "created_at"),
            (
                (*(c[f] for f in CONTACT_FIELDS), c["company"].pk, now)
                for c in (contact(i, companies) for i in range(contact_count))
            ),
        )
        first_contact = first_id(Contact, contact_count)
        span = 3 * 365 * 24 * 3600
        rare_vocabulary = max(10, count // 5)
        # (ticket, contact) by position in the seed; their ids are known after COPY.
        linked_tickets, linked_contacts = array("l"), array("l")

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
                words = " ".join(rng.choices(WORDS, k=6))
                name = f"Bench {i} {words[:40]}"
                common = rng.choices(WORDS, k=8)
                number = rng.randrange(rare_vocabulary)
                korean = rng.random() < KOREAN_RARE_SHARE
                rare = rare_word(number, KOREAN_SYLLABLES if korean else RARE_SYLLABLES)
                description = " ".join([*common, rare])
                how_many = rng.choices(*TICKET_CONTACTS)[0]
                contacts = [
                    contact(c, companies) for c in rng.sample(range(contact_count), how_many)
                ]
                related = []
                for c in contacts:
                    linked_tickets.append(i)
                    linked_contacts.append(c["index"])
                    related += search.contact_lexemes({**c, "company": c["company"].name})
                yield (
                    name,
                    description,
                    pipeline.pk,
                    stage.pk,
                    owner.pk if owner else None,
                    team,
                    rng.choice(Priority.values),
                    "",
                    "email",
                    ticket_properties(rng),
                    created,
                    activity,
                    None if is_open else activity,
                    None,
                    rng.random() < 0.002,
                    is_open,
                    activity,
                    person_name(contacts[0]["first_name"], contacts[0]["last_name"]),
                    description[:200],
                    search.document(name, description, related),
                )

        load(
            Ticket,
            (
                "name",
                "description",
                "pipeline_id",
                "stage_id",
                "owner_id",
                "team_id",
                "priority",
                "category",
                "source",
                "properties",
                "created_at",
                "updated_at",
                "closed_at",
                "deleted_at",
                "is_spam",
                "is_open",
                "last_activity_at",
                "contact_name",
                "preview",
                "search_vector",
            ),
            rows(),
        )
        first_ticket = first_id(Ticket, count)
        load(
            Ticket.contacts.through,
            ("ticket_id", "contact_id"),
            (
                (first_ticket + t, first_contact + c)
                for t, c in zip(linked_tickets, linked_contacts, strict=True)
            ),
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # VACUUM sets the visibility map that index-only counts rely on;
                # it cannot run inside a transaction (the test smoke run is in one).
                vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
                # The small tables too (teams, agents, statuses): autovacuum
                # would analyze them only after their next change.
                for model in (Contact, Ticket, Ticket.contacts.through, Team, User, Stage):
                    cursor.execute(f"{vacuum} {model._meta.db_table}")

    def seed_history(self):
        """Each ticket's conversation, as a help desk of this size holds it: a
        thread and one to five messages (three on average), the customer's and
        the agent's in turn, so that the pane reads its messages out of
        millions of rows rather than a few hundred (issue 22). PostgreSQL
        writes them from the tickets in two statements. Added here rather than
        in the seed, so that a database seeded before is completed, not seeded
        again; skipped once done and on other databases."""
        from conversations.models import Message, Thread
        from conversations.sanitize import SANITIZER_VERSION
        from conversations.services import help_desk_inbox

        if (
            connection.vendor != "postgresql"
            or Thread.objects.filter(reply_token__startswith=SEEDED_THREAD).exists()
        ):
            return
        started = time.perf_counter()
        tickets, threads = Ticket._meta.db_table, Thread._meta.db_table
        messages, links = Message._meta.db_table, Ticket.contacts.through._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {threads} (ticket_id, inbox_id, channel, reply_token, "
                "visitor_key, created_at) "
                f"SELECT id, %s, 'email', %s || id, '', created_at FROM {tickets}",
                [help_desk_inbox().pk, SEEDED_THREAD],
            )
            # Message k of a ticket: the customer's when k is even, else the
            # owner's reply; each answers the one before it (In-Reply-To).
            cursor.execute(
                f"""
                INSERT INTO {messages} (thread_id, ticket_id, kind, direction, author_id,
                    contact_id, from_name, from_email, "to", cc, bcc, subject, html,
                    quoted_html, text, sanitizer_version, message_id, in_reply_to,
                    "references", joined_by, dmarc, is_automatic, external_id, created_at)
                SELECT thread.id, ticket.id, 'message',
                    CASE WHEN k %% 2 = 0 THEN 'inbound' ELSE 'outbound' END,
                    CASE WHEN k %% 2 = 1 THEN ticket.owner_id END,
                    CASE WHEN k %% 2 = 0 THEN contact.id END,
                    CASE WHEN k %% 2 = 0 THEN ticket.contact_name ELSE 'Support' END,
                    CASE WHEN k %% 2 = 0 THEN coalesce(contact.email, '') ELSE %(ours)s END,
                    CASE WHEN k %% 2 = 0 THEN jsonb_build_array(%(ours)s)
                        ELSE jsonb_build_array(coalesce(contact.email, '')) END,
                    '[]', '[]', ticket.name,
                    CASE WHEN k %% 2 = 0 THEN '<p>' || ticket.description || '</p>'
                        ELSE '<p>' || %(reply)s || '</p>' END,
                    '',
                    CASE WHEN k %% 2 = 0 THEN ticket.description ELSE %(reply)s END,
                    %(version)s,
                    '<seed-' || ticket.id || '-' || k || '@bench.example>',
                    CASE WHEN k > 0
                        THEN '<seed-' || ticket.id || '-' || (k - 1) || '@bench.example>'
                        ELSE '' END,
                    '', '', '', false, '',
                    ticket.created_at + (ticket.last_activity_at - ticket.created_at) * k / 5
                FROM {tickets} ticket
                JOIN {threads} thread ON thread.reply_token = %(seeded)s || ticket.id
                LEFT JOIN LATERAL (
                    SELECT contact_id FROM {links} WHERE ticket_id = ticket.id
                    ORDER BY contact_id LIMIT 1
                ) link ON true
                LEFT JOIN {Contact._meta.db_table} contact ON contact.id = link.contact_id
                CROSS JOIN LATERAL generate_series(0, ticket.id %% 5) k
                """,
                {
                    "ours": "support@bench.example",
                    "reply": "Thank you for writing. We are looking into it and will "
                    "come back to you today.",
                    "version": SANITIZER_VERSION,
                    "seeded": SEEDED_THREAD,
                },
            )
            if not connection.in_atomic_block:
                for table in (threads, messages):
                    cursor.execute(f"VACUUM ANALYZE {table}")
        self.stdout.write(
            f"Seeded {Message.objects.count():,} messages in {time.perf_counter() - started:.1f} s"
        )

    def clear(self):
        """Remove the previous dataset. PostgreSQL truncates the big tables (with
        what refers to them: threads, messages, events...): deleting millions of
        rows through the ORM would load each of them first."""
        from channels_inbound.models import EmailChannel

        if connection.vendor == "postgresql":
            tables = ", ".join(m._meta.db_table for m in (Ticket, Contact, Company))
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {tables} CASCADE")
        else:
            for model in (Ticket.contacts.through, Ticket.companies.through, Ticket.deals.through):
                model.objects.all().delete()
            Ticket.objects.all().delete()
            Contact.objects.all().delete()
            Company.objects.all().delete()
        EmailChannel.objects.all().delete()  # it protects its pipeline
        Stage.objects.all().delete()
        Pipeline.objects.all().delete()
        PropertyDefinition.objects.filter(key__in=["plan", "seats"]).delete()
        User.objects.filter(username__startswith="bench").delete()
        Team.objects.filter(name__startswith="Bench").delete()

    # Measuring ---------------------------------------------------------------

    def name_agents(self):
        """Each agent with a first name of their own, as in a team (a database
        seeded before gave all forty the same one)."""
        agents = User.objects.filter(username__regex=r"^bench[0-9]+$").order_by("pk")
        for i, pk in enumerate(agents.values_list("pk", flat=True)):
            name = AGENT_NAMES[i % len(AGENT_NAMES)]
            User.objects.filter(pk=pk).exclude(first_name=name).update(
                first_name=name, last_name=f"Agent {i}"
            )

    def measure(self, runs: int) -> list[dict]:
        self.name_agents()
        agent = bench_agent()
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
            Case(
                f"view {v.slug} (list, htmx)",
                client,
                reverse("tickets:view_tickets", args=[v.slug]),
                {},
                pane,
            )
            for v in queries.views_for_user(agent)
        ]
        # The sidebar's counts, which every workspace page asks for once it shows.
        cases.append(sidebar_counts_case("counts request of the sidebar", client, agent))
        cases.append(
            Case(
                "view all-open, team-scoped agent",
                team_client,
                reverse("tickets:view_tickets", args=["all-open"]),
                {},
                pane,
            )
        )
        if deep_cursor:
            cases.append(
                Case(
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
                Case(
                    "ticket pane, 200-message thread",
                    client,
                    url,
                    {},
                    {"HX-Request": "true", "HX-Target": "detail-pane"},
                )
            )
            cases.append(Case("ticket page (full), 200-message thread", client, url, {}, {}))
        # The peer's comparison page (issue 22): a ticket of an ordinary length.
        ordinary = self.long_thread(agent, size=8, position=2)
        if ordinary:
            url = reverse("tickets:ticket_detail", args=["mine", ordinary.pk])
            cases.append(Case("ticket page (full), 8-message thread", client, url, {}, {}, 50))
            pane_headers = {"HX-Request": "true", "HX-Target": "detail-pane"}
            cases.append(Case("ticket pane, 8-message thread", client, url, {}, pane_headers, 30))
            # What the pane loads once it shows: the contacts' past and linked tickets.
            related = reverse("tickets:ticket_related", args=[ordinary.pk])
            for part in ("past", "linked"):
                name = f"ticket pane's {part} tickets"
                params = {"part": part}
                cases.append(Case(name, client, related, params, pane_headers, 50))
        if detail:
            cases.append(Case("ticket page (full)", client, detail, {}, {}))
            cases.append(
                Case(
                    "ticket pane (htmx)",
                    client,
                    detail,
                    {},
                    {"HX-Request": "true", "HX-Target": "detail-pane"},
                )
            )
        long_history = self.long_history(agent)
        if long_history:
            # S10: a timeline of 1,000 events opens on its latest page.
            url = reverse("tickets:ticket_detail", args=["all-open", long_history.pk])
            page = queries.events_for_timeline(long_history)
            cases += [
                Case(
                    "ticket pane, 1,000-event timeline",
                    client,
                    url,
                    {},
                    {"HX-Request": "true", "HX-Target": "detail-pane"},
                    200,
                ),
                Case(
                    "older timeline page, 1,000 events",
                    client,
                    reverse("tickets:ticket_activity", args=[long_history.pk]),
                    {"before": page.next_cursor},
                    {"HX-Request": "true"},
                    50,
                ),
            ]
        cases += self.table_cases(agent, client, pane, team_client)
        count = Ticket.objects.count()
        parts = {
            "pages": lambda: [
                self.time_request(c, runs)
                for c in cases
                if self.wanted("pages") or any(word in c.name for word in self.only)
            ],
            "sweep": lambda: [self.time_table_sweep(agent, client, runs)],
            "counts": lambda: [self.time_counts(agent, runs)],
            "macros": lambda: self.time_macro_apply(agent, ticket, client, runs) if ticket else [],
            "edits": lambda: [self.time_field_edit(ticket, client, runs)] if ticket else [],
            "ingestion": lambda: [
                *self.time_ingestion(runs * 5),
                *self.time_ingestion(runs * 5, rules=50),
            ],
            "rules": lambda: [
                bench_rules.time_event_evaluation(runs, summary, QueryCounter),
                *bench_rules.time_sweep(summary, QueryCounter),
            ],
            "sla": lambda: [
                self.time_sla_sweep(min(1000, max(10, count // 1000))),
                self.time_sla_apply(min(100_000, max(100, count // 10))),
            ],
            "routing": lambda: self.time_routing(runs),
            "webhooks": lambda: bench_webhooks.measure(runs, summary, QueryCounter),
            "knowledge": lambda: bench_knowledge.measure(runs, count, self.time_request, Case),
            "api": lambda: bench_api.time_api(agent, team_agent, runs, summary, QueryCounter),
            "portal": lambda: bench_portal.time_portal(runs, summary, QueryCounter),
            "imports": lambda: [
                bench_imports.time_csv_import(min(2000, max(100, runs * 50)), summary, QueryCounter)
            ],
            "reports": lambda: bench_reports.measure(
                runs, summary, QueryCounter, agent, team_agent
            ),
            "live": lambda: bench_live.measure(runs, summary, QueryCounter, self.search_terms()),
        }
        results = []
        for part, timed in parts.items():
            if part == "pages" or self.wanted(part):
                results += timed()
        return results

    def wanted(self, part: str) -> bool:
        """Whether --only asks for `part` (pages, counts, ...): none asks for all."""
        return not self.only or part in self.only

    def table_cases(self, agent, client, pane, team_client) -> list["Case"]:
        """The ticket table (S27, S28) at its targets, as full pages (its forms
        submit plain GETs), each followed by its count when the page asks for
        it in a request of its own. Search, quick and advanced filters run in
        "All tickets", the default view of every ticket but spam. The custom
        view belongs to another agent: the sidebar counts a custom view on each
        of its owner's pages, which would blur the other figures."""
        table = reverse("tickets:view_list", args=["all"])
        every_ticket = queries.get_view_for_user(agent, "all")
        pages = [Case("table all, no filter (default sort)", client, table, {}, {})]
        for label, text in self.search_terms():
            found = queries.table_count(agent, every_ticket, filters.ListState(search=text))
            shown = f"{found:,}{'+' if found.capped else ''}"
            name = f"search {label}: {text} ({shown} found)"
            pages.append(Case(name, client, table, {"q": text}, {}, 150))
        waiting = Stage.objects.get(name="Waiting on us")
        quick = {
            "owner+priority, sort -created_at": {"owner": agent.pk, "priority": "high"},
            "team+stage, sort -last_activity_at": {"team": agent.main_team_id, "stage": waiting.pk},
            # A status's first-in-first-out queue: 2.6 s at a million tickets
            # before the filter said its tickets are open (issue 22).
            "stage, sort created_at": {"stage": waiting.pk},
            "pipeline+priority, sort id": {"pipeline": waiting.pipeline_id, "priority": "urgent"},
        }
        for label, params in quick.items():
            params["sort"] = label.rpartition("sort ")[2]
            pages.append(Case(f"quick filters {label}", client, table, params, {}, 100))
        for condition in ("plan:any_of:enterprise", "seats:gt:50"):
            pages.append(Case(f"filter {condition}", client, table, {"f": condition}, {}, 300))
        # Every sort the table offers, both ways, over the open tickets (issue
        # 22): oldest first is many teams' first-in-first-out queue.
        open_table = reverse("tickets:view_list", args=["all-open"])
        for key in filters.SORTS:
            for order in (key, f"-{key}"):
                name = f"open table, sort {order}"
                pages.append(Case(name, client, open_table, {"sort": order}, {}, 50))
        # A team's scope: the count follows the rows in a request of its own
        # (queries._counted_at_once).
        name = "open table, team-scoped agent, sort created_at"
        pages.append(Case(name, team_client, open_table, {"sort": "created_at"}, {}, 50))
        tag, tagged = self.bench_tag()
        condition = f"tags:has_any:{tag.pk}"
        name = f"filter tag “{tag.name}” ({tagged:,} tickets)"
        pages.append(Case(name, client, table, {"f": condition}, {}, 300))

        others = User.objects.filter(username__regex=r"^bench[0-9]+$").exclude(pk=agent.pk)
        owner = others.order_by("pk").first()
        view, _created = SavedView.objects.get_or_create(
            owner=owner,
            name="Bench high priority on the pro plan",
            defaults={"filters": [["priority", "any_of", "high"], ["plan", "any_of", "pro"]]},
        )
        owner_client = Client(SERVER_NAME="localhost")
        owner_client.force_login(owner)
        name = "custom view, 2 conditions"
        list_url = reverse("tickets:view_tickets", args=[view.slug])
        table_url = reverse("tickets:view_list", args=[view.slug])
        pages.append(Case(f"{name} (table)", owner_client, table_url, {}, {}, 100))

        cases = [
            Case(f"{name} (list, htmx)", owner_client, list_url, {}, pane, 100),
            sidebar_counts_case(
                f"counts request of the sidebar with the {name}", owner_client, owner
            ),
        ]
        for page in pages:
            cases.append(page)
            if b"count=1" in page.client.get(page.url, page.params).content:
                count = {**page.params, "count": 1, "first": 1, "last": 50}
                headers = {"HX-Request": "true", "HX-Target": "table-count"}
                cases.append(
                    page._replace(name=f"count: {page.name}", params=count, headers=headers)
                )
        return cases

    def bench_tag(self) -> tuple[Tag, int]:
        """A tag on every 20th ticket, added here rather than in the seed so
        that a database seeded before tags existed need not be seeded again:
        one INSERT ... SELECT, skipped when the links are there."""
        tag, _created = Tag.objects.get_or_create(name="bench-refund")
        if not TicketTag.objects.filter(tag=tag).exists():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {TicketTag._meta.db_table} (ticket_id, tag_id, created_at) "
                    f"SELECT id, %s, %s FROM {Ticket._meta.db_table} WHERE id %% 20 = 0",
                    [tag.pk, timezone.now()],
                )
                if connection.vendor == "postgresql" and not connection.in_atomic_block:
                    cursor.execute(f"VACUUM ANALYZE {TicketTag._meta.db_table}")
        return tag, TicketTag.objects.filter(tag=tag).count()

    def search_terms(self) -> list[tuple[str, str]]:
        """What agents type in the search box, taken from the latest tickets so
        that each should find something (the report says how many it found)."""
        latest = list(Ticket.objects.order_by("-id")[:50])
        rare = [t.description.split()[-1] for t in latest]
        links = Ticket.contacts.through.objects.filter(ticket__in=latest).select_related("contact")
        person = next(link.contact for link in links if link.contact.phone)
        # The phone number from its third digit on (a suffix matches), in threes.
        digits = re.sub(r"\D", "", person.phone)[2:]
        regrouped = " ".join(digits[i : i + 3] for i in range(0, len(digits), 3))
        return [
            ("rare word", next(w for w in rare if w.isascii())),
            ("rare Korean word", next(w for w in rare if not w.isascii())),
            ("common word", "password"),
            ("common Korean word", "로그인"),
            ("partial email", person.email[: person.email.index("@") + 6]),
            (f"phone {person.phone}", regrouped),
            ("ticket ID", f"#{latest[len(latest) // 2].pk}"),
        ]

    def time_macro_apply(self, agent, ticket, client, runs: int) -> list[dict]:
        """Applying a five-action macro to an open ticket (issue 17): the
        service alone, and the agent's request with the ticket pane it answers.
        Two macros take turns so every run changes something; all of it is
        rolled back, so the dataset stays as seeded."""
        from workflows import actions
        from workflows.models import Macro

        stages = list(ticket.pipeline.stages.filter(is_closed=False, required_properties=[])[:2])
        team = Team.objects.order_by("pk").first()
        turns = []
        for priority, stage in zip(("urgent", "low"), stages * 2, strict=False):
            rows = [
                {"type": "set_priority", "value": priority},
                {"type": "set_team", "team": team.pk if team else None},
                {"type": "set_status", "stage": stage.pk},
                {"type": "comment", "html": "<p>Checked by {agent_name}</p>"},
                {"type": "reply_text", "html": "<p>Hi {contact_first_name}</p>"},
            ]
            turns.append(actions.validate(rows, for_macro=True))
        service, request = [], []
        with transaction.atomic():
            macros = [
                Macro.objects.create(owner=agent, name=f"Bench macro {i}", actions=rows)
                for i, rows in enumerate(turns)
            ]
            url = "workflows:macro_apply"
            with QueryCounter() as counted:
                for run in range(runs):
                    rows = turns[run % 2]
                    started = time.perf_counter()
                    actions.apply(rows, ticket=ticket, actor=agent, via="macro", name="Bench")
                    service.append((time.perf_counter() - started) * 1000)
            service_queries = counted.count // max(runs, 1)
            with QueryCounter() as counted:
                for run in range(runs):
                    started = time.perf_counter()
                    response = client.post(
                        reverse(url, args=[ticket.pk, macros[run % 2].pk]),
                        {"view": "mine"},
                        headers={"HX-Request": "true", "HX-Target": "macro-panel"},
                    )
                    request.append((time.perf_counter() - started) * 1000)
                    if response.status_code != 200:
                        raise CommandError(f"macro apply answered {response.status_code}")
            request_queries = counted.count // max(runs, 1)
            transaction.set_rollback(True)
        return [
            summary("macro apply, 5 actions (service)", service, service_queries),
            summary("macro apply, 5 actions (request + ticket pane)", request, request_queries),
        ]

    def time_field_edit(self, ticket, client, runs: int) -> dict:
        """The priority edited in the ticket's header (S8), as the agent's page
        posts it: the answer holds the field, the ticket's sidebar and its list
        row, and tells the views' sidebar to count again. Two values take
        turns so every run changes something; all of it is rolled back."""
        url = reverse("tickets:ticket_edit_field", args=[ticket.pk, "priority"])
        headers = {"HX-Request": "true", "HX-Target": "field-priority"}

        def edit(run: int) -> float:
            started = time.perf_counter()
            response = client.post(url, {"priority": ("urgent", "low")[run % 2]}, headers=headers)
            if response.status_code != 200:
                raise CommandError(f"the field edit answered {response.status_code}")
            return (time.perf_counter() - started) * 1000

        with transaction.atomic():
            edit(1)  # warm up
            with QueryCounter() as counted:
                timings = [edit(run) for run in range(runs)]
            transaction.set_rollback(True)
        name = "edit a header field, priority (answer)"
        return summary(name, timings, counted.count // max(runs, 1), 50)

    def time_sla_sweep(self, due: int) -> dict:
        """One SLA sweep when `due` open tickets have just passed a deadline,
        among all the others (issue 7: <= 1 s for 1,000 at 1,000,000)."""
        from conversations.models import Notification
        from sla import clocks

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

    def time_sla_apply(self, running: int) -> dict:
        """Applying an SLA goal change to `running` open tickets with running
        clocks on working hours (issue 14): the task's whole run, chunked as in
        production. Everything happens in one transaction rolled back at the
        end, so the dataset stays as seeded."""
        from sla import changes, clocks
        from sla.models import Calendar, SlaGoal, SlaSettings, WorkingPeriod

        with transaction.atomic():
            now = clocks.database_now()
            Calendar.objects.filter(is_default=True).update(is_default=False)
            calendar = Calendar.objects.create(name="Bench hours", time_zone="UTC", is_default=True)
            WorkingPeriod.objects.bulk_create(
                WorkingPeriod(
                    calendar=calendar, weekday=day, start=datetime.time(9), end=datetime.time(17)
                )
                for day in range(5)
            )
            SlaSettings.objects.update_or_create(
                pk=1,
                defaults={"enabled": True, "mode": SlaSettings.Mode.WORKING_HOURS, "goals_by": ""},
            )
            goal, _created = SlaGoal.objects.update_or_create(
                value="",
                defaults={"is_enabled": True, "first_response_minutes": 240, "close_minutes": 2400},
            )
            ids = list(
                Ticket.objects.filter(is_open=True, deleted_at__isnull=True)
                .order_by("-id")
                .values_list("pk", flat=True)[:running]
            )
            Ticket.objects.filter(pk__in=ids).update(
                sla_first_response_due=now + datetime.timedelta(hours=3),
                sla_first_response_at=None,
                sla_close_due=now + datetime.timedelta(days=4),
                sla_paused_at=None,
                sla_due_soon_minutes=60,
            )
            before = changes.config_snapshot()
            goal.first_response_minutes, goal.close_minutes = 120, 1440
            goal.save()
            change = changes.sla_change_record(actor=None, before=before)
            changes.sla_change_apply(actor=None, change=change)  # queued on a commit never made
            with QueryCounter() as counted:
                started = time.perf_counter()
                moved = changes.sla_change_run(change.pk)
                elapsed = (time.perf_counter() - started) * 1000
            change.refresh_from_db()
            transaction.set_rollback(True)
        if moved < len(ids):
            raise CommandError(f"SLA apply moved {moved} of {len(ids)} tickets")
        rate = change.tickets_checked / (elapsed / 1000)
        self.sla_apply_rate = (change.tickets_checked, rate)
        return summary(
            f"SLA change applied to {change.tickets_checked:,} open tickets",
            [elapsed],
            counted.count,
        )

    def time_routing(self, runs: int, agents: int = 20, open_tickets: int = 10_000) -> list[dict]:
        """route() for a team of `agents` agents who own `open_tickets` open
        tickets between them (issue 17), round-robin and least open: the whole
        call, locks and the assignment with its timeline line and SLA receiver
        included. In one transaction rolled back at the end."""
        from accounts.models import Team
        from routing.services import route

        results = []
        with transaction.atomic():
            team = Team.objects.create(name="Bench routing", routing=Team.Routing.ROUND_ROBIN)
            members = [
                User.objects.create(username=f"bench-router{i}", main_team=team)
                for i in range(agents)
            ]
            # The latest tickets, opened as needed (a seeded dataset is mostly
            # closed): the count is what the cap and least-open read.
            ids = list(
                Ticket.objects.filter(is_spam=False, deleted_at__isnull=True)
                .order_by("-id")
                .values_list("pk", flat=True)[: open_tickets + 2 * runs]
            )
            owned, waiting = ids[: len(ids) - 2 * runs], ids[len(ids) - 2 * runs :]
            for index, member in enumerate(members):
                Ticket.objects.filter(pk__in=owned[index::agents]).update(
                    team=team, owner=member, is_open=True
                )
            Ticket.objects.filter(pk__in=waiting).update(team=team, owner=None, is_open=True)
            for method, batch in (
                (Team.Routing.ROUND_ROBIN, waiting[:runs]),
                (Team.Routing.LEAST_OPEN, waiting[runs:]),
            ):
                Team.objects.filter(pk=team.pk).update(routing=method)
                timings, assigned = [], 0
                with QueryCounter() as counted:
                    for pk in batch:
                        started = time.perf_counter()
                        assigned += route(Ticket(pk=pk)) is not None
                        timings.append((time.perf_counter() - started) * 1000)
                if assigned != len(batch):
                    raise CommandError(f"routing assigned {assigned} of {len(batch)}")
                results.append(
                    summary(
                        f"route() {method}, {agents} agents, {len(owned):,} open tickets",
                        timings,
                        counted.count // max(1, len(batch)),
                    )
                )
            transaction.set_rollback(True)
        return results

    def long_thread(self, agent, size: int = 200, position: int = 0):
        """The agent's open ticket at `position` (by id), with a thread of `size`
        messages (customer, agent and comments), its seeded ones included. The
        customer's come from the ticket's contact, as ingestion links every
        email to one (a message without is a chat visitor's)."""
        from conversations.models import Channel, Message, Thread
        from conversations.sanitize import SANITIZER_VERSION
        from conversations.services import help_desk_inbox

        tickets = Ticket.objects.filter(is_open=True, owner=agent).order_by("id")
        ticket = tickets[position : position + 1].first()
        if ticket is None:
            return None
        contact = ticket.contacts.order_by("pk").first()
        messages = Message.objects.filter(ticket=ticket)
        sender = {"from_name": "Customer", "from_email": "customer@bench.example"}
        if contact:
            sender = {
                "contact": contact,
                "from_name": contact.display_name,
                "from_email": contact.email,
            }
            # A database seeded before had them without.
            earlier = messages.filter(message_id__startswith="<bench-", direction="inbound")
            earlier.filter(contact=None).update(**sender)
        # What agents wrote is stored cleaned, as conversations.services stores
        # it (a database seeded before had it marked as not yet cleaned).
        messages.filter(message_id__startswith="<bench-", direction="outbound").exclude(
            sanitizer_version=SANITIZER_VERSION
        ).update(sanitizer_version=SANITIZER_VERSION)
        missing = size - messages.count()
        if missing <= 0:
            return ticket
        thread = Thread.objects.create(
            ticket=ticket, inbox=help_desk_inbox(), channel=Channel.EMAIL
        )
        words = " ".join(WORDS)
        ours = {"from_name": agent.display_name, "from_email": "support@bench.example"}
        Message.objects.bulk_create(
            Message(
                thread=thread,
                ticket=ticket,
                kind="comment" if i % 7 == 6 else "message",
                direction="inbound" if i % 2 == 0 else "outbound",
                author=None if i % 2 == 0 else agent,
                **(sender if i % 2 == 0 else ours),
                to=["support@bench.example"],
                subject="Long thread",
                html=f"<p>Message {i}: {words}</p>" * 3,
                text=f"Message {i}: {words}",
                sanitizer_version=SANITIZER_VERSION,
                message_id=f"<bench-{ticket.pk}-{i}@bench.example>",
            )
            for i in range(missing)
        )
        return ticket

    def long_history(self, agent):
        """A ticket with 1,000 timeline events (property changes by the agent)."""
        ticket = Ticket.objects.filter(is_open=True, owner=agent).order_by("id")[1:2].first()
        if ticket is None:
            return None
        missing = 1000 - TicketEvent.objects.filter(ticket=ticket).count()
        if missing > 0:
            values = itertools.cycle(Priority.values)
            TicketEvent.objects.bulk_create(
                TicketEvent(
                    ticket=ticket,
                    actor=agent,
                    kind=TicketEvent.Kind.CHANGED,
                    field="priority",
                    old_value=next(values),
                    new_value=next(values),
                )
                for _ in range(missing)
            )
        return ticket

    def time_request(self, case: "Case", runs: int) -> dict:
        client, url, params, headers = case.client, case.url, case.params, case.headers
        client.get(url, params, headers=headers)  # warm up
        with QueryCounter() as counted:
            response = client.get(url, params, headers=headers)
        if response.status_code != 200:
            raise CommandError(f"{case.name}: HTTP {response.status_code}")
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            client.get(url, params, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
        return summary(case.name, timings, counted.count, case.target)

    def time_table_sweep(self, agent, client, runs: int) -> dict:
        """Every sort of the table, both ways, under each quick filter (and a
        closed status, a second team, a priority left out), in All tickets and
        All open: one request each after a warm-up (issue 22).
        The cases above hold the targets; this finds the pairing nobody
        thought of (at a million tickets a status sorted oldest first took
        2.6 s). Its p50/p95 are over the pages; the slowest are named. A
        smoke run (few runs) samples every 17th."""
        waiting = Stage.objects.get(name="Waiting on us")
        closed = Stage.objects.filter(pipeline=waiting.pipeline, is_closed=True)
        others = Team.objects.exclude(pk=agent.main_team_id).order_by("pk")
        narrowed = [
            ("owner", agent.pk),
            ("owner", filters.NOBODY),
            ("team", agent.main_team_id),
            ("team", others.values_list("pk", flat=True).first()),
            ("priority", "high"),
            ("f", "priority:is_not:high,low"),
            ("stage", waiting.pk),
            ("stage", closed.values_list("pk", flat=True).first()),
            ("pipeline", waiting.pipeline_id),
        ]
        pages = [
            (reverse("tickets:view_list", args=[slug]), {key: value, "sort": order})
            for slug in ("all", "all-open")
            for key, value in narrowed
            if value is not None
            for sort in filters.SORTS
            for order in (sort, f"-{sort}")
        ]
        timed, most_queries = [], 0
        for url, params in pages[:: 1 if runs >= 10 else 17]:
            with QueryCounter() as counted:  # and warms up
                response = client.get(url, params)
            if response.status_code != 200:
                raise CommandError(f"table sweep: {url} {params} answered {response.status_code}")
            started = time.perf_counter()
            client.get(url, params)
            timed.append(((time.perf_counter() - started) * 1000, f"{url}?{urlencode(params)}"))
            most_queries = max(most_queries, counted.count)
        self.sweep_slowest = sorted(timed, reverse=True)[:6]
        name = f"table sweep: {len(timed)} pages, each quick filter x each sort"
        return summary(name, [taken for taken, _url in timed], most_queries)

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

    def time_ingestion(self, count, rules: int = 0):
        """Inbound email: the webhook's answer (raw stored, task queued) and the
        worker's share per message (parse, thread, create the ticket). With
        `rules`, that many active rules listen and are asked on every message
        (issue 17: at least 90 % of the rate without): the worker's share then
        includes evaluating them."""
        from unittest import mock

        from django.test import override_settings

        from channels_inbound import tasks
        from channels_inbound.ingest import inbound_process
        from channels_inbound.models import InboundItem
        from workflows import engine
        from workflows.models import Rule

        from .. import bench_inbound

        bench_inbound.bench_channel()
        bench_inbound.vacuum()
        key, stamp = bench_inbound.SIGNING_KEY, timezone.now().strftime("%H%M%S%f")
        client = Client(SERVER_NAME="localhost")
        acks, ids = [], []

        def post_mails(kind: str):
            """Post `count` emails through the webhook (tasks not queued);
            with kind "re", each answers the new email of the same number."""
            for n in range(count):
                data = bench_inbound.webhook_post(kind, stamp, n, key)
                with QueryCounter() as posted:
                    started = time.perf_counter()
                    response = client.post("/inbound/email/mailgun/", data)
                    if kind == "in":
                        acks.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise CommandError(f"webhook: HTTP {response.status_code}")
            pending = InboundItem.objects.filter(
                status="pending", event_id__startswith=f"bench-{kind}-{stamp}"
            )
            return posted, list(pending.order_by("id").values_list("pk", flat=True))

        with (
            override_settings(ANYMAIL={"MAILGUN_WEBHOOK_SIGNING_KEY": key}),
            mock.patch.object(tasks.process_inbound_item, "delay"),
        ):
            posted, ids = post_mails("in")
        Rule.objects.all().delete()
        if rules:
            # Active, listening, asked on every message; none holds on these
            # (what firing costs is the time sweep's worker line).
            bench_rules.event_rules(rules, matching=0)

        def ingest(pk):
            # The worker runs the rules on what it stored in the same
            # transaction (workflows.engine.delivering).
            inbound_process(pk)

        def timed(ids):
            """The worker's share of each (ms) and the median of their
            statements. The first pays for reading the settings a worker
            keeps; the rules' check (workflows.engine, at most once a second)
            adds its two to whichever message it falls in."""
            timings, counts = [], []
            for pk in ids:
                with QueryCounter() as counter:
                    started = time.perf_counter()
                    ingest(pk)
                    timings.append((time.perf_counter() - started) * 1000)
                counts.append(counter.count)
            return timings[1:], statistics.median_low(counts[1:] or counts)

        replies = []
        with mock.patch.object(engine, "enqueue"):
            work, counted = timed(ids)
            if not rules:  # a customer's answer to each of those tickets
                with (
                    override_settings(ANYMAIL={"MAILGUN_WEBHOOK_SIGNING_KEY": key}),
                    mock.patch.object(tasks.process_inbound_item, "delay"),
                ):
                    _posted, reply_ids = post_mails("re")
                replies, replied = timed(reply_ids)
        # Leave the dataset as seeded, so the next run does not seed again.
        Ticket.objects.filter(name__startswith=bench_inbound.subject(stamp)).delete()
        Rule.objects.all().delete()
        if rules:
            return [summary(f"ingest one email in the worker, {rules} active rules", work, counted)]
        return [
            summary("webhook answer (raw stored, task queued)", acks, posted.count),
            summary("ingest one email in the worker", work, counted),
            summary("ingest one reply in the worker", replies, replied),
        ]

    def report(self, results, tickets, out, seeding):
        if not results:
            raise CommandError(f"--only {','.join(self.only)} measured nothing.")
        load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
        # The most runs of a line: a one-time step (a build) has one; the
        # sweep's "runs" are its pages.
        runs = max(
            (len(r["timings"]) for r in results if not r["name"].startswith("table sweep")),
            default=1,
        )
        self.stdout.write(
            f"\n{tickets:,} tickets on {connection.vendor}; "
            f"p50/p95 in ms over {runs} runs; load average {load}; "
            "machine yardstick {:.1f} ms before, {:.1f} ms after\n".format(*self.yardsticks)
        )
        if self.settled:
            self.stdout.write(
                f"autovacuum is off: first vacuumed and analyzed {len(self.settled)} tables "
                f"it would have ({', '.join(self.settled[:6])}{', ...' if len(self.settled) > 6 else ''})\n"
            )
        self.stdout.write(f"{'page':60} {'p50':>8} {'p95':>8} {'queries':>8} {'p95 target':>11}")
        for r in results:
            target = r["target"]
            verdict = (
                "" if target is None else f"{target:6d} {'ok' if r['p95'] <= target else 'MISS'}"
            )
            self.stdout.write(
                f"{r['name']:60} {r['p50']:8.1f} {r['p95']:8.1f} {r['queries']:8d} {verdict:>11}"
            )
        worker = next((r for r in results if r["name"] == "ingest one email in the worker"), None)
        reply = next((r for r in results if r["name"] == "ingest one reply in the worker"), None)
        if worker:
            rate = 1000 / statistics.mean(worker["timings"])
            self.stdout.write(
                f"ingestion: {rate:.0f} emails/s per worker process "
                f"(the worker runs one process per core)"
                + (
                    f"; replies {1000 / statistics.mean(reply['timings']):.0f}/s"
                    if reply and reply["timings"]
                    else ""
                )
            )
        ruled = next((r for r in results if r["name"].endswith("active rules")), None)
        if worker and ruled:
            with_rules = 1000 / statistics.mean(ruled["timings"])
            self.stdout.write(
                f"ingestion with rules: {with_rules:.0f} emails/s, "
                f"{100 * with_rules / rate:.0f} % of the rate without (target >= 90 %)"
            )
        for taken, url in getattr(self, "sweep_slowest", []):
            verdict = "ok" if taken <= SWEEP_TARGET else "MISS"
            self.stdout.write(f"  table sweep, slowest: {taken:8.1f} ms {verdict:4}  {url}")
        if getattr(self, "sla_apply_rate", None):
            checked, rate = self.sla_apply_rate
            self.stdout.write(
                f"SLA apply to open tickets: {rate:,.0f} tickets/s ({checked:,} tickets, one task)"
            )
        path = Path(settings.BASE_DIR, out)
        path.mkdir(exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        data = {
            "tickets": tickets,
            "vendor": connection.vendor,
            "seeding_seconds": seeding,
            "load_average": os.getloadavg(),
            "yardstick_ms": self.yardsticks,
            "results": results,
        }
        (path / f"bench-{tickets}-{stamp}.json").write_text(json.dumps(data, indent=2))


def yardstick() -> float:
    """Milliseconds this machine takes, median of 15, to render a fixed
    template of 500 rows (pure Python: no database, no I/O). This shared
    machine's speed changes from day to day; figures of two runs compare as
    far as their yardsticks agree, and a run whose yardstick moved between
    its start and end had a neighbour."""
    from django.template import engines

    template = engines["django"].from_string(
        "{% for row in rows %}<li class=\"{% cycle 'odd' 'even' %}\">{{ row.name|title }}"
        "{% if row.n|divisibleby:3 %} <b>{{ row.n }}</b>{% endif %}</li>{% endfor %}"
    )
    context = {"rows": [{"name": f"row number {n}", "n": n} for n in range(500)]}
    timings = []
    for _ in range(15):
        started = time.perf_counter()
        template.render(context)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


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


def sidebar_counts_case(name: str, client: Client, user: User) -> "Case":
    """The request for the views sidebar's counts, as its page makes it."""
    from tickets.rendering import nav_context

    shown = {"shown": nav_context(user, None)["shown_views"]}
    return Case(name, client, reverse("tickets:view_counts"), shown, {"HX-Request": "true"}, 50)


def bench_agent() -> User | None:
    """The agent the pages are measured as: the first with open tickets of
    their own (bench0 but in tiny runs)."""
    return (
        User.objects.filter(username__regex=r"^bench[0-9]+$", owned_tickets__is_open=True)
        .order_by("pk")
        .first()
    )


class Case(NamedTuple):
    """A page to measure, and the p95 milliseconds it must stay under, if any."""

    name: str
    client: Client
    url: str
    params: dict
    headers: dict
    target: int | None = None


def summary(name: str, timings: list[float], query_count: int, target=None) -> dict:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "name": name,
        "p50": statistics.median(ordered),
        "p95": p95,
        "queries": query_count,
        "target": target,
        "timings": timings,
    }

"""Seed django-helpdesk 2.6.1 with N tickets shaped like our bench dataset
(helpdesk/management/commands/bench.py), for issue 22's side-by-side figures.

    .peer/venv/bin/python scripts/peer/manage.py peer_seed --tickets 100000

What matches ours (bench.py's seed and seed_history):
  - 8 % of the tickets open (status Open), created in the last 14 days; the
    rest Closed, created over three years, each closed within a day.
  - 6 queues (our 6 bench teams) and 40 staff agents; a closed ticket always
    has an owner, an open one 70 % of the time; the queue is the owner's
    (agent i is in team i % 6) or a random one.
  - Titles "Bench {i} {common words}", descriptions of 8 common words (Latin,
    Hangul, Han) and one rare word spelt from four syllables out of a
    vocabulary of N / 5, a quarter of them Hangul: the words our search bench
    looks for (a rare word, a rare Korean word) are in a handful of tickets
    each, here as there.
  - 1 to 5 messages per ticket (3 on average): here follow-ups, the way
    django-helpdesk stores an emailed ticket: the first is "E-Mail Received
    from ..." carrying the description (the ticket's description too), then
    the agent's reply and the customer's in turn.
  - One ticket with exactly 8 follow-ups (ours: the 8-message thread that
    `manage.py bench` gives the bench agent's third open ticket), every 7th a
    private comment as ours.
  - Priorities spread over four values (ours: low..urgent -> 4..1).
The agent measured is "peeragent" (agent 0, staff: sees every queue),
password "peer-agent-password", 50 tickets per page as our table.

Tickets and follow-ups are written with COPY; an existing dataset of that
size is kept (--force seeds again).
"""

import datetime
import random
import time
import uuid

from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from helpdesk.models import FollowUp, Queue, Ticket, UserSettings
from peer_site.vocabulary import ours

# The same vocabularies as our bench (helpdesk/management/bench_words.py).
OPEN_SHARE = ours.OPEN_SHARE
WORDS = ours.WORDS
RARE_SYLLABLES = ours.RARE_SYLLABLES
KOREAN_SYLLABLES = ours.KOREAN_SYLLABLES
KOREAN_RARE_SHARE = ours.KOREAN_RARE_SHARE
rare_word = ours.rare_word

AGENT_NAMES = (
    "Emma Liam Olivia Noah Ava James Sophia Lucas Grace Henry 민준 서연 지호 하은 도윤 수아 "
    "慧玲 志明 怡君 俊傑 淑芬 家豪 Łukasz Małgorzata Wojciech Zofia Paweł Agnieszka "
    "Jürgen Björn Anke Jörg Käthe Lukas Päivi Jyrki Aino Väinö Eetu Sinikka"
).split()
FIRST_NAMES = (
    "Emma Liam Olivia Noah 민준 서연 慧玲 志明 Łukasz Zofia Jürgen Anke Päivi Aino".split()
)
REPLY = "Thank you for writing. We are looking into it and will come back to you today."
PRIORITIES = (1, 2, 3, 4)  # ours: urgent, high, medium, low
AGENT_USERNAME = "peeragent"
AGENT_PASSWORD = "peer-agent-password"
LONG_THREAD = 8


def copy(table: str, columns: tuple[str, ...], rows) -> None:
    with connection.cursor() as cursor:
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with cursor.copy(sql) as out:
            for row in rows:
                out.write_row(row)


class Command(BaseCommand):
    help = "Seed --tickets N tickets shaped like our bench dataset (COPY)."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=100_000)
        parser.add_argument("--force", action="store_true", help="seed even if seeded")

    def handle(self, *args, tickets, force, **options):
        started = time.perf_counter()
        if not force and self.seeded(tickets):
            self.stdout.write(f"peer: {tickets:,} bench tickets already seeded")
        else:
            self.seed(tickets)
            self.stdout.write(
                f"peer: seeded {tickets:,} tickets and {FollowUp.objects.count():,} "
                f"follow-ups in {time.perf_counter() - started:.1f} s"
            )
        self.describe()

    def seeded(self, count: int) -> bool:
        return (
            Ticket.objects.count() == count
            and Ticket.objects.filter(title__startswith="Bench ").count() == count
            and self.long_thread() is not None
            and get_user_model().objects.filter(username=AGENT_USERNAME).exists()
        )

    def long_thread(self):
        return (
            Ticket.objects.annotate(n=Count("followup"))
            .filter(n=LONG_THREAD, title__startswith="Bench ")
            .order_by("id")
            .first()
            if Ticket.objects.exists()
            else None
        )

    def seed(self, count: int) -> None:
        rng = random.Random(7)
        User = get_user_model()
        Site.objects.update_or_create(pk=1, defaults={"domain": "localhost", "name": "peer"})
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"TRUNCATE {Ticket._meta.db_table}, {FollowUp._meta.db_table} "
                    "RESTART IDENTITY CASCADE"
                )
            # Kept from a previous seed (a queue's permission outlives it).
            queues = [
                Queue.objects.get_or_create(
                    slug=f"bench{i}",
                    defaults={
                        "title": f"Bench team {i}",
                        "email_address": f"team{i}@bench.example",
                        "allow_email_submission": True,
                    },
                )[0]
                for i in range(6)
            ]
            agents = []
            for i in range(40):
                username = AGENT_USERNAME if i == 0 else f"bench{i}"
                user, _created = User.objects.get_or_create(username=username)
                user.first_name = AGENT_NAMES[i % len(AGENT_NAMES)]
                user.last_name = f"Agent {i}"
                user.email = f"{username}@bench.example"
                user.is_staff = True
                user.is_active = True
                if i == 0:
                    user.set_password(AGENT_PASSWORD)
                else:
                    user.set_unusable_password()
                user.save()
                # The table shows 50 rows, as ours.
                UserSettings.objects.update_or_create(
                    user=user, defaults={"tickets_per_page": 50, "login_view_ticketlist": True}
                )
                agents.append((user, queues[i % len(queues)]))

        now = timezone.now()
        span = 3 * 365 * 24 * 3600
        rare_vocabulary = max(10, count // 5)
        ticket_rows, followup_plan = [], []
        for i in range(count):
            is_open = rng.random() < OPEN_SHARE
            age = rng.random() * (14 * 24 * 3600 if is_open else span)
            created = now - datetime.timedelta(seconds=age)
            activity = created + datetime.timedelta(seconds=rng.random() * min(age, 86400))
            owner, queue = (None, None)
            if not is_open or rng.random() < 0.7:
                owner, queue = rng.choice(agents)
            else:
                queue = rng.choice(queues)
            words = " ".join(rng.choices(WORDS, k=6))
            title = f"Bench {i} {words[:40]}"
            common = rng.choices(WORDS, k=8)
            number = rng.randrange(rare_vocabulary)
            korean = rng.random() < KOREAN_RARE_SHARE
            rare = rare_word(number, KOREAN_SYLLABLES if korean else RARE_SYLLABLES)
            description = " ".join([*common, rare])
            customer = f"{rng.choice(FIRST_NAMES)}.{i}@bench{i % 500}.example"
            customer = customer.encode("ascii", "ignore").decode() or f"customer{i}"
            if customer.startswith("."):
                customer = f"customer{customer}"
            ticket_rows.append(
                (
                    title,
                    queue.pk,
                    created,
                    activity,
                    customer,
                    owner.pk if owner else None,
                    Ticket.OPEN_STATUS if is_open else Ticket.CLOSED_STATUS,
                    False,
                    description,
                    None if is_open else "Solved.",
                    rng.choice(PRIORITIES),
                    None,
                    None,
                    str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    None,
                    None,
                )
            )
            followup_plan.append((i % 5 + 1, created, activity, customer, description, owner))

        copy(
            Ticket._meta.db_table,
            (
                "title",
                "queue_id",
                "created",
                "modified",
                "submitter_email",
                "assigned_to_id",
                "status",
                "on_hold",
                "description",
                "resolution",
                "priority",
                "due_date",
                "last_escalation",
                "secret_key",
                "kbitem_id",
                "merged_to_id",
            ),
            ticket_rows,
        )
        first, last = Ticket.objects.aggregate(Min("pk"), Max("pk")).values()
        assert last - first + 1 == count, (first, last, count)

        # The long thread: agent 0's third open ticket, as ours.
        agent = agents[0][0]
        opened = [
            first + i
            for i, row in enumerate(ticket_rows)
            if row[5] == agent.pk and row[6] == Ticket.OPEN_STATUS
        ]
        if not opened:  # a tiny dataset: any open ticket
            opened = [
                first + i for i, row in enumerate(ticket_rows) if row[6] == Ticket.OPEN_STATUS
            ]
        long_id = opened[min(2, len(opened) - 1)] if opened else first

        def followups():
            for i, (n, created, activity, customer, description, owner) in enumerate(followup_plan):
                ticket_id = first + i
                size = LONG_THREAD if ticket_id == long_id else n
                for k in range(size):
                    inbound = k % 2 == 0
                    if k < n:
                        text = description if inbound else REPLY
                    else:  # the long thread's added messages, as ours
                        text = "\n".join([f"Message {k}: {' '.join(WORDS)}"] * 3)
                    private = ticket_id == long_id and k % 7 == 6
                    yield (
                        ticket_id,
                        created + (activity - created) * k / 5 if k < 5 else activity,
                        f"E-Mail Received from {customer}" if inbound else "Comment",
                        text,
                        not private,
                        None if inbound else (owner.pk if owner else agent.pk),
                        None,
                        f"<seed-{ticket_id}-{k}@bench.example>" if inbound else None,
                        None,
                        None,
                    )

        copy(
            FollowUp._meta.db_table,
            (
                "ticket_id",
                "date",
                "title",
                "comment",
                "public",
                "user_id",
                "new_status",
                "message_id",
                "time_spent",
                "email_recipients",
            ),
            followups(),
        )
        with connection.cursor() as cursor:
            for model in (Ticket, FollowUp):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")

    def describe(self) -> None:
        total = Ticket.objects.count()
        opened = Ticket.objects.filter(status=Ticket.OPEN_STATUS).count()
        long = self.long_thread()
        queue = Queue.objects.filter(slug="bench0").first()
        self.stdout.write(
            f"peer: {total:,} tickets, {opened:,} open ({100 * opened / max(total, 1):.1f} %), "
            f"{FollowUp.objects.count():,} follow-ups, {Queue.objects.count()} queues; "
            f"agent {AGENT_USERNAME} / {AGENT_PASSWORD}; "
            f"8-follow-up ticket {long.pk if long else None}; queue bench0 id "
            f"{queue.pk if queue else None}"
        )

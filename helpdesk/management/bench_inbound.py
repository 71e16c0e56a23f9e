"""The email the bench ingests (its ingestion part, and scripts/paired.py):
the bench's channel, and Mailgun webhook posts of new emails and of the
customers' answers to them."""

import hashlib
import hmac
import time
from email.message import EmailMessage

from django.db import connection

from channels_inbound.models import EmailChannel, InboundItem
from conversations.models import EmailAddress, Message, Thread
from crm.models import Contact
from tickets.models import Pipeline, Ticket

from .bench_words import WORDS

SIGNING_KEY = "bench-signing-key"
ADDRESS = "support@bench.example"


def bench_channel() -> EmailChannel:
    """The email channel the bench's mail is addressed to."""
    address, _created = EmailAddress.objects.get_or_create(email=ADDRESS)
    pipeline = Pipeline.objects.order_by("position", "id").first()
    channel, _created = EmailChannel.objects.get_or_create(
        address=address,
        defaults={
            "pipeline": pipeline,
            "stage": pipeline.stages.filter(is_closed=False).first(),
        },
    )
    return channel


def vacuum() -> None:
    """The tables each message writes, cleared of the dead rows earlier runs
    left and analyzed, as autovacuum would have: it is off on some machines
    (bench_db.settle). A run after it measured 125 messages/s against
    154-171 after a VACUUM; the duplicate check took 1.4 ms a message, not
    0.3 ms, because the inbound rows, all done by then, had never been
    analyzed (issue 22). Inside a transaction (the test smoke run) only
    ANALYZE can run."""
    if connection.vendor != "postgresql":
        return
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for model in (InboundItem, Ticket, Thread, Message, Contact):
            cursor.execute(f"{command} {model._meta.db_table}")


def subject(stamp: str) -> str:
    """The start of the tickets' names of one run (`stamp`): what it deletes."""
    return f"Bench inbound {stamp}"


def webhook_post(kind: str, stamp: str, n: int, key: str = SIGNING_KEY) -> dict[str, str]:
    """The Mailgun webhook's form for email `n` of the run `stamp`: a new one
    ("in"), or ("re") the customer's answer to the new one of the same
    number. Its provider event id starts with `bench-{kind}-{stamp}`."""
    message = EmailMessage()
    message["From"] = f"Customer {n} <customer{n}@bench-customer{n % 50}.example>"
    message["To"] = ADDRESS
    message["Subject"] = f"{'Re: ' if kind == 're' else ''}{subject(stamp)} {n}"
    message["Message-ID"] = f"<bench-{kind}-{stamp}-{n}@bench.example>"
    if kind == "re":
        message["In-Reply-To"] = f"<bench-in-{stamp}-{n}@bench.example>"
        message["References"] = message["In-Reply-To"]
    message.set_content(" ".join(WORDS) + f" {n}")
    token, now = f"bench-{kind}-{stamp}-{n}", str(int(time.time()))
    signature = hmac.new(key.encode(), f"{now}{token}".encode(), hashlib.sha256)
    return {
        "body-mime": message.as_string(),
        "token": token,
        "timestamp": now,
        "signature": signature.hexdigest(),
    }

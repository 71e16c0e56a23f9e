"""The outbox against a real Celery worker on Redis and PostgreSQL: duplicate
deliveries of the send task (what a retry or a redelivery after a crash looks
like) still send every reply exactly once."""

import re
import time
from pathlib import Path

import pytest
from celery import Celery

from conversations import services
from conversations.models import OutboundEmail
from tests.celery_worker import (
    REDIS_URL,
    flush_redis,
    require_worker_setup,
    start_worker,
    stop_worker,
)
from tests.factories import EmailAddressFactory, TicketFactory


@pytest.fixture
def worker(transactional_db, tmp_path):
    require_worker_setup()
    flush_redis()
    process = start_worker(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path),
    )
    yield tmp_path
    stop_worker(process)


def sent_message_ids(folder: Path) -> list[str]:
    ids = []
    for file in folder.glob("*.log"):
        ids += re.findall(r"^Message-ID: (.+)$", file.read_text(), re.M)
    return ids


def test_duplicate_task_deliveries_send_each_reply_once(worker, agent, pipeline, monkeypatch):
    from conversations import tasks

    EmailAddressFactory()
    # Create the replies without their own after-commit send: this test enqueues.
    monkeypatch.setattr(tasks.send_outbound_email, "delay", lambda *args: None)
    outbound_ids = []
    for n in range(20):
        ticket = TicketFactory(pipeline=pipeline, name=f"Worker test {n}")
        message = services.reply_send(
            actor=agent, ticket=ticket, html=f"<p>reply {n}</p>", to=["c@customer.example"]
        )
        outbound_ids.append(message.outbound.pk)

    producer = Celery(broker=REDIS_URL, set_as_current=False)
    for _round in range(3):  # each task delivered three times, interleaved
        for pk in outbound_ids:
            producer.send_task("conversations.tasks.send_outbound_email", args=[pk])

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        done = OutboundEmail.objects.filter(status="sent").count()
        if done == len(outbound_ids):
            break
        time.sleep(0.5)
    time.sleep(2)  # let any duplicate that was going to happen happen
    assert OutboundEmail.objects.filter(status="sent").count() == 20
    ids = sent_message_ids(worker)
    assert len(ids) == 20
    assert len(set(ids)) == 20

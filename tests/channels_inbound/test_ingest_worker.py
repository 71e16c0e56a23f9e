"""Ingestion against a real Celery worker on Redis and PostgreSQL: 500 webhook
emails, the worker SIGKILLed half-way and restarted, and exactly 500 messages
come out, each once (issue 4, RELIABILITY 15 in small)."""

import hashlib
import hmac
import time

import pytest
from celery import Celery

from channels_inbound import tasks
from channels_inbound.models import InboundItem
from conversations.models import Message
from tests.celery_worker import (
    REDIS_URL,
    flush_redis,
    require_worker_setup,
    start_worker,
    stop_worker,
)
from tests.channels_inbound.mail import mail
from tests.factories import EmailAddressFactory, EmailChannelFactory

KEY = "worker-test-key"
COUNT = 500


def signed(n: int) -> dict:
    token, stamp = f"token-{n}", str(int(time.time()))
    signature = hmac.new(KEY.encode(), f"{stamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"token": token, "timestamp": stamp, "signature": signature}


@pytest.mark.django_db(transaction=True)
def test_500_webhook_emails_survive_a_worker_kill_each_stored_once(
    client, pipeline, settings, monkeypatch
):
    require_worker_setup()
    flush_redis()
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": KEY}
    EmailChannelFactory(
        address=EmailAddressFactory(email="support@helpdesk.example"), pipeline=pipeline
    )
    producer = Celery(broker=REDIS_URL, set_as_current=False)
    # The web side queues on the real broker (the test settings run tasks eagerly).
    monkeypatch.setattr(
        tasks.process_inbound_item,
        "delay",
        lambda pk: producer.send_task("channels_inbound.tasks.process_inbound_item", args=[pk]),
    )
    env = {"CELERY_VISIBILITY_TIMEOUT": "5"}
    worker = start_worker(**env)
    try:
        started = time.monotonic()
        for n in range(COUNT):
            raw = mail(subject=f"Load {n}", message_id=f"<load-{n}@acme.example>")
            response = client.post(
                "/inbound/email/mailgun/", {"body-mime": raw.decode(), **signed(n)}
            )
            assert response.status_code == 200
            if n == COUNT // 2:
                stop_worker(worker, kill=True)  # SIGKILL mid-way, tasks in flight
                worker = start_worker(**env)
        accepted = time.monotonic() - started
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if InboundItem.objects.filter(status="done").count() == COUNT:
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - started
    finally:
        stop_worker(worker)
    assert InboundItem.objects.count() == COUNT
    assert InboundItem.objects.filter(status="done").count() == COUNT
    ids = list(Message.objects.values_list("message_id", flat=True))
    assert len(ids) == COUNT and len(set(ids)) == COUNT
    print(f"\n{COUNT} webhooks accepted in {accepted:.1f} s, all stored in {elapsed:.1f} s")

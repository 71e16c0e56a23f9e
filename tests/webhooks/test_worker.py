"""Webhook deliveries through a real Celery worker on Redis and PostgreSQL:
tasks delivered twice and out of order (a redelivery, a beat that queued
them again) still post each event once, and each ticket's in order."""

import json
import time
from collections import defaultdict

import pytest
from celery import Celery

from tests.celery_worker import (
    REDIS_URL,
    flush_redis,
    require_worker_setup,
    start_worker,
    stop_worker,
)
from tests.factories import TicketFactory
from webhooks import events
from webhooks.models import Delivery, EventType, Subscription


@pytest.fixture
def worker(transactional_db):
    require_worker_setup()
    flush_redis()
    process = start_worker(concurrency=2, WEBHOOKS_ALLOW_PRIVATE="1")
    yield
    stop_worker(process)


def test_a_worker_posts_each_event_once_and_each_tickets_in_order(worker, receiver, pipeline):
    tickets = [TicketFactory(pipeline=pipeline, name=f"Order {n}") for n in range(3)]
    hook = Subscription.objects.create(name="Shop", url=receiver.url, events=[])
    ids = []
    for step in range(6):
        for ticket in tickets:
            data = {"ticket": events.ticket_data(ticket), "step": step}
            ids += [d.pk for d in events.record([hook], EventType.TICKET_UPDATED, data, ticket.pk)]
    producer = Celery(broker=REDIS_URL, set_as_current=False)
    for pk in [*reversed(ids), *ids]:  # newest first, then each again
        producer.send_task("webhooks.tasks.deliver", args=[pk])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if Delivery.objects.filter(status="succeeded").count() == len(ids):
            break
        time.sleep(0.3)
    time.sleep(1)  # a duplicate that was going to be posted is posted by now
    assert Delivery.objects.filter(status="succeeded").count() == len(ids)
    steps = defaultdict(list)
    for received in receiver.received:
        body = json.loads(received.body)
        steps[body["data"]["ticket"]["id"]].append(body["data"]["step"])
    assert len(receiver.received) == len(ids)
    assert {pk: list(s) for pk, s in steps.items()} == {t.pk: list(range(6)) for t in tickets}

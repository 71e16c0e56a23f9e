"""Redis down: requests still succeed and the sweeps queue the work later
(RELIABILITY 13)."""

import time

import pytest
from celery import Celery

from helpdesk.queue import enqueue


class Task:
    name = "tests.unreachable"

    def __init__(self):
        self.app = Celery(
            set_as_current=False,  # shared tasks must keep resolving to our app
            broker="redis://127.0.0.1:1/0",
            broker_connection_timeout=0.5,
            task_publish_retry_policy={"max_retries": 0},
        )

    def delay(self, *args):
        return self.app.send_task(self.name, args=args)


def test_an_unreachable_broker_is_logged_not_raised(caplog):
    started = time.perf_counter()
    assert enqueue(Task(), 7) is False
    assert time.perf_counter() - started < 5
    assert "not queued" in caplog.text


@pytest.mark.django_db
def test_a_webhook_is_stored_and_answered_while_redis_is_down(
    client, pipeline, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from channels_inbound import tasks
    from channels_inbound.models import InboundItem
    from tests.channels_inbound.mail import mail
    from tests.factories import EmailAddressFactory, EmailChannelFactory

    EmailChannelFactory(
        address=EmailAddressFactory(email="support@helpdesk.example"), pipeline=pipeline
    )
    down = Task()
    monkeypatch.setattr(tasks.process_inbound_item, "delay", down.delay)
    settings.ANYMAIL = {"WEBHOOK_SECRET": ["hook:s3cret"]}
    raw = mail(subject="While Redis is down")
    import json

    body = json.dumps({"RawEmail": raw.decode(), "MessageID": "pm-1", "From": "ana@acme.example"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/inbound/email/postmark/",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION="Basic aG9vazpzM2NyZXQ=",
        )
    assert response.status_code == 200
    item = InboundItem.objects.get()
    assert item.status == "pending"
    # Redis is back: the sweep queues what waited (eager here) and it is stored.
    monkeypatch.undo()
    InboundItem.objects.filter(pk=item.pk).update(
        received_at=item.received_at - tasks.STUCK_AFTER * 2
    )
    assert tasks.sweep_pending_inbound() == 1
    item.refresh_from_db()
    assert item.status == "done" and item.ticket.name == "While Redis is down"

"""Deliveries to a real local receiver: signed, retried after a failure with
back-off, in order per ticket, given up after about a day, switched off with
an email to the admins after repeated failures, sent again from the log."""

import datetime
import itertools
import json

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from tests.factories import UserFactory
from tests.webhooks.test_signing import verify
from tickets import services
from webhooks import delivery as sending
from webhooks import events
from webhooks.models import Delivery, EventType, Subscription


def one(ticket, event=EventType.TICKET_UPDATED, subscription=None):
    """Record an event for the ticket as a change would."""
    subs = [subscription] if subscription else list(Subscription.objects.all())
    return events.record(subs, event, {"ticket": events.ticket_data(ticket)}, ticket.pk)[0]


def test_a_delivery_is_posted_signed_and_logged(subscription, receiver, ticket):
    delivery = one(ticket)
    assert sending.deliver(delivery.pk) == "succeeded"
    [got] = receiver.received
    assert got.path == "/hooks/"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["webhook-id"] == delivery.message_id
    assert abs(int(got.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 5
    assert verify(subscription.secret, got.headers, got.body)
    body = json.loads(got.body)
    assert body["type"] == "ticket.updated" and body["version"] == 1
    assert body["data"]["ticket"]["id"] == ticket.pk
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.last_status_code == 200 and delivery.last_response == "ok"
    assert delivery.last_duration_ms is not None and delivery.finished_at
    assert delivery.tries.count() == 1


def test_a_500_is_retried_with_back_off_and_then_succeeds(subscription, receiver, ticket):
    receiver.answer(500, b"database down")
    delivery = one(ticket)
    assert sending.deliver(delivery.pk) == "retrying"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.last_status_code == 500 and delivery.last_response == "database down"
    wait = delivery.next_attempt_at - timezone.now()
    assert datetime.timedelta(seconds=25) < wait <= datetime.timedelta(seconds=30)
    # Not due yet: neither the task nor the beat sends it.
    assert sending.deliver(delivery.pk) == "skipped"
    assert sending.send_due() == 0
    with time_machine.travel(delivery.next_attempt_at + datetime.timedelta(seconds=1)):
        assert sending.send_due() == 1  # queued (eager: sent at once)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED and delivery.attempts == 2
    assert len(receiver.received) == 2
    # Every try carries the same message id (the receiver can drop a duplicate).
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    subscription.refresh_from_db()
    assert subscription.failures == 0 and subscription.failing_since is None


def test_the_waits_grow_and_it_gives_up_after_about_a_day(subscription, receiver, ticket, settings):
    settings.HELPDESK_WEBHOOK_DISABLE_AFTER_FAILURES = 1000
    schedule = settings.HELPDESK_WEBHOOK_RETRY_SCHEDULE
    assert all(a <= b for a, b in itertools.pairwise(schedule)) and schedule[0] < schedule[-1]
    total = datetime.timedelta(seconds=sum(schedule))
    assert datetime.timedelta(hours=20) < total < datetime.timedelta(hours=26)
    receiver.answer(503, times=len(schedule) + 1)
    delivery = one(ticket)
    now = timezone.now()
    outcomes = []
    with time_machine.travel(now, tick=False) as clock:
        for _ in range(len(schedule) + 1):
            outcomes.append(sending.deliver(delivery.pk))
            delivery.refresh_from_db()
            clock.move_to(delivery.next_attempt_at + datetime.timedelta(seconds=1))
    assert outcomes == ["retrying"] * len(schedule) + ["failed"]
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == len(schedule) + 1


def test_a_tickets_events_arrive_in_order_each_waiting_for_the_one_before(
    subscription, receiver, ticket, pipeline, django_capture_on_commit_callbacks
):
    other = services.ticket_create(
        actor=None, name="Other", pipeline=pipeline, stage=pipeline.stages.first()
    )
    Delivery.objects.all().delete()  # its creation's
    receiver.answer(500)
    first, second, third = one(ticket), one(ticket), one(ticket)
    other_ticket_delivery = one(other)
    # The second and third wait while the first is pending (the first fails).
    assert sending.deliver(first.pk) == "retrying"
    assert sending.deliver(second.pk) == "skipped"
    assert sending.deliver(third.pk) == "skipped"
    # The beat sends only another ticket's delivery: it does not wait for this one's.
    assert sending.send_due() == 1
    other_ticket_delivery.refresh_from_db()
    assert other_ticket_delivery.status == Delivery.Status.SUCCEEDED
    first.refresh_from_db()
    with (
        time_machine.travel(first.next_attempt_at + datetime.timedelta(seconds=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        # The first succeeds and queues the second, which queues the third.
        assert sending.deliver(first.pk) == "succeeded"
    ids = [r.headers["webhook-id"] for r in receiver.received]
    mine = [i for i in ids if i != other_ticket_delivery.message_id]
    assert mine == [first.message_id, first.message_id, second.message_id, third.message_id]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}


def test_a_delivery_that_gave_up_lets_the_next_one_go(subscription, receiver, ticket, settings):
    settings.HELPDESK_WEBHOOK_RETRY_SCHEDULE = ()
    settings.HELPDESK_WEBHOOK_DISABLE_AFTER_FAILURES = 1000
    receiver.answer(500)
    first, second = one(ticket), one(ticket)
    assert sending.deliver(first.pk) == "failed"
    assert sending.deliver(second.pk) == "succeeded"


def test_repeated_failures_switch_the_webhook_off_and_email_the_admins(
    subscription, receiver, ticket, settings, django_capture_on_commit_callbacks
):
    settings.HELPDESK_WEBHOOK_DISABLE_AFTER_FAILURES = 3
    settings.HELPDESK_WEBHOOK_DISABLE_AFTER_HOURS = 1
    admin = UserFactory(role="super_admin", email="boss@example.com", language="de")
    UserFactory(email="agent@example.com")  # an agent is not told
    receiver.answer(500, b"no", times=10)
    start = timezone.now()
    tickets = [ticket] + [
        services.ticket_create(
            actor=None, name=f"T{n}", pipeline=ticket.pipeline, stage=ticket.stage
        )
        for n in range(3)
    ]
    Delivery.objects.all().delete()  # their creations'
    first, *others = [one(t) for t in tickets]
    with django_capture_on_commit_callbacks(execute=True):
        for delivery in [first, *others[:2]]:
            sending.deliver(delivery.pk)
        subscription.refresh_from_db()
        assert subscription.failures == 3 and subscription.is_active  # not an hour yet
        with time_machine.travel(start + datetime.timedelta(hours=1, minutes=1)):
            sending.deliver(others[2].pk)
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.failures == 4
    assert "4" in subscription.disabled_reason
    [email] = mail.outbox
    assert email.to == [admin.email]
    assert "Shop" in email.subject and "abgeschaltet" in email.subject  # in the admin's language
    assert receiver.url in email.body
    # Off: nothing more is sent, even when due.
    sent = len(receiver.received)
    with time_machine.travel(start + datetime.timedelta(days=1)):
        assert sending.send_due() == 0
        assert sending.deliver(first.pk) == "skipped"
    assert len(receiver.received) == sent


def test_send_again_posts_the_same_body_and_id_as_a_new_log_line(subscription, receiver, ticket):
    delivery = one(ticket)
    sending.deliver(delivery.pk)
    again = sending.send_again(delivery)
    assert sending.deliver(again.pk) == "succeeded"
    first, second = receiver.received
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert again.resent_from == delivery and Delivery.objects.count() == 2


def test_while_a_secret_rotates_both_secrets_sign(subscription, receiver, ticket):
    old = subscription.secret
    subscription.previous_secret = old
    subscription.previous_secret_until = timezone.now() + datetime.timedelta(hours=24)
    subscription.secret = "whsec_" + "QUJD" * 8
    subscription.save()
    sending.deliver(one(ticket).pk)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=25)):
        sending.deliver(one(ticket).pk)
    during, after = receiver.received
    assert len(during.headers["webhook-signature"].split()) == 2
    assert verify(old, during.headers, during.body)
    assert verify(subscription.secret, during.headers, during.body)
    assert len(after.headers["webhook-signature"].split()) == 1
    assert not verify(old, after.headers, after.body)


def test_a_slow_receiver_times_out_and_is_retried(subscription, receiver, ticket, settings):
    settings.HELPDESK_WEBHOOK_READ_TIMEOUT = 0.3
    receiver.answer(200, b"late", delay=1.0)
    delivery = one(ticket)
    assert sending.deliver(delivery.pk) == "retrying"
    delivery.refresh_from_db()
    assert delivery.last_status_code is None
    assert delivery.last_error == "No answer in time."
    assert delivery.last_duration_ms < 900


def test_a_closed_port_is_a_failed_try_not_a_crash(subscription, ticket, settings):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    Subscription.objects.filter(pk=subscription.pk).update(url=f"http://127.0.0.1:{port}/")
    delivery = one(ticket)
    assert sending.deliver(delivery.pk) == "retrying"
    delivery.refresh_from_db()
    assert delivery.last_error == "The connection was refused."


def test_a_redirect_is_not_followed(subscription, receiver, ticket):
    receiver.answer(302)
    delivery = one(ticket)
    assert sending.deliver(delivery.pk) == "retrying"
    assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert delivery.last_status_code == 302 and "302" in delivery.last_error


def test_a_long_answer_is_kept_only_at_its_start(subscription, receiver, ticket):
    receiver.answer(200, b"x" * 200_000)
    delivery = one(ticket)
    assert sending.deliver(delivery.pk) == "succeeded"
    delivery.refresh_from_db()
    assert delivery.last_response == "x" * 500


def test_a_crashed_worker_lets_go_when_its_lease_ends(subscription, receiver, ticket):
    delivery = one(ticket)
    now = timezone.now()
    assert sending.claim(delivery.pk, now) is not None  # taken, then the worker died
    assert sending.deliver(delivery.pk) == "skipped"
    with time_machine.travel(now + sending.lease() + datetime.timedelta(seconds=1)):
        assert sending.send_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED


def test_old_finished_deliveries_are_purged(subscription, receiver, ticket, settings):
    kept, old = one(ticket), one(ticket)
    sending.deliver(kept.pk)
    sending.deliver(old.pk)
    Delivery.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - datetime.timedelta(days=settings.HELPDESK_WEBHOOK_LOG_DAYS + 1)
    )
    assert sending.purge_old() >= 1
    assert list(Delivery.objects.values_list("pk", flat=True)) == [kept.pk]


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_every_2xx_is_a_success(subscription, receiver, ticket, status):
    receiver.answer(status)
    assert sending.deliver(one(ticket).pk) == "succeeded"

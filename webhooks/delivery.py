"""Sending deliveries (the worker, never a request).

1. `deliver(id)` claims the delivery with a conditional UPDATE (a lease, so a
   task that runs twice, or two at once, sends once; a worker that dies lets
   go when the lease ends) but only when it is due and no earlier delivery of
   the same ticket to the same subscription is pending: a ticket's events
   arrive in order, each waiting until the one before succeeded or gave up.
2. It signs and posts (`safehttp.post`), records the try, and then either
   finishes (2xx), or schedules the next try after RETRY_SCHEDULE, or gives
   up when the schedule is spent (about a day). A finished delivery queues the
   next one of its ticket.
3. Failed tries in a row count on the subscription; when they reach
   HELPDESK_WEBHOOK_DISABLE_AFTER_FAILURES over at least
   HELPDESK_WEBHOOK_DISABLE_AFTER_HOURS, the subscription is switched off
   and the admins are emailed. Any success resets the count.
4. The beat (`send_due`) queues what is due: retries, and deliveries whose
   task was lost (a broker outage, a crash).
"""

import datetime
import logging
import time

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from helpdesk.queue import enqueue

from . import safehttp, signing
from .events import queue_after_commit
from .models import Attempt, Delivery, Subscription

log = logging.getLogger(__name__)

RESPONSE_KEPT = 500  # characters of the answer kept in the log
SWEEP_BATCH = 500


def retry_schedule() -> list[int]:
    """Seconds to wait after each failed try; its length + 1 is the number of tries."""
    return list(settings.HELPDESK_WEBHOOK_RETRY_SCHEDULE)


def lease() -> datetime.timedelta:
    timeouts = settings.HELPDESK_WEBHOOK_CONNECT_TIMEOUT + settings.HELPDESK_WEBHOOK_READ_TIMEOUT
    return datetime.timedelta(seconds=timeouts * 2 + 30)


def earlier_pending():
    """Whether an earlier delivery of the same ticket and subscription waits."""
    return Exists(
        Delivery.objects.filter(
            subscription_id=OuterRef("subscription_id"),
            ticket_id=OuterRef("ticket_id"),
            status=Delivery.Status.PENDING,
            pk__lt=OuterRef("pk"),
        )
    )


def claim(delivery_id: int, now: datetime.datetime) -> Delivery | None:
    """Take the delivery for one try, or None when it is not ours to send now."""
    claimed = (
        Delivery.objects.filter(
            pk=delivery_id,
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=now,
            subscription__is_active=True,
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(Q(ticket_id__isnull=True) | ~earlier_pending())
        .update(claimed_until=now + lease())
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("subscription").get(pk=delivery_id)


def deliver(delivery_id: int) -> str:
    """One try of a delivery. Returns what became of it: "succeeded",
    "retrying", "failed" (gave up) or "skipped" (not due, not first, taken)."""
    now = timezone.now()
    delivery = claim(delivery_id, now)
    if delivery is None:
        return "skipped"
    subscription = delivery.subscription
    body = delivery.payload.encode()
    timestamp = int(time.time())
    headers = signing.headers(subscription.secrets(), delivery.message_id, timestamp, body)
    attempt = Attempt(delivery=delivery, at=now)
    try:
        answer = safehttp.post(subscription.url, body, headers)
    except safehttp.Refused as refused:
        attempt.error = str(refused)[:RESPONSE_KEPT]
    except Exception as error:  # a timeout, a refused connection, a broken answer
        attempt.error = _describe(error)
        attempt.duration_ms = round((timezone.now() - now).total_seconds() * 1000)
    else:
        attempt.status_code = answer.status
        attempt.duration_ms = answer.duration_ms
        attempt.response = answer.body.decode("utf-8", "replace")[:RESPONSE_KEPT]
        if not 200 <= answer.status < 300:
            attempt.error = _("The receiver answered %(status)d.") % {"status": answer.status}
    return _record(delivery, attempt)


def _describe(error: Exception) -> str:
    if isinstance(error, TimeoutError):
        return _("No answer in time.")
    if isinstance(error, ConnectionRefusedError):
        return _("The connection was refused.")
    return f"{type(error).__name__}: {error}"[:RESPONSE_KEPT]


def _record(delivery: Delivery, attempt: Attempt) -> str:
    ok = not attempt.error
    now = timezone.now()
    with transaction.atomic():
        attempt.save()
        tries = (
            Delivery.objects.select_for_update()
            .values_list("attempts", flat=True)
            .get(pk=delivery.pk)
            + 1
        )
        schedule = retry_schedule()
        fields = {
            "attempts": tries,
            "claimed_until": None,
            "last_status_code": attempt.status_code,
            "last_duration_ms": attempt.duration_ms,
            "last_response": attempt.response,
            "last_error": attempt.error[:500],
        }
        if ok:
            outcome = "succeeded"
            fields.update(status=Delivery.Status.SUCCEEDED, finished_at=now)
        elif tries > len(schedule):
            outcome = "failed"
            fields.update(status=Delivery.Status.FAILED, finished_at=now)
        else:
            outcome = "retrying"
            wait = datetime.timedelta(seconds=schedule[tries - 1])
            fields.update(next_attempt_at=now + wait)
        Delivery.objects.filter(pk=delivery.pk).update(**fields)
        _count(delivery.subscription, ok, now)
        if outcome != "retrying" and delivery.ticket_id is not None:
            _queue_next(delivery)
    return outcome


def _queue_next(delivery: Delivery) -> None:
    following = (
        Delivery.objects.filter(
            subscription_id=delivery.subscription_id,
            ticket_id=delivery.ticket_id,
            status=Delivery.Status.PENDING,
        )
        .order_by("id")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        queue_after_commit([following])


def _count(subscription: Subscription, ok: bool, now: datetime.datetime) -> None:
    """Count the try on its subscription (locked: tries of several tickets
    finish at once); switch it off after repeated failures."""
    if ok:
        Subscription.objects.filter(pk=subscription.pk).exclude(failures=0).update(
            failures=0, failing_since=None
        )
        return
    row = Subscription.objects.select_for_update().get(pk=subscription.pk)
    row.failures += 1
    row.failing_since = row.failing_since or now
    fields = ["failures", "failing_since"]
    failing_for = now - row.failing_since
    if (
        row.is_active
        and row.failures >= settings.HELPDESK_WEBHOOK_DISABLE_AFTER_FAILURES
        and failing_for >= datetime.timedelta(hours=settings.HELPDESK_WEBHOOK_DISABLE_AFTER_HOURS)
    ):
        row.is_active = False
        # Kept for the log in English; the settings and the email say it in
        # the reader's language (Subscription.disabled_text).
        row.disabled_reason = (
            f"{row.failures} failed tries in a row since {row.failing_since:%Y-%m-%d %H:%M} UTC"
        )
        fields += ["is_active", "disabled_reason", "updated_at"]
        log.warning("webhook %s switched off: %s", row.pk, row.disabled_reason)
        pk = row.pk
        transaction.on_commit(lambda: enqueue("webhooks.tasks.tell_admins_disabled", pk))
    row.save(update_fields=fields)


def tell_admins_disabled(subscription_id: int) -> int:
    """Email every active super admin that a webhook was switched off, each
    in their language. Returns how many were emailed."""
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None or subscription.is_active:
        return 0
    admins = User.objects.filter(is_active=True, role=User.Role.SUPER_ADMIN).exclude(email="")
    url = settings.HELPDESK_BASE_URL.rstrip("/") + reverse(
        "admin:webhooks_subscription_change", args=[subscription.pk]
    )
    sent = 0
    for admin in admins:
        with translation.override(admin.language or settings.LANGUAGE_CODE):
            subject = _("Webhook “%(name)s” was switched off") % {"name": subscription.name}
            text = _(
                "The webhook “%(name)s” (%(url)s) failed %(count)d times in a row, so the help "
                "desk stopped sending to it.\n\n%(reason)s\n\nThe last error: %(error)s\n\n"
                "Once the receiver works again, switch the webhook back on; its waiting "
                "deliveries are then sent in order. Settings: %(settings)s\n"
            ) % {
                "name": subscription.name,
                "url": subscription.url,
                "count": subscription.failures,
                "reason": subscription.disabled_text(),
                "error": _last_error(subscription) or "—",
                "settings": url,
            }
        send_mail(subject, text, None, [admin.email])
        sent += 1
    return sent


def _last_error(subscription: Subscription) -> str:
    return (
        Attempt.objects.filter(delivery__subscription=subscription)
        .order_by("-id")
        .values_list("error", flat=True)
        .first()
        or ""
    )


def send_due(now: datetime.datetime | None = None) -> int:
    """Beat: queue the deliveries whose try is due and that are first of their
    ticket's queue (retries; tasks lost to an outage). Returns how many."""
    now = now or timezone.now()
    due = list(
        Delivery.objects.filter(
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=now,
            subscription__is_active=True,
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(Q(ticket_id__isnull=True) | ~earlier_pending())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for pk in due:
        enqueue("webhooks.tasks.deliver", pk)
    return len(due)


def send_again(delivery: Delivery) -> Delivery:
    """A new delivery of the same body (the admin's "send again"): the same
    event to the same URL, signed anew, behind the ticket's other waiting
    deliveries. It keeps the message id, as the specification asks of every
    send of one message: a receiver that already handled it can tell."""
    again = Delivery.objects.create(
        subscription_id=delivery.subscription_id,
        event=delivery.event,
        ticket_id=delivery.ticket_id,
        message_id=delivery.message_id,
        payload=delivery.payload,
        resent_from=delivery,
    )
    queue_after_commit([again.pk])
    return again


def purge_old(now: datetime.datetime | None = None) -> int:
    """Beat (daily): finished deliveries older than HELPDESK_WEBHOOK_LOG_DAYS go."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.HELPDESK_WEBHOOK_LOG_DAYS)
    removed, _counts = Delivery.objects.filter(
        finished_at__lt=cutoff, status__in=[Delivery.Status.SUCCEEDED, Delivery.Status.FAILED]
    ).delete()
    return removed

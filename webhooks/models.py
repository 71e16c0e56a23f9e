"""Outgoing webhooks (issue 18): an admin's subscription of a URL to events,
and the log of what was sent to it.

A `Delivery` is one event for one subscription: its body is built and stored
when the event happens (a snapshot, in the transaction of the change), then
the worker sends it, retrying with back-off, and records each try as an
`Attempt`. A ticket's deliveries to one subscription go out in the order of
their ids: one waits while an earlier one of the same ticket is pending."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import signing


class EventType(models.TextChoices):
    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_UPDATED = "ticket.updated", _("Ticket updated")
    TICKET_CLOSED = "ticket.closed", _("Ticket closed")
    TICKET_DELETED = "ticket.deleted", _("Ticket deleted")
    MESSAGE_RECEIVED = "message.received", _("Message received")
    MESSAGE_SENT = "message.sent", _("Message sent")
    COMMENT_ADDED = "comment.added", pgettext_lazy("webhook event", "Comment added")
    SLA_DUE_SOON = "sla.due_soon", _("SLA due soon")
    SLA_OVERDUE = "sla.overdue", _("SLA overdue")
    RULE_FIRED = "rule.fired", _("Rule fired")


# Sent without being subscribed to: a rule's "Send a webhook" action and the
# admin's test event.
RULE_ACTION = "rule.action"
PING = "webhook.test"


def new_secret() -> str:
    return signing.generate_secret()


class Subscription(models.Model):
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("URL"),
        max_length=2000,
        help_text=_("Where events are posted (HTTPS recommended)."),
    )
    events = models.JSONField(_("events"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    secret = models.CharField(_("signing secret"), max_length=100, default=new_secret)
    # While a secret is rotated, the previous one signs too (two signatures)
    # until this time, so receivers can switch at their pace.
    previous_secret = models.CharField(_("previous secret"), max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(
        _("previous secret signs until"), null=True, blank=True
    )
    # Failed tries in a row, and since when; a success resets both.
    failures = models.PositiveIntegerField(_("failed tries in a row"), default=0)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    disabled_reason = models.CharField(_("why it was switched off"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last modified"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.name

    def disabled_text(self) -> str:
        """Why the worker switched it off, in the reader's language; "" when it did not."""
        if self.is_active or not self.disabled_reason or self.failing_since is None:
            return ""
        since = timezone.localtime(self.failing_since).strftime("%Y-%m-%d %H:%M")
        return _("Switched off after %(count)d failed tries in a row since %(since)s.") % {
            "count": self.failures,
            "since": since,
        }

    def secrets(self, now=None) -> list[str]:
        """The secrets that sign now: the current one, and the previous one
        while its rotation lasts."""
        now = now or timezone.now()
        found = [self.secret]
        if self.previous_secret and self.previous_secret_until and self.previous_secret_until > now:
            found.append(self.previous_secret)
        return found


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("webhook delivery", "Pending")
        SUCCEEDED = "succeeded", pgettext_lazy("webhook delivery", "Delivered")
        FAILED = "failed", pgettext_lazy("webhook delivery", "Gave up")

    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("webhook"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.CharField(_("event"), max_length=40)
    # The ticket's id, not a key: the log outlives a purged ticket.
    ticket_id = models.BigIntegerField(_("ticket"), null=True, blank=True)
    # The Standard Webhooks message id: the same for every try of this
    # delivery, and for a delivery sent again from it.
    message_id = models.CharField(_("message id"), max_length=40, db_index=True)
    payload = models.TextField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    next_attempt_at = models.DateTimeField(_("next try"), default=timezone.now)
    # A worker that takes the delivery holds it until then (a crash lets go).
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("response status"), null=True)
    last_duration_ms = models.PositiveIntegerField(_("response time (ms)"), null=True)
    last_response = models.CharField(_("response body start"), max_length=500, blank=True)
    last_error = models.CharField(_("error"), max_length=500, blank=True)
    resent_from = models.ForeignKey(
        "self",
        verbose_name=_("sent again from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The head of a ticket's queue, and the sweep of what is due.
            models.Index(
                fields=["subscription", "ticket_id", "id"],
                name="webhook_delivery_pending_queue",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_pending_due",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk}"


class Attempt(models.Model):
    """One try of a delivery: what came back, or why nothing did."""

    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="tries"
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("response status"), null=True)
    duration_ms = models.PositiveIntegerField(_("response time (ms)"), null=True)
    response = models.CharField(_("response body start"), max_length=500, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("try")
        verbose_name_plural = _("tries")

    def __str__(self) -> str:
        return f"{self.delivery_id} @ {self.at:%Y-%m-%d %H:%M:%S}"

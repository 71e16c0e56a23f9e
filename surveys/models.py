"""Satisfaction surveys (CSAT, issue 20): per pipeline settings, and one row
per survey planned, sent or skipped, holding the customer's answer."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models import Contact
from tickets.models import Pipeline, Ticket


class Scale(models.TextChoices):
    GOOD_BAD = "good_bad", _("Good or bad")
    FIVE = "five", _("1 to 5")


# The answers of each scale, best last; the bad ones notify the owner.
ANSWERS = {
    Scale.GOOD_BAD: ["bad", "good"],
    Scale.FIVE: ["1", "2", "3", "4", "5"],
}
BAD = {"bad", "1", "2"}


class SurveySettings(models.Model):
    """Whether, when and how a pipeline's closed tickets ask for a rating."""

    pipeline = models.OneToOneField(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="+"
    )
    enabled = models.BooleanField(_("send satisfaction surveys"), default=True)
    delay_minutes = models.PositiveIntegerField(
        _("minutes after closing"),
        default=60,
        help_text=_("A ticket reopened within this time gets no survey."),
    )
    channels = models.JSONField(
        _("channels"),
        default=list,
        blank=True,
        help_text=_("Tickets from these channels only; none chosen: every channel."),
    )
    scale = models.CharField(_("scale"), max_length=10, choices=Scale, default=Scale.GOOD_BAD)
    answer_days = models.PositiveIntegerField(_("answers can change for (days)"), default=7)
    once_per_days = models.PositiveIntegerField(
        _("at most one survey per contact in (days)"), default=30
    )
    reopen_on_bad = models.BooleanField(_("reopen the ticket on a bad rating"), default=False)

    class Meta:
        verbose_name = _("satisfaction survey settings")
        verbose_name_plural = _("satisfaction survey settings")

    def __str__(self) -> str:
        return str(self.pipeline)

    def takes(self, source: str) -> bool:
        return not self.channels or source in self.channels


class Survey(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not sent")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="surveys")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField(blank=True)
    scale = models.CharField(max_length=10, choices=Scale, default=Scale.GOOD_BAD)
    status = models.CharField(max_length=10, choices=Status, default=Status.SCHEDULED)
    # Why it was not sent (for an admin reading the table).
    skip_reason = models.CharField(max_length=200, blank=True)
    send_after = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # Until when the customer can answer or change the answer.
    answer_until = models.DateTimeField(null=True, blank=True)
    rating = models.CharField(max_length=10, blank=True)
    comment = models.TextField(blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        indexes = [
            models.Index(
                fields=["send_after"],
                name="survey_due",
                condition=Q(status="scheduled"),
            ),
            models.Index(fields=["contact", "sent_at"], name="survey_contact_sent"),
            models.Index(fields=["ticket", "rated_at"], name="survey_ticket_rated"),
        ]

    def __str__(self) -> str:
        return f"survey {self.pk} on {self.ticket_id}"

    @property
    def is_bad(self) -> bool:
        return self.rating in BAD

    @property
    def answers(self) -> list[str]:
        return ANSWERS[Scale(self.scale)]

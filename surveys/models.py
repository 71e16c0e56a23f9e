"""Satisfaction surveys (CSAT, issue 20): per pipeline settings, and one row
per survey planned, sent or skipped, holding the customer's answer."""

from django.db import models
from django.db.models import Exists, OuterRef, Q
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
GOOD = {"good", "4", "5"}
# The answers in three groups, as the reports and the ticket table read them
# (a 3 on the five-point scale is neither).
RATING_GROUPS = {"good": GOOD, "neutral": {"3"}, "bad": BAD}


def rating_group(rating: str) -> str:
    """ "good", "neutral" or "bad" (empty while unanswered)."""
    return next((group for group, answers in RATING_GROUPS.items() if rating in answers), "")


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


class SurveyQuerySet(models.QuerySet):
    def current(self) -> "SurveyQuerySet":
        """Each ticket's survey: the latest one sent (a ticket closed again
        after a survey may be asked again). The reports and the ticket
        table's satisfaction filters read these, so a ticket is counted
        once, with one rating, and its drill-down shows exactly it."""
        later = Survey.objects.filter(
            ticket_id=OuterRef("ticket_id"), sent_at__isnull=False
        ).filter(
            Q(sent_at__gt=OuterRef("sent_at"))
            | Q(sent_at=OuterRef("sent_at"), id__gt=OuterRef("id"))
        )
        return self.filter(sent_at__isnull=False).exclude(Exists(later))


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

    objects = SurveyQuerySet.as_manager()

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
            # The reports: ratings and surveys sent over a period, read from
            # the index (the ticket joins by its key; whether a later survey
            # was sent reads the ticket's few surveys by its foreign key).
            models.Index(
                fields=["rated_at"],
                name="survey_rated",
                condition=Q(rated_at__isnull=False),
                include=["ticket", "rating", "sent_at"],
            ),
            models.Index(
                fields=["sent_at"],
                name="survey_sent",
                condition=Q(sent_at__isnull=False),
                include=["ticket", "rating"],
            ),
        ]

    def __str__(self) -> str:
        return f"survey {self.pk} on {self.ticket_id}"

    @property
    def is_bad(self) -> bool:
        return self.rating in BAD

    @property
    def is_good(self) -> bool:
        return self.rating in GOOD

    @property
    def answers(self) -> list[str]:
        return ANSWERS[Scale(self.scale)]

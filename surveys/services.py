"""Satisfaction surveys: planned when a ticket closes, sent by the worker
when due, answered by signed links (issue 20).

Rules a survey keeps, checked when it is due (things change after closing):
the ticket is still closed, not spam or deleted; the pipeline still asks;
the contact has an address that has not bounced; the contact's latest
message on the ticket was not automatic (an auto-submitted address gets no
survey, RFC 3834); and the contact had no other survey within the
pipeline's "once per" days. Chat tickets are not emailed: their survey is
asked inside the chat window once due (surveys/widget.py).
"""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from conversations.models import Message, Notification
from conversations.notifications import notify
from helpdesk.queue import enqueue
from tickets import services as ticket_services
from tickets.access import users_who_see
from tickets.models import Source, Ticket, TicketEvent

from .emails import survey_email_send
from .models import BAD, Survey, SurveySettings

log = logging.getLogger(__name__)

SEND = "surveys.tasks.send_survey"
MAX_COMMENT = 5000
# A survey whose email failed is tried again after this long (by the beat).
RETRY_AFTER = datetime.timedelta(minutes=5)


def survey_plan(ticket: Ticket) -> Survey | None:
    """On closing `ticket` (inside the close's transaction): plan its survey
    when the pipeline asks for one and the ticket's channel is among its
    channels. Sent by the worker after the delay (at once for none)."""
    config = SurveySettings.objects.filter(pipeline_id=ticket.pipeline_id, enabled=True).first()
    if config is None or not config.takes(ticket.source):
        return None
    contact = _customer(ticket)
    survey = Survey.objects.create(
        ticket=ticket,
        contact=contact,
        email=contact.email if contact else "",
        scale=config.scale,
        send_after=timezone.now() + datetime.timedelta(minutes=config.delay_minutes),
    )
    if not config.delay_minutes:
        transaction.on_commit(lambda: enqueue(SEND, survey.pk))
    return survey


def _customer(ticket: Ticket):
    """Who is asked: the writer of the ticket's latest customer message, else
    its first contact."""
    latest = (
        Message.objects.filter(
            ticket=ticket,
            direction=Message.Direction.INBOUND,
            kind=Message.Kind.MESSAGE,
            contact__isnull=False,
        )
        .select_related("contact")
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is not None:
        return latest.contact
    return ticket.contacts.order_by("id").first()


def refusal(survey: Survey, config: SurveySettings | None, now: datetime.datetime) -> str:
    """Why `survey` may not be sent now; empty when it may."""
    ticket = survey.ticket
    if ticket.deleted_at is not None or ticket.is_spam or ticket.merged_into_id:
        return "the ticket was deleted, merged or marked as spam"
    if ticket.is_open:
        return "the ticket was reopened"
    if config is None or not config.enabled:
        return "the pipeline no longer sends surveys"
    contact = survey.contact
    if in_widget(survey):
        # Asked in the chat window: no address to check; a known visitor
        # still gets one survey per period.
        return _recently_surveyed(survey, contact, config, now) if contact else ""
    if contact is None or not survey.email:
        return "no contact with an email address"
    if contact.email_bounced_at is not None:
        return "the address bounced"
    latest = (
        Message.objects.filter(ticket=ticket, contact=contact, direction=Message.Direction.INBOUND)
        .order_by("-created_at", "-id")
        .values_list("is_automatic", flat=True)
        .first()
    )
    if latest:
        return "the contact's latest message was automatic"
    return _recently_surveyed(survey, contact, config, now)


def _recently_surveyed(survey, contact, config, now) -> str:
    since = now - datetime.timedelta(days=config.once_per_days)
    if (
        Survey.objects.filter(contact=contact, status=Survey.Status.SENT, sent_at__gte=since)
        .exclude(pk=survey.pk)
        .exists()
    ):
        return f"the contact had a survey within {config.once_per_days} days"
    return ""


def in_widget(survey: Survey) -> bool:
    """Chat tickets are asked inside the chat window (surveys/widget.py)."""
    return survey.ticket.source == Source.CHAT


def survey_send(survey_id: int, now: datetime.datetime | None = None) -> bool:
    """Send survey `survey_id` if it is due and the rules allow; True when sent."""
    now = now or timezone.now()
    with transaction.atomic():
        survey = (
            Survey.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("ticket", "contact")
            .filter(pk=survey_id, status=Survey.Status.SCHEDULED, send_after__lte=now)
            .first()
        )
        if survey is None:
            return False
        config = SurveySettings.objects.filter(pipeline_id=survey.ticket.pipeline_id).first()
        reason = refusal(survey, config, now)
        if reason:
            survey.status, survey.skip_reason = Survey.Status.SKIPPED, reason
            survey.save(update_fields=["status", "skip_reason"])
            return False
        survey.status, survey.sent_at = Survey.Status.SENT, now
        survey.answer_until = now + datetime.timedelta(days=config.answer_days)
        survey.save(update_fields=["status", "sent_at", "answer_until"])
    if in_widget(survey):
        return True  # the chat window asks from now on
    try:
        survey_email_send(survey)
    except Exception:
        # Not sent: back to scheduled, tried again by the beat.
        survey.status, survey.sent_at, survey.answer_until = Survey.Status.SCHEDULED, None, None
        survey.send_after = now + RETRY_AFTER
        # Saved, not updated: the reports' facts follow the survey's saves.
        survey.save(update_fields=["status", "sent_at", "answer_until", "send_after"])
        log.warning("survey %s not sent; tried again later", survey.pk, exc_info=True)
        return False
    return True


def surveys_send_due(now: datetime.datetime | None = None, batch: int = 200) -> int:
    """The beat's part: every scheduled survey now due."""
    now = now or timezone.now()
    due = Survey.objects.filter(status=Survey.Status.SCHEDULED, send_after__lte=now)
    return sum(survey_send(pk, now) for pk in due.values_list("pk", flat=True)[:batch])


class SurveyClosed(Exception):
    """The survey's answer deadline has passed."""


def survey_rate(*, survey: Survey, rating: str, comment: str | None = None) -> Survey:
    """Record the customer's answer (and comment, when given). The same answer
    again changes nothing (a second click, a reloaded page); a new one
    replaces it, on the timeline too. A rating that turns bad tells the
    owner, and reopens the ticket where the pipeline says so."""
    if rating not in survey.answers:
        raise ValidationError({"rating": _("Choose one of the answers.")})
    comment = None if comment is None else comment.replace("\x00", "").strip()
    if comment is not None and len(comment) > MAX_COMMENT:
        raise ValidationError(
            {"comment": _("Keep your comment under %(limit)d characters.") % {"limit": MAX_COMMENT}}
        )
    with transaction.atomic():
        survey = (
            Survey.objects.select_for_update(of=("self",))
            .select_related("ticket", "ticket__owner", "ticket__pipeline")
            .get(pk=survey.pk)
        )
        now = timezone.now()
        if survey.answer_until is None or now > survey.answer_until:
            raise SurveyClosed
        old = survey.rating
        changed = rating != old
        if not changed and (comment is None or comment == survey.comment):
            return survey
        survey.rating = rating
        if comment is not None:
            survey.comment = comment
        survey.rated_at = now
        survey.save(update_fields=["rating", "comment", "rated_at"])
        if changed:
            TicketEvent.objects.create(
                ticket=survey.ticket,
                kind=TicketEvent.Kind.RATED,
                field="csat",
                old_value=old,
                new_value=rating,
            )
            if rating in BAD and old not in BAD:
                _after_bad_rating(survey)
    return survey


def _after_bad_rating(survey: Survey) -> None:
    ticket = survey.ticket
    owner = ticket.owner
    if owner is not None and users_who_see(ticket).filter(pk=owner.pk).exists():
        with translation.override(owner.language or settings.LANGUAGE_CODE):
            detail = _("The customer rated the support as bad.")
        notify(
            [Notification(user=owner, ticket=ticket, kind=Notification.Kind.RULE, detail=detail)]
        )
    config = SurveySettings.objects.filter(pipeline_id=ticket.pipeline_id).first()
    if config is not None and config.reopen_on_bad and not ticket.is_open:
        stage = ticket.pipeline.first_open_stage()
        if stage is not None:
            ticket_services.ticket_set_stage(actor=None, ticket=ticket, stage=stage)

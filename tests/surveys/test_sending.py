"""When a satisfaction survey goes out (issue 20): on closing, per pipeline
(on or off, after a delay, for chosen channels), by the worker, in the
ticket's language; never to a bounced or auto-submitting address, never
twice to a contact within the pipeline's days, never for a ticket reopened
meanwhile."""

import datetime
import re

from django.core import mail
from django.utils import timezone

from conversations.models import Message
from surveys.models import Survey
from surveys.services import survey_send, surveys_send_due
from tests.factories import ContactFactory
from tickets import services as ticket_services

from .helpers import closed_ticket, settings_for


def test_closing_queues_a_survey_without_delay_for_the_worker(
    pipeline, db, django_capture_on_commit_callbacks
):
    settings_for(pipeline)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        closed_ticket(pipeline, send=False)
        assert not mail.outbox  # nothing leaves before the close commits
    # The survey's task is queued once (other apps queue their own work too).
    assert len([c for c in queued if "survey" in c.__qualname__]) == 1
    assert len(mail.outbox) == 1
    assert Survey.objects.get().status == Survey.Status.SENT


def test_closing_sends_a_survey_in_the_tickets_language(pipeline, db):
    settings_for(pipeline)
    ticket = closed_ticket(pipeline, language="pl")
    sent = mail.outbox[-1]
    assert sent.to == [ticket.contacts.first().email]
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "Jak oceniasz otrzymaną pomoc?" in sent.body
    links = re.findall(r"http://\S+/survey/\S+\?rating=(\w+)", sent.body)
    assert links == ["good", "bad"]


def test_a_pipeline_without_surveys_sends_none(pipeline, db):
    closed_ticket(pipeline)
    assert not Survey.objects.exists() and not mail.outbox


def test_a_switched_off_pipeline_sends_none(pipeline, db):
    settings_for(pipeline, enabled=False)
    closed_ticket(pipeline)
    assert not Survey.objects.exists()


def test_only_the_chosen_channels_are_asked(pipeline, db):
    settings_for(pipeline, channels=["chat"])
    closed_ticket(pipeline, source="email")
    assert not Survey.objects.exists()
    closed_ticket(pipeline, source="chat")
    assert Survey.objects.get().status == Survey.Status.SENT


def test_the_scale_of_five_offers_five_answers(pipeline, db):
    settings_for(pipeline, scale="five")
    closed_ticket(pipeline)
    links = re.findall(r"\?rating=(\w+)", mail.outbox[-1].body)
    assert links == ["5", "4", "3", "2", "1"]


def test_a_delayed_survey_waits_for_the_beat_and_skips_a_reopened_ticket(
    pipeline, db, time_machine
):
    time_machine.move_to("2026-12-04 10:00:00+00:00")
    settings_for(pipeline, delay_minutes=30)
    sent_later = closed_ticket(pipeline, send=False)
    reopened = closed_ticket(pipeline, send=False)
    assert not mail.outbox
    time_machine.move_to("2026-12-04 10:29:00+00:00")
    assert surveys_send_due() == 0
    ticket_services.ticket_set_stage(actor=None, ticket=reopened, stage=pipeline.first_open_stage())
    time_machine.move_to("2026-12-04 10:30:01+00:00")
    assert surveys_send_due() == 1
    assert [m.to for m in mail.outbox] == [[sent_later.contacts.first().email]]
    skipped = Survey.objects.get(ticket=reopened)
    assert skipped.status == Survey.Status.SKIPPED and "reopened" in skipped.skip_reason
    assert surveys_send_due() == 0  # sent once


def test_never_to_a_bounced_address(pipeline, db):
    settings_for(pipeline)
    contact = ContactFactory(email_bounced_at=timezone.now())
    closed_ticket(pipeline, contact)
    assert not mail.outbox
    assert Survey.objects.get().skip_reason == "the address bounced"


def test_never_to_an_address_whose_latest_message_was_automatic(pipeline, db):
    settings_for(pipeline)
    contact = ContactFactory()
    ticket = closed_ticket(pipeline, contact, send=False)
    Survey.objects.all().delete()
    Message.objects.filter(ticket=ticket).update(is_automatic=True)
    ticket_services.ticket_set_stage(actor=None, ticket=ticket, stage=pipeline.first_open_stage())
    ticket_services.ticket_set_stage(
        actor=None, ticket=ticket, stage=pipeline.stages.get(is_closed=True)
    )
    surveys_send_due()
    assert not mail.outbox
    assert Survey.objects.filter(ticket=ticket).latest("id").skip_reason == (
        "the contact's latest message was automatic"
    )


def test_never_twice_to_a_contact_within_the_pipelines_days(pipeline, db, time_machine):
    time_machine.move_to("2026-12-01 10:00:00+00:00")
    settings_for(pipeline, once_per_days=30)
    contact = ContactFactory()
    closed_ticket(pipeline, contact)
    time_machine.move_to("2026-12-20 10:00:00+00:00")
    closed_ticket(pipeline, contact)
    assert len(mail.outbox) == 1
    assert "within 30 days" in Survey.objects.latest("id").skip_reason
    time_machine.move_to("2027-01-01 10:00:00+00:00")
    closed_ticket(pipeline, contact)
    assert len(mail.outbox) == 2


def test_no_contact_no_survey(pipeline, db):
    from tests.factories import TicketFactory

    settings_for(pipeline)
    ticket = TicketFactory(pipeline=pipeline)
    ticket_services.ticket_set_stage(
        actor=None, ticket=ticket, stage=pipeline.stages.get(is_closed=True), category="question"
    )
    surveys_send_due()
    assert Survey.objects.get().status == Survey.Status.SKIPPED
    assert not mail.outbox


def test_a_failed_email_is_tried_again_later(pipeline, db, monkeypatch, time_machine):
    time_machine.move_to("2026-12-04 10:00:00+00:00")
    settings_for(pipeline, delay_minutes=1)
    ticket = closed_ticket(pipeline, send=False)
    survey = Survey.objects.get(ticket=ticket)

    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr("surveys.services.survey_email_send", broken)
    time_machine.move_to("2026-12-04 10:02:00+00:00")
    assert not survey_send(survey.pk)
    survey.refresh_from_db()
    assert survey.status == Survey.Status.SCHEDULED and survey.sent_at is None
    assert survey.send_after > timezone.now() + datetime.timedelta(minutes=4)
    monkeypatch.undo()
    time_machine.move_to("2026-12-04 10:08:00+00:00")
    assert surveys_send_due() == 1

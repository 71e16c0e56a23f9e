import datetime

from django.utils import timezone

from surveys.models import Survey, SurveySettings
from tests.factories import ContactFactory, TicketFactory, inbound_message
from tickets import services as ticket_services


def closed_ticket(pipeline, contact=None, *, source="email", language="", send=True):
    """A ticket with a customer email, then closed; `send`: the worker then
    sends what is due (as the beat does)."""
    from surveys.services import surveys_send_due
    from tickets.models import Ticket

    contact = contact or ContactFactory()
    ticket = TicketFactory(pipeline=pipeline, contacts=[contact], source=source)
    Ticket.objects.filter(pk=ticket.pk).update(language=language)
    inbound_message(ticket, contact=contact)
    closed = pipeline.stages.get(is_closed=True)
    ticket = ticket_services.ticket_set_stage(
        actor=None, ticket=ticket, stage=closed, category="question"
    )
    if send:
        surveys_send_due()
    return ticket


def settings_for(pipeline, **fields):
    return SurveySettings.objects.create(pipeline=pipeline, **{"delay_minutes": 0, **fields})


def sent_survey(ticket, *, scale="good_bad", days=7):
    now = timezone.now()
    return Survey.objects.create(
        ticket=ticket,
        contact=ticket.contacts.first(),
        email=ticket.contacts.first().email,
        scale=scale,
        status=Survey.Status.SENT,
        send_after=now,
        sent_at=now,
        answer_until=now + datetime.timedelta(days=days),
    )

"""Imported tickets send no mail, raise no SLA alert for the past and set
off no rule, unless the admin asks for the rules: an explicit switch
(`tickets.services.importing`), tested on its own and through imports."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from conversations.models import Channel, Notification, OutboundEmail
from conversations.services import message_receive
from imports.models import ImportJob
from sla import clocks
from sla.models import SlaGoal, SlaSettings
from tests.factories import ContactFactory, TicketFactory
from tickets import services
from tickets.models import Ticket
from workflows.models import Event, Rule, RuleEvent

from .conftest import csv_bytes, run


@pytest.fixture
def sla_on(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    SlaSettings.objects.create(pk=1, enabled=True, mode=SlaSettings.Mode.ALWAYS)
    SlaGoal.objects.create(
        first_response_minutes=60, next_response_minutes=30, close_minutes=480,
        due_soon_minutes=15,
    )  # fmt: skip


@pytest.fixture
def tagging_rule(db):
    return Rule.objects.create(
        name="Tag everything",
        events=[Event.CREATED, Event.CUSTOMER_MESSAGE],
        actions=[{"type": "add_tags", "tags": ["ruled"]}],
    )


def history(agent, created: datetime.datetime) -> bytes:
    stamp = created.strftime("%Y-%m-%d %H:%M")
    return csv_bytes(
        [
            ["id", "subject", "owner", "email", "created", "message", "author", "internal", "message time"],
            ["H-1", "Old question", agent.username, "old@example.com", stamp, "Hello?", "", "", stamp],
            ["H-1", "", "", "", "", "@agent have a look", agent.email, "yes", stamp],
            ["H-2", "New question", agent.username, "new@example.com", "", "Hi", "", "", ""],
        ]
    )  # fmt: skip


def test_import_sends_no_mail_tells_nobody_and_records_no_rule_event(
    upload, pipeline, agent, sla_on, tagging_rule
):
    run(upload(ImportJob.Kind.TICKETS, history(agent, timezone.now() - datetime.timedelta(days=3))))
    assert Ticket.objects.count() == 2
    assert mail.outbox == []
    assert not OutboundEmail.objects.exists()
    assert not Notification.objects.exists()
    assert not RuleEvent.objects.exists()
    assert not Ticket.objects.filter(tags__name="ruled").exists()


def test_past_deadlines_are_never_announced_future_ones_are(upload, pipeline, agent, sla_on):
    run(upload(ImportJob.Kind.TICKETS, history(agent, timezone.now() - datetime.timedelta(days=3))))
    old, new = Ticket.objects.get(external_id="H-1"), Ticket.objects.get(external_id="H-2")
    assert old.sla_first_response_due < timezone.now()  # the clocks ran on the history
    assert old.sla_next_check_at is None or old.sla_next_check_at > timezone.now()
    assert clocks.sweep() == 0
    assert not Notification.objects.exists()
    assert new.sla_first_response_due > timezone.now()
    assert new.sla_next_check_at == new.sla_first_response_due - datetime.timedelta(minutes=15)


def test_rules_run_on_imported_tickets_when_the_admin_asks(upload, pipeline, agent, tagging_rule):
    job = upload(ImportJob.Kind.TICKETS, history(agent, timezone.now()), run_rules=True)
    run(job)
    events = set(RuleEvent.objects.values_list("event", flat=True))
    assert events == {Event.CREATED, Event.CUSTOMER_MESSAGE}
    assert RuleEvent.objects.filter(event=Event.CREATED).count() == 2


def test_a_second_run_adds_messages_quietly(upload, pipeline, agent, sla_on, tagging_rule):
    run(upload(ImportJob.Kind.TICKETS, history(agent, timezone.now())))
    later = csv_bytes(
        [
            ["id", "subject", "email", "message", "message id"],
            ["H-2", "New question", "new@example.com", "Hi", "1"],
            ["H-2", "", "", "Anyone there?", "2"],
        ]
    )
    job = run(upload(ImportJob.Kind.TICKETS, later))
    assert (job.created, job.updated, job.unchanged) == (0, 2, 0)
    ticket = Ticket.objects.get(external_id="H-2")
    assert [m.text for m in ticket.messages.order_by("created_at", "id")] == ["Hi", "Anyone there?"]
    assert not Notification.objects.exists()
    assert not RuleEvent.objects.exists()
    assert mail.outbox == []


def test_the_switch_itself_silences_followers_routing_and_rules(pipeline, agent, tagging_rule):
    contact = ContactFactory()
    ticket = TicketFactory(pipeline=pipeline, owner=agent, contacts=[contact])
    RuleEvent.objects.all().delete()

    def receive(text):
        message_receive(
            ticket=ticket, thread=ticket.threads.first(), channel=Channel.EMAIL, contact=contact,
            from_name="", from_email=contact.email, to=[], cc=[], subject="", html="", text=text,
        )  # fmt: skip

    with services.importing():
        receive("history")
    assert not Notification.objects.exists()
    assert not RuleEvent.objects.exists()
    receive("news")
    assert Notification.objects.filter(user=agent).exists()
    assert RuleEvent.objects.filter(event=Event.CUSTOMER_MESSAGE).exists()

"""Which change records which event: the ticket and conversation services
and the SLA sweep announce it (ticket_activity), the webhooks record one
delivery per subscription, sent only after the change commits."""

import json

import pytest
from django.db import transaction

from conversations.models import Channel
from conversations.services import comment_add, message_receive, reply_send
from sla.notify import announce_all
from tests.factories import ContactFactory, EmailAddressFactory, TicketFactory
from tickets import services
from webhooks import events
from webhooks.models import Delivery, EventType, Subscription


@pytest.fixture
def hooks(db, receiver):
    return Subscription.objects.create(
        name="All", url=receiver.url, events=[e.value for e in EventType]
    )


def recorded(after=0) -> list[tuple[str, dict]]:
    return [
        (d.event, json.loads(d.payload))
        for d in Delivery.objects.filter(pk__gt=after).order_by("id")
    ]


def last_id() -> int:
    return Delivery.objects.order_by("-id").values_list("pk", flat=True).first() or 0


def test_a_created_ticket_is_recorded_with_a_versioned_body(hooks, pipeline, agent):
    ticket = TicketFactory(pipeline=pipeline, name="Broken 한국어", actor=agent, priority="high")
    [(event, body)] = recorded()
    assert event == "ticket.created"
    assert body["type"] == "ticket.created" and body["version"] == events.VERSION
    assert body["timestamp"]
    data = body["data"]
    assert data["ticket"]["id"] == ticket.pk and data["ticket"]["name"] == "Broken 한국어"
    assert data["ticket"]["status"] == {
        "id": ticket.stage_id, "name": "New", "is_closed": False
    }  # fmt: skip
    assert (
        data["ticket"]["url"].endswith(f"/tickets/{ticket.pk}/")
        or str(ticket.pk) in data["ticket"]["url"]
    )
    assert data["actor"] == {"id": agent.pk, "name": agent.display_name, "email": agent.email}
    assert Delivery.objects.get().ticket_id == ticket.pk


def test_updates_tags_closing_and_deleting_are_recorded(hooks, pipeline, agent, team_b):
    ticket = TicketFactory(pipeline=pipeline)
    start = last_id()
    ticket = services.ticket_update(actor=agent, ticket=ticket, priority="urgent", team=team_b)
    services.ticket_tag(actor=agent, ticket=ticket, add=["vip"])
    closed = pipeline.stages.get(is_closed=True)
    services.ticket_set_stage(actor=agent, ticket=ticket, stage=closed, category="billing_issue")
    services.ticket_delete(actor=agent, ticket=ticket)
    found = recorded(start)
    assert [e for e, _ in found] == [
        "ticket.updated",  # priority and team
        "ticket.updated",  # tags
        "ticket.updated",  # the category the closed status requires
        "ticket.updated",  # the status
        "ticket.closed",
        "ticket.deleted",
    ]
    changes = found[0][1]["data"]["changes"]
    assert changes["priority"] == {"old": "", "new": "urgent"}
    assert changes["team"]["new"] == team_b.pk
    assert found[1][1]["data"]["changes"]["tags"] == {"added": ["vip"], "removed": []}
    status = found[3][1]["data"]["changes"]["status"]
    assert status["new"]["is_closed"] and not status["old"]["is_closed"]
    assert found[4][1]["data"]["ticket"]["is_open"] is False
    assert found[5][1]["data"]["ticket"]["deleted_at"]


def test_messages_comments_and_sla_alerts_are_recorded(hooks, pipeline, agent):
    EmailAddressFactory()
    ticket = TicketFactory(pipeline=pipeline, contacts=[ContactFactory()])
    start = last_id()
    contact = ContactFactory()
    message_receive(
        ticket=ticket, thread=None, channel=Channel.EMAIL, contact=contact,
        from_name="Kim", from_email=contact.email, to=["support0@helpdesk.example"], cc=[],
        subject="Help", html="", text="My order never came.",
    )  # fmt: skip
    reply_send(actor=agent, ticket=ticket, html="<p>On its way.</p>", to=[contact.email])
    comment_add(actor=agent, ticket=ticket, html="<p>Checked with the carrier.</p>")
    announce_all([(ticket, "first_response", "due_soon"), (ticket, "resolution", "overdue")])
    found = recorded(start)
    kinds = [e for e, _ in found]
    assert kinds[:1] == ["message.received"]
    assert "message.sent" in kinds and "comment.added" in kinds
    assert kinds[-2:] == ["sla.due_soon", "sla.overdue"]
    received = found[0][1]["data"]["message"]
    assert received["text"] == "My order never came." and received["direction"] == "inbound"
    sent = dict(found)["message.sent"]["data"]
    assert sent["message"]["text"] == "On its way." and sent["actor"]["id"] == agent.pk
    assert dict(found)["comment.added"]["data"]["message"]["kind"] == "comment"
    assert found[-1][1]["data"]["clock"] == "resolution"


def test_only_subscribed_events_and_active_webhooks_record(db, receiver, pipeline, agent):
    Subscription.objects.create(name="Closed only", url=receiver.url, events=["ticket.closed"])
    Subscription.objects.create(
        name="Off", url=receiver.url, events=["ticket.created"], is_active=False
    )
    ticket = TicketFactory(pipeline=pipeline)
    services.ticket_update(actor=agent, ticket=ticket, priority="low")
    assert Delivery.objects.count() == 0
    closed = pipeline.stages.get(is_closed=True)
    services.ticket_set_stage(actor=agent, ticket=ticket, stage=closed, category="billing_issue")
    assert list(Delivery.objects.values_list("event", "subscription__name")) == [
        ("ticket.closed", "Closed only")
    ]


def test_no_webhook_no_cost(db, pipeline, agent, django_assert_num_queries):
    """Without subscriptions an event reads nothing (the list is kept per process)."""
    ticket = TicketFactory(pipeline=pipeline)
    events.active_subscriptions()
    with django_assert_num_queries(0):
        events.publish(EventType.TICKET_UPDATED, ticket=ticket)


def test_deliveries_are_queued_only_after_the_change_commits(
    hooks, receiver, pipeline, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory(pipeline=pipeline)  # its creation is sent
    receiver.received.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.ticket_update(actor=agent, ticket=ticket, priority="low")
    assert receiver.received == []  # nothing left in the request
    for callback in callbacks:
        callback()  # the commit: the (eager) worker sends it now
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["ticket.updated"]


def test_a_change_that_rolls_back_records_nothing(hooks, pipeline, agent):
    ticket = TicketFactory(pipeline=pipeline)
    start = last_id()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.ticket_update(actor=agent, ticket=ticket, priority="low")
        raise RuntimeError
    assert recorded(start) == []

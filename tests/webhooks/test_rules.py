"""The rules and webhooks: "rule fired" is an event, and "Send a webhook" is
an action that posts the ticket to a chosen webhook through the same pipeline."""

import json

import pytest
from django.core.exceptions import ValidationError

from tests.factories import ContactFactory, TicketFactory, inbound_message
from tickets import services
from webhooks import delivery as sending
from webhooks.models import Delivery, Subscription
from workflows import actions, engine
from workflows.models import Event, Rule

from .test_signing import verify


@pytest.fixture
def shop(db, receiver):
    """Listens for nothing: only a rule sends to it."""
    return Subscription.objects.create(name="Shop", url=receiver.url, events=[])


def customer_writes(ticket, text):
    message = inbound_message(ticket, text=text)
    services.ticket_activity.send(
        type(ticket), ticket=ticket, kind="customer_message", at=message.created_at,
        message=message,
    )  # fmt: skip
    engine.run_ticket_events(ticket.pk)


def test_a_rules_send_webhook_action_posts_the_ticket_signed(shop, receiver, pipeline):
    Rule.objects.create(
        name="Refunds to the shop",
        events=[Event.CUSTOMER_MESSAGE],
        conditions_all=[["message_text", "contains", "refund"]],
        actions=[
            {"type": "set_priority", "value": "urgent"},
            {"type": "send_webhook", "subscription": shop.pk},
        ],
    )
    ticket = TicketFactory(pipeline=pipeline, contacts=[ContactFactory()])
    customer_writes(ticket, "I want a refund")
    customer_writes(ticket, "Thanks")  # no refund: no webhook
    [delivery] = Delivery.objects.all()
    assert delivery.event == "rule.action" and delivery.ticket_id == ticket.pk
    assert sending.deliver(delivery.pk) == "succeeded"
    [got] = receiver.received
    assert verify(shop.secret, got.headers, got.body)
    body = json.loads(got.body)
    assert body["data"]["rule"] == {"name": "Refunds to the shop"}
    assert body["data"]["ticket"]["priority"] == "urgent"  # as the rule left it


def test_rule_fired_is_an_event_webhooks_subscribe_to(receiver, pipeline):
    hook = Subscription.objects.create(name="Audit", url=receiver.url, events=["rule.fired"])
    rule = Rule.objects.create(
        name="Tag billing",
        events=[Event.CUSTOMER_MESSAGE],
        actions=[{"type": "add_tags", "tags": ["billing"]}],
    )
    ticket = TicketFactory(pipeline=pipeline, contacts=[ContactFactory()])
    customer_writes(ticket, "Invoice question")
    [delivery] = Delivery.objects.filter(subscription=hook)
    body = json.loads(delivery.payload)
    assert body["type"] == "rule.fired"
    assert body["data"]["rule"] == {"id": rule.pk, "name": "Tag billing"}


def test_a_webhook_that_is_off_is_skipped_not_a_broken_rule(shop, pipeline):
    shop.is_active = False
    shop.save()
    rule = Rule.objects.create(
        name="To the shop",
        events=[Event.CUSTOMER_MESSAGE],
        actions=[{"type": "send_webhook", "subscription": shop.pk}],
    )
    ticket = TicketFactory(pipeline=pipeline, contacts=[ContactFactory()])
    customer_writes(ticket, "Hello")
    rule.refresh_from_db()
    assert rule.is_active and Delivery.objects.count() == 0


def test_a_deleted_webhook_switches_the_rule_off_with_the_reason(shop, pipeline):
    rule = Rule.objects.create(
        name="To the shop",
        events=[Event.CUSTOMER_MESSAGE],
        actions=[{"type": "send_webhook", "subscription": shop.pk}],
    )
    shop.delete()
    ticket = TicketFactory(pipeline=pipeline, contacts=[ContactFactory()])
    customer_writes(ticket, "Hello")
    rule.refresh_from_db()
    assert not rule.is_active and "no longer exists" in rule.disabled_reason


@pytest.mark.parametrize(
    "row,for_macro,error",
    [
        ({"type": "send_webhook"}, False, "Choose a webhook."),
        ({"type": "send_webhook", "subscription": "abc"}, False, "Choose one of the offered"),
        ({"type": "send_webhook", "subscription": 999999}, False, "no longer exists"),
        ({"type": "send_webhook", "subscription": 1}, True, "Only rules send webhooks."),
    ],
)
def test_the_action_refuses_bad_input_clearly(db, row, for_macro, error):
    with pytest.raises(ValidationError) as refused:
        actions.validate([row], for_macro=for_macro)
    assert error in " ".join(refused.value.messages)


def test_the_builder_offers_the_webhooks(shop):
    [choice] = actions.ACTIONS["send_webhook"].inputs({})
    assert (str(shop.pk), "Shop") in choice.choices
    row = actions.ACTIONS["send_webhook"].validate({"subscription": str(shop.pk)}, for_macro=False)
    assert row == {"type": "send_webhook", "subscription": shop.pk}


def test_an_admin_builds_a_rule_that_sends_a_webhook(client, super_admin, shop):
    from django.urls import reverse

    client.force_login(super_admin)
    row = client.get(
        reverse("admin:workflows_rule_action_row"), {"index": "0", "a0-type": "send_webhook"}
    )
    assert row.status_code == 200 and "Shop" in row.content.decode()
    response = client.post(
        reverse("admin:workflows_rule_add"),
        {
            "name": "Tell the shop",
            "is_active": "on",
            "trigger": "event",
            "events": ["customer_message"],
            "action_index": ["0"],
            "a0-type": "send_webhook",
            "a0-subscription": str(shop.pk),
            "position": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Rule.objects.get().actions == [{"type": "send_webhook", "subscription": shop.pk}]
    missing = client.post(
        reverse("admin:workflows_rule_add"),
        {
            "name": "No webhook chosen",
            "is_active": "on",
            "trigger": "event",
            "events": ["customer_message"],
            "action_index": ["0"],
            "a0-type": "send_webhook",
            "a0-subscription": "",
            "position": "0",
        },
    )
    assert missing.status_code == 200 and "Choose a webhook." in missing.content.decode()
    assert Rule.objects.count() == 1

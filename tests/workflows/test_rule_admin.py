"""The rule builder in the settings: conditions as rows like the table's
advanced filters, actions as the macro builder's rows, and a dry run."""

import pytest
from django.urls import reverse

from tests.factories import TicketFactory
from tickets.models import TicketEvent
from workflows.models import Event, Rule

ADD = "admin:workflows_rule_add"


@pytest.fixture
def admin_client(client, super_admin):
    client.force_login(super_admin)
    return client


def rule_data(**extra):
    data = {
        "name": "Urgent when VIP",
        "is_active": "on",
        "trigger": "event",
        "events": ["customer_message"],
        "all-7-key": "priority",
        "all-7-op": "any_of",
        "all-7-value": ["high", "urgent"],
        "any-2-key": "message_text",
        "any-2-op": "matches_word",
        "any-2-value": "refund",
        "action_index": ["0"],
        "a0-type": "set_priority",
        "a0-value": "urgent",
        "position": "0",
    }
    data.update(extra)
    return data


def test_the_builder_saves_condition_rows_and_action_rows(admin_client):
    response = admin_client.post(reverse(ADD), rule_data())
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = Rule.objects.get()
    assert rule.events == [Event.CUSTOMER_MESSAGE]
    assert rule.conditions_all == [["priority", "any_of", "high,urgent"]]
    assert rule.conditions_any == [["message_text", "matches_word", "refund"]]
    assert rule.actions == [{"type": "set_priority", "value": "urgent"}]
    page = admin_client.get(reverse("admin:workflows_rule_change", args=[rule.pk]))
    html = page.content.decode()
    assert 'name="all-0-key"' in html and 'value="urgent" checked' in html


def test_a_bad_condition_re_renders_the_form_with_its_message(admin_client):
    response = admin_client.post(reverse(ADD), rule_data(**{"all-7-key": "no_such_property"}))
    assert response.status_code == 200
    assert "Condition 1" in response.content.decode()
    assert not Rule.objects.exists()


def test_a_time_rule_cannot_read_a_message_and_needs_its_hours(admin_client):
    response = admin_client.post(reverse(ADD), rule_data(trigger="time", moment="", hours=""))
    html = response.content.decode()
    assert response.status_code == 200
    assert "has no message to read" in html
    assert "Choose what the hours count from." in html
    assert not Rule.objects.exists()


def test_reply_text_is_a_macro_action_not_a_rules(admin_client):
    data = rule_data(**{"a0-type": "reply_text", "a0-html": "Hello"})
    response = admin_client.post(reverse(ADD), data)
    assert response.status_code == 200
    assert not Rule.objects.exists()


def test_a_condition_row_is_redrawn_for_the_chosen_property(admin_client):
    url = reverse("admin:workflows_rule_condition_row")
    html = admin_client.get(url, {"prefix": "all", "index": "4", "all-4-key": "priority"}).content
    html = html.decode()
    assert 'name="all-4-op"' in html and 'value="urgent"' in html  # the priorities offered
    new = admin_client.get(url, {"prefix": "any"}).content.decode()
    assert 'name="any-' in new


def test_testing_against_a_ticket_says_what_would_change_and_changes_nothing(
    admin_client, pipeline
):
    ticket = TicketFactory(pipeline=pipeline, priority="high")
    Rule.objects.create(
        name="Other rule",
        events=["customer_message"],
        conditions_all=[["priority", "any_of", "low"]],
        actions=[{"type": "close"}],
    )
    data = rule_data(test_ticket=str(ticket.pk))
    data.pop("any-2-key")
    response = admin_client.get(reverse("admin:workflows_rule_test"), data)
    html = response.content.decode()
    assert "Urgent when VIP (this rule)" in html and "would run" in html
    assert "Priority: High → Urgent" in html
    assert "Other rule" in html and "would not run" in html
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert not TicketEvent.objects.filter(ticket=ticket, via=TicketEvent.Via.RULE).exists()


def test_agents_cannot_reach_the_rule_builder(client, agent):
    client.force_login(agent)
    response = client.get(reverse("admin:workflows_rule_condition_row"), {"prefix": "all"})
    assert response.status_code in (302, 403, 404)


def test_the_dry_run_keeps_the_order_and_stops_where_a_rule_says_so(admin_client, pipeline):
    ticket = TicketFactory(pipeline=pipeline)
    first = Rule.objects.create(
        name="First, and stop",
        events=["customer_message"],
        position=1,
        stop_processing=True,
        actions=[{"type": "set_priority", "value": "low"}],
    )
    data = rule_data(test_ticket=str(ticket.pk), **{"all-7-key": ""})
    data.pop("any-2-key")
    html = admin_client.get(reverse("admin:workflows_rule_test"), data).content.decode()
    assert html.index("First, and stop") < html.index("Urgent when VIP (this rule)")
    assert "before it stops here" in html
    assert first.name in html

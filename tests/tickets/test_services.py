import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import (
    ContactFactory,
    PipelineFactory,
    PropertyDefinitionFactory,
    StageFactory,
    TicketFactory,
    UserFactory,
)
from tickets import services
from tickets.models import PropertyDefinition, Stage, Ticket, TicketEvent


def stage(pipeline, name):
    return pipeline.stages.get(name=name)


def test_create_writes_the_ticket_and_its_created_event(agent, pipeline):
    contact = ContactFactory(first_name="Emma", last_name="Wilson")
    ticket = services.ticket_create(
        actor=agent,
        name="Printer on fire",
        pipeline=pipeline,
        stage=stage(pipeline, "New"),
        description="It is on fire.",
        owner=agent,
        contacts=[contact],
    )
    assert ticket.is_open and ticket.closed_at is None
    assert ticket.team == agent.main_team  # defaults to the owner's main team
    assert ticket.contact_name == "Emma Wilson"
    assert ticket.preview == "It is on fire."
    event = ticket.events.get()
    assert (event.kind, event.actor, event.new_value) == ("created", agent, "New")


def test_create_refuses_a_stage_of_another_pipeline(agent, pipeline):
    other = PipelineFactory()
    with pytest.raises(ValidationError) as error:
        services.ticket_create(actor=agent, name="x", pipeline=pipeline, stage=other.stages.first())
    assert "stage" in error.value.message_dict


def test_create_in_a_conditional_stage_needs_its_properties(agent, pipeline):
    closed = stage(pipeline, "Closed")
    with pytest.raises(ValidationError) as error:
        services.ticket_create(actor=agent, name="x", pipeline=pipeline, stage=closed)
    assert list(error.value.message_dict) == ["category"]
    ticket = services.ticket_create(
        actor=agent, name="x", pipeline=pipeline, stage=closed, category="billing_issue"
    )
    assert not ticket.is_open and ticket.closed_at is not None


def test_update_writes_one_event_per_changed_value_with_old_and_new(agent, pipeline):
    other = UserFactory(first_name="Aino", last_name="Virtanen")
    ticket = TicketFactory(pipeline=pipeline, owner=agent, priority="low")
    services.ticket_update(actor=agent, ticket=ticket, owner=other, priority="low")
    change = ticket.events.get(kind=TicketEvent.Kind.CHANGED)
    assert (change.field, change.old_value, change.new_value) == (
        "owner",
        agent.display_name,
        "Aino Virtanen",
    )
    ticket.refresh_from_db()
    assert ticket.owner == other


def test_update_rejects_an_empty_name(agent, pipeline):
    ticket = TicketFactory(pipeline=pipeline)
    with pytest.raises(ValidationError):
        services.ticket_update(actor=agent, ticket=ticket, name="   ")


def test_update_refuses_fields_that_have_their_own_service(agent, pipeline):
    ticket = TicketFactory(pipeline=pipeline)
    with pytest.raises(ValueError):
        services.ticket_update(actor=agent, ticket=ticket, stage=pipeline.stages.last())


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        ("number", 12.5, "12.5"),
        ("date", datetime.date(2026, 11, 30), "2026-11-30"),
        ("text", "A-1", "A-1"),
        ("choice", "Gold", "Gold"),
    ],
)
def test_custom_properties_are_stored_by_type(agent, pipeline, kind, value, stored):
    PropertyDefinitionFactory(key="level", type=kind, choices=["Gold", "Silver"])
    ticket = TicketFactory(pipeline=pipeline)
    ticket = services.ticket_update(actor=agent, ticket=ticket, properties={"level": value})
    assert ticket.properties["level"] == stored
    assert ticket.events.get(kind="changed").field == "level"


@pytest.mark.parametrize(
    ("kind", "value"),
    [("number", "twelve"), ("date", "yesterday"), ("choice", "Bronze")],
)
def test_custom_property_values_of_the_wrong_type_are_refused(agent, pipeline, kind, value):
    PropertyDefinitionFactory(key="level", type=kind, choices=["Gold"])
    ticket = TicketFactory(pipeline=pipeline)
    with pytest.raises(ValidationError) as error:
        services.ticket_update(actor=agent, ticket=ticket, properties={"level": value})
    assert "level" in error.value.message_dict


def test_unknown_custom_property_is_refused(agent, pipeline):
    ticket = TicketFactory(pipeline=pipeline)
    with pytest.raises(ValidationError):
        services.ticket_update(actor=agent, ticket=ticket, properties={"nope": "x"})


def test_set_stage_closes_and_reopens(agent, pipeline):
    ticket = TicketFactory(pipeline=pipeline, category="billing_issue")
    ticket = services.ticket_set_stage(actor=agent, ticket=ticket, stage=stage(pipeline, "Closed"))
    assert not ticket.is_open and ticket.closed_at
    ticket = services.ticket_set_stage(actor=agent, ticket=ticket, stage=stage(pipeline, "New"))
    assert ticket.is_open and ticket.closed_at is None
    moves = ticket.events.filter(field="stage").order_by("id")
    assert [(e.old_value, e.new_value) for e in moves] == [("New", "Closed"), ("Closed", "New")]


def test_conditional_stage_takes_missing_values_in_the_same_action(agent, pipeline):
    PropertyDefinitionFactory(
        key="resolution", type=PropertyDefinition.Type.CHOICE, choices=["Fixed"]
    )
    resolved = StageFactory(
        pipeline=pipeline,
        name="Resolved",
        is_closed=True,
        required_properties=["priority", "resolution"],
    )
    ticket = TicketFactory(pipeline=pipeline)
    with pytest.raises(ValidationError) as error:
        services.ticket_set_stage(actor=agent, ticket=ticket, stage=resolved)
    assert set(error.value.message_dict) == {"priority", "resolution"}
    ticket.refresh_from_db()
    assert ticket.stage.name == "New"  # nothing changed

    ticket = services.ticket_set_stage(
        actor=agent,
        ticket=ticket,
        stage=resolved,
        priority="high",
        properties={"resolution": "Fixed"},
    )
    assert (ticket.stage, ticket.priority, ticket.properties["resolution"]) == (
        resolved,
        "high",
        "Fixed",
    )
    assert set(ticket.events.values_list("field", flat=True)) >= {"priority", "resolution", "stage"}


def test_set_stage_refuses_a_stage_of_another_pipeline(agent, pipeline):
    ticket = TicketFactory(pipeline=pipeline)
    with pytest.raises(ValidationError):
        services.ticket_set_stage(
            actor=agent, ticket=ticket, stage=PipelineFactory().stages.first()
        )


def test_associations_are_recorded_and_keep_the_list_contact_current(agent, pipeline):
    ticket = TicketFactory(pipeline=pipeline)
    first = ContactFactory(first_name="Ada", last_name="L")
    second = ContactFactory(first_name="Bob", last_name="M")
    assert services.ticket_associate(actor=agent, ticket=ticket, record=first)
    assert not services.ticket_associate(actor=agent, ticket=ticket, record=first)
    services.ticket_associate(actor=agent, ticket=ticket, record=second)
    assert Ticket.objects.get(pk=ticket.pk).contact_name == "Ada L"
    assert services.ticket_dissociate(actor=agent, ticket=ticket, record=first)
    assert not services.ticket_dissociate(actor=agent, ticket=ticket, record=first)
    assert Ticket.objects.get(pk=ticket.pk).contact_name == "Bob M"
    kinds = list(ticket.events.order_by("id").values_list("kind", "field"))
    assert kinds[1:] == [
        ("associated", "contact"),
        ("associated", "contact"),
        ("dissociated", "contact"),
    ]


def test_deleting_a_stage_with_tickets_needs_a_destination(agent, pipeline):
    waiting = stage(pipeline, "Waiting on contact")
    ticket = TicketFactory(pipeline=pipeline, stage=waiting)
    with pytest.raises(ValidationError):
        services.stage_delete(stage=waiting, move_to=None)
    with pytest.raises(ValidationError):
        services.stage_delete(stage=waiting, move_to=PipelineFactory().stages.first())
    assert services.stage_delete(stage=waiting, move_to=stage(pipeline, "New")) == 1
    ticket.refresh_from_db()
    assert ticket.stage.name == "New"
    assert not Stage.objects.filter(pk=waiting.pk).exists()


def test_changes_made_by_automation_say_which_one_in_the_timeline(client, agent, pipeline, team_a):
    ticket = TicketFactory(pipeline=pipeline, team=team_a)
    with services.acting_as(TicketEvent.Via.RULE, "Escalate overdue tickets"):
        services.ticket_update(actor=None, ticket=ticket, priority="urgent")
    services.ticket_update(actor=agent, ticket=ticket, priority="low")
    by_rule, by_hand = ticket.events.filter(field="priority").order_by("id")
    assert (by_rule.via, by_rule.via_name) == ("rule", "Escalate overdue tickets")
    assert (by_hand.via, by_hand.via_name) == ("", "")
    client.force_login(agent)
    page = client.get(reverse("tickets:ticket_detail", args=["all-open", ticket.pk]))
    assert "by rule “Escalate overdue tickets”" in page.content.decode()

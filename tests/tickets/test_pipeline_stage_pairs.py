"""A stage always belongs to the pipeline it is used with (issue 14): each
place that pairs a pipeline with a stage refuses a stage of another pipeline
in its form, its model's clean(), its service and, on PostgreSQL, the
database."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from tests.factories import PipelineFactory, TicketFactory
from tickets import services
from tickets.models import Pipeline, SavedView, Ticket

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="composite keys are PostgreSQL's"
)


@pytest.fixture
def other(db):
    return PipelineFactory(name="Billing")


def pipeline_data(pipeline, **fields):
    stages = list(pipeline.stages.order_by("position"))
    data = {
        "name": pipeline.name,
        "position": 0,
        "closed_reply": pipeline.closed_reply,
        "reopen_within_days": pipeline.reopen_within_days,
        "stages-TOTAL_FORMS": len(stages),
        "stages-INITIAL_FORMS": len(stages),
        "stages-MIN_NUM_FORMS": 0,
        "stages-MAX_NUM_FORMS": 1000,
        **fields,
    }
    for i, stage in enumerate(stages):
        data |= {
            f"stages-{i}-id": stage.pk,
            f"stages-{i}-pipeline": pipeline.pk,
            f"stages-{i}-name": stage.name,
            f"stages-{i}-position": stage.position,
        }
        if stage.is_closed:
            data[f"stages-{i}-is_closed"] = "on"
            data[f"stages-{i}-required_properties"] = stage.required_properties
    return data


# Pipeline automation: "status after an agent's reply" / "after the customer's reply"


@pytest.mark.parametrize("field", ["stage_on_agent_reply", "stage_on_customer_reply"])
def test_a_pipeline_refuses_an_automation_status_of_another_pipeline(pipeline, other, field):
    setattr(pipeline, field, other.stages.get(name="New"))
    with pytest.raises(ValidationError) as refused:
        pipeline.full_clean()
    assert refused.value.message_dict[field] == ["Choose a status of this pipeline."]
    setattr(pipeline, field, pipeline.stages.get(name="New"))
    pipeline.full_clean()


def test_a_customer_reply_status_cannot_be_closed(pipeline):
    pipeline.stage_on_customer_reply = pipeline.stages.get(name="Closed")
    with pytest.raises(ValidationError, match="cannot close the ticket"):
        pipeline.full_clean()


def test_the_pipeline_admin_offers_only_its_own_statuses_and_refuses_others(
    client, super_admin, pipeline, other
):
    client.force_login(super_admin)
    url = reverse("admin:tickets_pipeline_change", args=[pipeline.pk])
    form = client.get(url).context["adminform"].form
    own = set(pipeline.stages.values_list("pk", flat=True))
    for field in ("stage_on_agent_reply", "stage_on_customer_reply"):
        assert set(form.fields[field].queryset.values_list("pk", flat=True)) == own
    theirs = other.stages.get(name="Waiting on contact")
    response = client.post(url, pipeline_data(pipeline, stage_on_agent_reply=theirs.pk))
    assert response.status_code == 200
    pipeline.refresh_from_db()
    assert pipeline.stage_on_agent_reply is None
    waiting = pipeline.stages.get(name="Waiting on contact")
    response = client.post(url, pipeline_data(pipeline, stage_on_agent_reply=waiting.pk))
    assert response.status_code == 302
    pipeline.refresh_from_db()
    assert pipeline.stage_on_agent_reply == waiting


@postgresql_only
@pytest.mark.parametrize("field", ["stage_on_agent_reply", "stage_on_customer_reply"])
def test_postgresql_refuses_an_automation_status_of_another_pipeline(pipeline, other, field):
    with pytest.raises(IntegrityError), transaction.atomic():
        Pipeline.objects.filter(pk=pipeline.pk).update(**{field: other.stages.first()})


# Tickets: create, status change, pipeline move, bulk status


def test_a_ticket_refuses_a_status_of_another_pipeline(pipeline, other):
    ticket = TicketFactory(pipeline=pipeline)
    ticket.stage = other.stages.first()
    with pytest.raises(ValidationError, match="selected pipeline"):
        ticket.clean()


def test_the_ticket_services_refuse_a_status_of_another_pipeline(pipeline, other):
    with pytest.raises(ValidationError):
        services.ticket_create(actor=None, name="x", pipeline=pipeline, stage=other.stages.first())
    ticket = TicketFactory(pipeline=pipeline)
    with pytest.raises(ValidationError):
        services.ticket_set_stage(actor=None, ticket=ticket, stage=other.stages.first())
    # Neither is a field the update service edits: only the two above change them.
    for field in ("stage", "pipeline"):
        with pytest.raises(ValueError, match="not editable"):
            services.ticket_update(actor=None, ticket=ticket, **{field: other.stages.first()})
    # A move takes the pipeline from the status: the pair cannot split.
    moved = services.ticket_move_pipeline(actor=None, ticket=ticket, stage=other.stages.first())
    assert (moved.pipeline, moved.stage.pipeline) == (other, other)


def test_a_bulk_status_change_skips_tickets_of_other_pipelines(client, agent, pipeline, other):
    mine, theirs = TicketFactory(pipeline=pipeline), TicketFactory(pipeline=other)
    client.force_login(agent)
    waiting = pipeline.stages.get(name="Waiting on contact")
    client.post(
        reverse("tickets:bulk_action", args=["all-open"]),
        {"action": "stage", "stage_value": waiting.pk, "ids": [mine.pk, theirs.pk]},
    )
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.stage, theirs.stage.pipeline) == (waiting, other)


@postgresql_only
def test_postgresql_refuses_a_ticket_whose_status_is_of_another_pipeline(pipeline, other):
    ticket = TicketFactory(pipeline=pipeline)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(stage=other.stages.first())


# Views and filters: a status filter within the chosen pipelines


def test_a_view_cannot_be_saved_with_a_status_of_a_pipeline_it_filters_out(
    client, agent, pipeline, other
):
    agent.can_manage_views = True
    agent.save()
    client.force_login(agent)
    theirs = other.stages.get(name="New")
    data = {"name": "Stray", "sharing": "private", "state_pipeline": pipeline.pk}
    response = client.post(reverse("tickets:view_create"), {**data, "state_stage": theirs.pk})
    assert response.status_code == 200
    assert "is one of the pipeline “Billing”" in response.content.decode()
    assert not SavedView.objects.exists()
    mine = pipeline.stages.get(name="New")
    response = client.post(reverse("tickets:view_create"), {**data, "state_stage": mine.pk})
    assert response.status_code == 302 and SavedView.objects.count() == 1


def test_a_channels_first_status_cannot_be_deleted_from_under_it(client, super_admin, pipeline):
    """Deleting it failed with a server error (the channel protects it)."""
    from channels_inbound.models import ChatWidget

    waiting = pipeline.stages.get(name="Waiting on contact")
    ChatWidget.objects.create(name="Website chat", pipeline=pipeline, stage=waiting)
    client.force_login(super_admin)
    data = pipeline_data(pipeline)
    index = next(i for i in range(3) if data[f"stages-{i}-id"] == waiting.pk)
    data[f"stages-{index}-DELETE"] = "on"
    data[f"stages-{index}-move_tickets_to"] = pipeline.stages.get(name="New").pk
    url = reverse("admin:tickets_pipeline_change", args=[pipeline.pk])
    response = client.post(url, data)
    assert response.status_code == 200
    assert "new tickets of “Website chat” start" in response.content.decode()
    assert pipeline.stages.filter(pk=waiting.pk).exists()


def test_a_deleted_status_moves_its_tickets_only_within_its_pipeline(pipeline, other):
    waiting = pipeline.stages.get(name="Waiting on contact")
    ticket = TicketFactory(pipeline=pipeline, stage=waiting)
    with pytest.raises(ValidationError, match="same pipeline"):
        services.stage_delete(stage=waiting, move_to=other.stages.get(name="New"))
    services.stage_delete(stage=waiting, move_to=pipeline.stages.get(name="New"))
    ticket.refresh_from_db()
    assert (ticket.pipeline, ticket.stage.name) == (pipeline, "New")


@pytest.mark.django_db(transaction=True)  # migrations run outside a test transaction
def test_the_migration_repairs_mismatched_pairs_before_the_database_holds_them(pipeline, other):
    """Older data can hold any pair; the migration must not fail on it."""
    from django.db.migrations.executor import MigrationExecutor

    before = [("tickets", "0009_follow_merge_delete"), ("channels_inbound", "0008_blocked_senders")]
    # Read with today's models before the schema goes back (later columns vanish).
    theirs = other.stages.get(name="Waiting on contact")
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    ticket = old.get_model("tickets", "Ticket").objects.create(
        name="Stray",
        pipeline_id=pipeline.pk,
        stage_id=theirs.pk,
        last_activity_at="2026-01-01T00:00Z",
    )
    old.get_model("tickets", "Pipeline").objects.filter(pk=pipeline.pk).update(
        stage_on_agent_reply_id=theirs.pk
    )
    widget = old.get_model("channels_inbound", "ChatWidget").objects.create(
        name="Site", key="k" * 16, pipeline_id=pipeline.pk, stage_id=theirs.pk
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    from channels_inbound.models import ChatWidget

    assert Ticket.objects.get(pk=ticket.pk).pipeline == other  # follows its status
    assert Pipeline.objects.get(pk=pipeline.pk).stage_on_agent_reply is None
    assert ChatWidget.objects.get(pk=widget.pk).stage == pipeline.stages.get(name="New")

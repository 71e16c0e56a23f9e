from django.urls import reverse

from tests.factories import PipelineFactory, TicketFactory
from tickets.models import PropertyDefinition, Stage, Ticket


def inline_data(pipeline, delete=None, move_to=None):
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
        if stage == delete:
            data[f"stages-{i}-DELETE"] = "on"
            if move_to:
                data[f"stages-{i}-move_tickets_to"] = move_to.pk
    return data


def test_a_stage_with_tickets_cannot_be_deleted_without_a_destination(
    client, super_admin, pipeline
):
    client.force_login(super_admin)
    waiting = pipeline.stages.get(name="Waiting on contact")
    ticket = TicketFactory(pipeline=pipeline, stage=waiting)
    url = reverse("admin:tickets_pipeline_change", args=[pipeline.pk])

    refused = client.post(url, inline_data(pipeline, delete=waiting))
    assert refused.status_code == 200
    assert "choose where they go" in refused.content.decode()
    assert Stage.objects.filter(pk=waiting.pk).exists()

    new = pipeline.stages.get(name="New")
    done = client.post(url, inline_data(pipeline, delete=waiting, move_to=new))
    assert done.status_code == 302
    assert not Stage.objects.filter(pk=waiting.pk).exists()
    ticket.refresh_from_db()
    assert ticket.stage == new
    assert ticket.events.filter(field="stage", new_value="New").exists()


def test_a_stage_with_tickets_stays_open_or_closed(client, super_admin, pipeline):
    """Its tickets carry whether they are open (the views and the status
    filters read it there), so a status holding tickets cannot switch; an
    empty one can."""
    client.force_login(super_admin)
    waiting = pipeline.stages.get(name="Waiting on contact")
    ticket = TicketFactory(pipeline=pipeline, stage=waiting)
    url = reverse("admin:tickets_pipeline_change", args=[pipeline.pk])
    data = inline_data(pipeline)
    index = next(k for k, v in data.items() if k.endswith("-id") and v == waiting.pk).split("-")[1]
    data[f"stages-{index}-is_closed"] = "on"

    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "stays open or closed" in refused.content.decode()
    waiting.refresh_from_db()
    assert not waiting.is_closed

    ticket.delete()
    assert client.post(url, data).status_code == 302
    waiting.refresh_from_db()
    assert waiting.is_closed


def test_property_definitions_validate_their_key_and_choices(client, super_admin):
    client.force_login(super_admin)
    url = reverse("admin:tickets_propertydefinition_add")
    base = {"label": "Tier", "type": "choice", "position": 0, "in_sidebar": "on"}
    response = client.post(url, {**base, "key": "priority", "choices": "Gold"})
    assert "built-in" in response.content.decode()
    response = client.post(url, {**base, "key": "tier", "choices": ""})
    assert "at least one option" in response.content.decode()
    response = client.post(url, {**base, "key": "tier", "choices": "Gold\nSilver\nGold\n"})
    assert response.status_code == 302
    assert PropertyDefinition.objects.get(key="tier").choices == ["Gold", "Silver"]


def test_admin_is_for_super_admins_only(client, agent, collaborator):
    for user in (agent, collaborator):
        client.force_login(user)
        assert client.get(reverse("admin:tickets_pipeline_changelist")).status_code == 302


def test_stages_are_saved_in_the_order_the_page_sends(client, super_admin, pipeline):
    """The drag handle and the arrow keys renumber the hidden positions; the
    pipeline's save keeps that order."""
    client.force_login(super_admin)
    before = list(pipeline.stages.order_by("position", "id"))
    data = inline_data(pipeline)
    for i in range(len(before)):
        data[f"stages-{i}-position"] = len(before) - i
    page = client.get(reverse("admin:tickets_pipeline_change", args=[pipeline.pk]))
    body = page.content.decode()
    assert 'class="module sortable' in body and "js/admin_sortable_keys.js" in body
    assert 'id="sortable-keys"' in body  # the live region that announces moves

    response = client.post(reverse("admin:tickets_pipeline_change", args=[pipeline.pk]), data)

    assert response.status_code == 302
    assert list(pipeline.stages.order_by("position", "id")) == before[::-1]


def test_pipelines_and_properties_are_reordered_from_their_lists(client, super_admin, pipeline):
    """The lists save a drag or a key press at once, through the order URL,
    which only a super admin may use."""
    second = PipelineFactory(name="Billing", position=pipeline.position + 1)
    size = PropertyDefinition.objects.create(key="size", label="Size", position=1)
    plan = PropertyDefinition.objects.create(key="plan", label="Plan", position=2)
    client.force_login(super_admin)
    for model, first, last in (("pipeline", pipeline, second), ("propertydefinition", size, plan)):
        listing = client.get(reverse(f"admin:tickets_{model}_changelist"))
        assert 'id="admin_sortable2_config"' in listing.content.decode()
        url = reverse(f"admin:tickets_{model}_sortable_update")
        items = [[last.pk, first.position], [first.pk, last.position]]
        response = client.post(url, {"updatedItems": items}, content_type="application/json")
        assert response.status_code == 200
        last.refresh_from_db()
        first.refresh_from_db()
        assert last.position < first.position


def test_only_super_admins_may_reorder_a_list(client, agent, pipeline):
    client.force_login(agent)
    url = reverse("admin:tickets_pipeline_sortable_update")
    items = [[pipeline.pk, 99]]
    response = client.post(url, {"updatedItems": items}, content_type="application/json")
    assert response.status_code in (302, 403)
    pipeline.refresh_from_db()
    assert pipeline.position != 99


def test_tickets_left_behind_by_a_switched_status_are_aligned_by_the_migration(pipeline):
    """Before the admin refused it, a status could switch with tickets in it."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("tickets.migrations.0025_tickets_open_as_their_status")
    waiting = pipeline.stages.get(name="Waiting on contact")
    left = TicketFactory(pipeline=pipeline, stage=waiting)  # open, as the status was
    closed = TicketFactory(pipeline=pipeline, stage=waiting)
    Stage.objects.filter(pk=waiting.pk).update(is_closed=True)
    Ticket.objects.filter(pk=closed.pk).update(is_open=False)
    other = TicketFactory(pipeline=pipeline)

    migration.align(apps, None)

    for ticket in (left, closed, other):
        ticket.refresh_from_db()
    assert (left.is_open, closed.is_open, other.is_open) == (False, False, True)

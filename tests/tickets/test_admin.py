from django.urls import reverse

from tests.factories import TicketFactory
from tickets.models import PropertyDefinition, Stage


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

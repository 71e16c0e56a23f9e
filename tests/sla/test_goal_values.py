"""An SLA goal's value is picked by name when goals vary by team, pipeline
or a choice property, stored as the clocks compare it (an id, a code, an
option), and a value that is none of them is refused (issue 14)."""

import pytest
from django.urls import reverse

from sla.clocks import goal_for
from sla.models import SlaGoal, SlaSettings
from tests.factories import PropertyDefinitionFactory, TeamFactory, TicketFactory
from tickets.models import PropertyDefinition

KO = "ko"


@pytest.fixture
def korean_admin(super_admin, client):
    super_admin.language = KO
    super_admin.save()
    client.force_login(super_admin)
    return client


def goal_data(value):
    return {
        "value": value,
        "is_enabled": "on",
        "first_response_minutes": 60,
        "next_response_minutes": "",
        "close_minutes": "",
        "due_soon_minutes": 15,
    }


def by(field):
    SlaSettings.objects.update_or_create(pk=1, defaults={"enabled": True, "goals_by": field})


def test_a_team_goal_is_picked_by_the_teams_korean_name_and_stored_by_its_id(
    korean_admin, pipeline, team_a
):
    by("team")
    billing = TeamFactory(name="Billing", labels={KO: "결제팀"})
    add = reverse("admin:sla_slagoal_add")
    form = korean_admin.get(add).content.decode()
    assert f'<option value="{billing.pk}">결제팀</option>' in form

    assert korean_admin.post(add, goal_data(billing.pk)).status_code == 302
    goal = SlaGoal.objects.get()
    assert goal.value == str(billing.pk)  # as before: what goal_for compares
    ticket = TicketFactory(pipeline=pipeline, team=billing)
    assert goal_for(ticket, SlaSettings.current()) == goal

    listed = korean_admin.get(reverse("admin:sla_slagoal_changelist")).content.decode()
    assert "결제팀" in listed
    assert f">{billing.pk}</a>" not in listed


def test_a_value_that_is_not_a_team_is_refused_with_a_message(client, super_admin, team_a):
    by("team")
    client.force_login(super_admin)
    page = client.post(reverse("admin:sla_slagoal_add"), goal_data("9999"))
    assert page.status_code == 200
    assert "“9999” is not one of the values of “Team”" in page.content.decode()
    assert not SlaGoal.objects.exists()


def test_a_pipeline_goal_is_picked_by_name(client, super_admin, pipeline):
    by("pipeline")
    client.force_login(super_admin)
    form = client.get(reverse("admin:sla_slagoal_add")).content.decode()
    assert f'<option value="{pipeline.pk}">Support pipeline</option>' in form


def test_a_choice_property_goal_is_picked_by_its_options_local_label(korean_admin):
    PropertyDefinitionFactory(
        key="plan",
        label="Plan",
        type=PropertyDefinition.Type.CHOICE,
        choices=["Free", "Enterprise"],
        choice_labels={"Enterprise": {KO: "엔터프라이즈"}},
    )
    by("property:plan")
    add = reverse("admin:sla_slagoal_add")
    assert (
        '<option value="Enterprise">엔터프라이즈</option>' in korean_admin.get(add).content.decode()
    )
    assert korean_admin.post(add, goal_data("Enterprise")).status_code == 302
    assert SlaGoal.objects.get().value == "Enterprise"
    refused = korean_admin.post(add, goal_data("Gold"))
    assert refused.status_code == 200 and "Gold" in refused.content.decode()


def test_a_goal_for_a_deleted_team_shows_its_old_value_and_is_refused_until_changed(
    client, super_admin, team_a
):
    by("team")
    gone = TeamFactory(name="Gone")
    goal = SlaGoal.objects.create(value=str(gone.pk), first_response_minutes=60)
    gone_pk = gone.pk
    gone.delete()
    client.force_login(super_admin)
    url = reverse("admin:sla_slagoal_change", args=[goal.pk])
    assert (
        f'<option value="{gone_pk}" selected>{gone_pk}</option>' in client.get(url).content.decode()
    )
    assert client.post(url, goal_data(gone_pk)).status_code == 200
    assert client.post(url, goal_data(team_a.pk)).status_code == 302

"""The settings pages name pipelines, statuses, teams and properties in the
reader's language (issue 14): the pickers of the admin's forms, its list
columns, list filters and inlines show the label an admin gave, the English
name when there is none."""

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import (
    EmailChannelFactory,
    PipelineFactory,
    PropertyDefinitionFactory,
    TicketFactory,
)
from tickets import services
from tickets.models import PropertyDefinition

KO = "ko"


@pytest.fixture
def named(pipeline, team_a):
    """Korean names for the pipeline, its statuses, team A and a property."""
    pipeline.labels = {KO: "지원 파이프라인"}
    pipeline.save()
    pipeline.stages.filter(name="New").update(labels={KO: "신규"})
    pipeline.stages.filter(name="Waiting on contact").update(labels={KO: "고객 응답 대기"})
    team_a.labels = {KO: "지원팀 A"}
    team_a.save()
    area = PropertyDefinitionFactory(
        key="product_area",
        label="Product area",
        type=PropertyDefinition.Type.CHOICE,
        choices=["Mobile app", "API"],
        labels={KO: "제품 영역"},
    )
    channel = EmailChannelFactory(pipeline=pipeline, team=team_a)
    return {"pipeline": pipeline, "team": team_a, "area": area, "channel": channel}


@pytest.fixture
def korean_admin(super_admin, client):
    super_admin.language = KO
    super_admin.save()
    client.force_login(super_admin)
    return client


def page(client, name, *args, query="") -> str:
    response = client.get(reverse(f"admin:{name}", args=args) + query)
    assert response.status_code == 200
    return response.content.decode()


def test_a_korean_admin_picks_statuses_pipelines_teams_and_properties_by_korean_names(
    named, korean_admin
):
    pipeline, channel = named["pipeline"], named["channel"]
    pipeline_form = page(korean_admin, "tickets_pipeline_change", pipeline.pk)
    # "Status after an agent's reply" offers the pipeline's statuses in Korean.
    assert ">신규</option>" in pipeline_form
    assert ">고객 응답 대기</option>" in pipeline_form
    # The status rows' required properties name the custom property in Korean.
    assert "제품 영역" in pipeline_form

    channel_form = page(korean_admin, "channels_inbound_emailchannel_change", channel.pk)
    assert ">지원 파이프라인</option>" in channel_form
    assert "지원 파이프라인 · 신규</option>" in channel_form
    assert ">지원팀 A</option>" in channel_form

    webform = page(korean_admin, "channels_inbound_webform_add")
    assert ">제품 영역</option>" in webform  # a field's ticket property

    sla = page(korean_admin, "sla_slasettings_add")
    assert ">제품 영역</option>" in sla  # "goals vary by"


def test_a_korean_admin_reads_korean_names_in_lists_and_list_filters(named, korean_admin):
    PipelineFactory(name="Sales", labels={KO: "영업"})  # a filter shows from two choices
    channels = page(korean_admin, "channels_inbound_emailchannel_changelist")
    assert "지원 파이프라인" in channels  # the column and the pipeline filter
    assert channels.count("지원 파이프라인") >= 2
    assert "신규" in channels  # the status column
    assert "지원팀 A" in channels
    assert "영업" in channels  # the filter's other pipeline
    assert "Support pipeline" not in channels
    assert "지원 파이프라인" in page(korean_admin, "tickets_pipeline_changelist")
    assert "제품 영역" in page(korean_admin, "tickets_propertydefinition_changelist")
    assert "지원팀 A" in page(korean_admin, "accounts_team_changelist")
    assert "지원팀 A" in page(korean_admin, "accounts_user_changelist")  # main team filter


def test_an_english_admin_reads_the_english_names(named, super_admin, client):
    client.force_login(super_admin)
    channels = page(client, "channels_inbound_emailchannel_changelist")
    assert "Support pipeline" in channels
    assert "지원 파이프라인" not in channels
    form = page(client, "tickets_pipeline_change", named["pipeline"].pk)
    assert ">New</option>" in form


def test_rows_read_in_korean_are_kept_by_their_english_names(named, super_admin):
    """A row's str() is the reader's name now; what is stored (timeline
    lines, where an inbound message went) keeps the English one, which each
    reader's page translates (tickets.views.workspace.event_names)."""
    pipeline = named["pipeline"]
    ticket = TicketFactory(pipeline=pipeline)
    with translation.override(KO):
        assert str(pipeline.stages.get(name="New")) == "신규"
        services.ticket_set_stage(
            actor=super_admin, ticket=ticket, stage=pipeline.stages.get(name="Waiting on contact")
        )
        services.ticket_update(actor=super_admin, ticket=ticket, team=named["team"])
        assert named["channel"].landing().place == "Support pipeline · New"
    line = ticket.events.get(field="stage")
    assert (line.old_value, line.new_value) == ("New", "Waiting on contact")
    assert ticket.events.get(field="team").new_value == "Support A"


def test_a_korean_admin_is_told_in_korean_which_status_cannot_be_deleted(named, korean_admin):
    """The refusals to delete a status name it as the reader does, not by its
    English name."""
    from tests.tickets.test_admin import inline_data

    pipeline = named["pipeline"]

    def posted(delete):
        # As the page posts it: each row with its Korean name.
        data = inline_data(pipeline, delete=delete) | {"label_ko": pipeline.labels[KO]}
        for i, stage in enumerate(pipeline.stages.order_by("position")):
            data[f"stages-{i}-label_ko"] = stage.labels.get(KO, "")
        return data

    url = reverse("admin:tickets_pipeline_change", args=[pipeline.pk])
    waiting = pipeline.stages.get(name="Waiting on contact")
    TicketFactory(pipeline=pipeline, stage=waiting)
    refused = korean_admin.post(url, posted(waiting)).content.decode()
    assert "“고객 응답 대기”" in refused
    assert "“Waiting on contact”" not in refused

    new = pipeline.stages.get(name="New")  # where the email channel's tickets start
    refused = korean_admin.post(url, posted(new)).content.decode()
    assert "“신규”" in refused
    assert "“New”" not in refused

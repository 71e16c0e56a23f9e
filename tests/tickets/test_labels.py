"""Names admins give per UI language (issue 14): edited in the admin, read by
agents in their language, English when none is set, at no extra query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from conversations.models import Notification
from helpdesk.labels import clean_labels, local_label
from tests.factories import PipelineFactory, PropertyDefinitionFactory, TicketFactory
from tickets import queries, services
from tickets.models import Pipeline, PropertyDefinition, SavedView, WorkspacePreference

from .test_admin import inline_data

KO = "ko"


@pytest.fixture
def korean_agent(agent):
    agent.language = KO
    agent.save()
    return agent


@pytest.fixture
def area(db):
    return PropertyDefinitionFactory(
        key="product_area",
        label="Product area",
        type=PropertyDefinition.Type.CHOICE,
        choices=["Mobile app", "API"],
        labels={KO: "제품 영역"},
        choice_labels={"Mobile app": {KO: "모바일 앱"}},
        in_sidebar=True,
    )


def label(pipeline, stage_name: str, labels: dict) -> None:
    pipeline.stages.filter(name=stage_name).update(labels=labels)


def detail(client, ticket):
    return client.get(reverse("tickets:ticket_detail", args=["all", ticket.pk]))


# The helper ----------------------------------------------------------------------


def test_the_label_follows_the_active_language_and_falls_back_to_english():
    labels = {"ko": "열림", "zh-hant": "開啟", "de": "Offen"}
    with translation.override("ko"):
        assert local_label(labels, "Open") == "열림"
    with translation.override("zh-hant"):
        assert local_label(labels, "Open") == "開啟"
    with translation.override("de-at"):
        assert local_label(labels, "Open") == "Offen"
    with translation.override("fi"):
        assert local_label(labels, "Open") == "Open"
    with translation.override("en"):
        assert local_label(labels, "Open") == "Open"


def test_stored_labels_are_trimmed_capped_and_blank_means_english():
    cleaned = clean_labels({"ko": "  열림  ", "fi": "   ", "xx": "?", "DE": "x" * 300})
    assert cleaned == {"ko": "열림", "de": "x" * 100}


# The admin -----------------------------------------------------------------------


def test_the_pipeline_form_saves_its_own_and_its_statuses_labels(client, super_admin, pipeline):
    client.force_login(super_admin)
    url = reverse("admin:tickets_pipeline_change", args=[pipeline.pk])
    page = client.get(url).content.decode()
    assert 'name="label_ko"' in page and 'name="stages-0-label_zh_hant"' in page

    data = inline_data(pipeline) | {
        "label_ko": " 지원 파이프라인 ",
        "label_pl": "Potok wsparcia",
        "stages-0-label_ko": "신규",
        "stages-0-label_zh_hant": "新建",
    }
    response = client.post(url, data)

    assert response.status_code == 302
    pipeline.refresh_from_db()
    assert pipeline.labels == {"ko": "지원 파이프라인", "pl": "Potok wsparcia"}
    assert pipeline.stages.get(name="New").labels == {"ko": "신규", "zh-hant": "新建"}
    assert pipeline.stages.get(name="Closed").labels == {}
    # The form shows them again.
    assert 'value="신규"' in client.get(url).content.decode()


def test_a_label_longer_than_the_limit_is_refused(client, super_admin, pipeline):
    client.force_login(super_admin)
    url = reverse("admin:tickets_pipeline_change", args=[pipeline.pk])
    response = client.post(url, inline_data(pipeline) | {"label_de": "x" * 101})
    assert response.status_code == 200
    pipeline.refresh_from_db()
    assert pipeline.labels == {}


def test_the_property_form_saves_labels_for_the_property_and_its_options(client, super_admin, area):
    client.force_login(super_admin)
    url = reverse("admin:tickets_propertydefinition_change", args=[area.pk])
    page = client.get(url).content.decode()
    assert "Mobile app = 모바일 앱" in page

    data = {
        "label": "Product area",
        "type": "choice",
        "choices": "Mobile app\nAPI\nBilling = portal",
        "position": 0,
        "in_sidebar": "on",
        "label_fi": "Tuotealue",
        "options_fi": "Mobile app = Mobiilisovellus\nAPI =\nBilling = portal = Laskutusportaali",
        "options_ko": "Mobile app = 모바일 앱",
    }
    response = client.post(url, data)

    assert response.status_code == 302
    area.refresh_from_db()
    assert area.labels == {"fi": "Tuotealue"}
    assert area.choice_labels == {
        "Mobile app": {"fi": "Mobiilisovellus", "ko": "모바일 앱"},
        "Billing = portal": {"fi": "Laskutusportaali"},
    }


def test_removing_an_option_drops_its_labels(client, super_admin, area):
    client.force_login(super_admin)
    url = reverse("admin:tickets_propertydefinition_change", args=[area.pk])
    # The form as shown, with "Mobile app" taken off the options.
    data = {
        "label": "Product area",
        "type": "choice",
        "choices": "API",
        "position": 0,
        "options_ko": "Mobile app = 모바일 앱\nAPI = 에이피아이",
    }
    assert client.post(url, data).status_code == 302
    area.refresh_from_db()
    assert area.choice_labels == {"API": {KO: "에이피아이"}}


def test_an_option_label_for_an_unknown_option_is_refused(client, super_admin, area):
    client.force_login(super_admin)
    url = reverse("admin:tickets_propertydefinition_change", args=[area.pk])
    data = {
        "label": "Product area",
        "type": "choice",
        "choices": "Mobile app\nAPI",
        "position": 0,
        "options_de": "Desktop app = Desktop-App",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "does not start with one of the options" in response.content.decode()
    area.refresh_from_db()
    assert area.choice_labels == {"Mobile app": {KO: "모바일 앱"}}


def test_the_custom_view_form_saves_labels(client, super_admin):
    view = SavedView.objects.create(name="Urgent", owner=super_admin, sharing="everyone")
    client.force_login(super_admin)
    url = reverse("admin:tickets_savedview_change", args=[view.pk])
    response = client.post(url, {"name": "Urgent", "sharing": "everyone", "label_ko": "긴급"})
    assert response.status_code == 302
    view.refresh_from_db()
    assert view.labels == {"ko": "긴급"}


# What agents see -----------------------------------------------------------------


def test_a_korean_agent_sees_korean_statuses_properties_options_and_views(
    client, korean_agent, pipeline, team_a, area
):
    label(pipeline, "New", {KO: "신규"})
    label(pipeline, "Waiting on contact", {KO: "연락처 응답 대기"})
    pipeline.labels = {KO: "지원 파이프라인"}
    pipeline.save()
    team_a.labels = {KO: "지원 A팀"}
    team_a.save()
    SavedView.objects.create(
        name="Urgent", labels={KO: "긴급 티켓"}, owner=korean_agent, sharing="everyone"
    )
    ticket = TicketFactory(
        pipeline=pipeline, team=team_a, properties={"product_area": "Mobile app"}
    )
    client.force_login(korean_agent)

    page = detail(client, ticket).content.decode()

    assert ">신규</option>" in page  # the header's status picker
    assert ">연락처 응답 대기</option>" in page
    assert "제품 영역" in page and ">모바일 앱</option>" in page  # the sidebar property
    assert ">지원 A팀</option>" in page and "지원 파이프라인" in page
    assert "긴급 티켓" in page  # the views sidebar
    assert "“신규”" in page  # the timeline: created in “New”
    # No label set: the English name.
    assert ">Closed</option>" in page and ">API</option>" in page


def test_without_labels_a_korean_agent_sees_the_english_names(client, korean_agent, pipeline, area):
    PropertyDefinition.objects.update(labels={}, choice_labels={})
    ticket = TicketFactory(pipeline=pipeline, properties={"product_area": "Mobile app"})
    client.force_login(korean_agent)
    page = detail(client, ticket).content.decode()
    assert ">New</option>" in page and "Product area" in page and ">Mobile app</option>" in page


def test_an_english_agent_sees_the_english_names(client, agent, pipeline, area):
    label(pipeline, "New", {KO: "신규"})
    ticket = TicketFactory(pipeline=pipeline)
    client.force_login(agent)
    page = detail(client, ticket).content.decode()
    assert ">New</option>" in page and "신규" not in page


def test_the_timeline_names_statuses_and_options_in_the_readers_language(
    client, korean_agent, pipeline, area
):
    label(pipeline, "Waiting on contact", {KO: "연락처 응답 대기"})
    ticket = TicketFactory(pipeline=pipeline)
    services.ticket_set_stage(
        actor=None, ticket=ticket, stage=pipeline.stages.get(name="Waiting on contact")
    )
    services.ticket_update(actor=None, ticket=ticket, properties={"product_area": "Mobile app"})
    # Events keep the English names, whoever reads them later.
    assert ticket.events.filter(field="stage", new_value="Waiting on contact").exists()
    client.force_login(korean_agent)

    page = detail(client, ticket).content.decode()

    assert "“연락처 응답 대기”" in page and "“Waiting on contact”" not in page
    assert "“모바일 앱”" in page


def test_the_table_shows_statuses_options_and_filters_in_korean(
    client, korean_agent, pipeline, area
):
    label(pipeline, "New", {KO: "신규"})
    TicketFactory(pipeline=pipeline, properties={"product_area": "Mobile app"})
    client.force_login(korean_agent)
    WorkspacePreference.objects.create(user=korean_agent, list_columns=["stage", "product_area"])

    page = client.get(reverse("tickets:view_list", args=["all"])).content.decode()

    assert '<span class="status">신규</span>' in page
    assert '<td class="col-product_area">모바일 앱</td>' in page
    assert "제품 영역" in page  # column header and filter list


def test_labels_cost_no_extra_query(client, korean_agent, pipeline, team_a, area):
    ticket = TicketFactory(pipeline=pipeline, team=team_a, properties={"product_area": "API"})
    client.force_login(korean_agent)
    detail(client, ticket)  # the first request creates the agent's preferences
    with CaptureQueriesContext(connection) as plain:
        assert detail(client, ticket).status_code == 200

    for stage in pipeline.stages.all():
        stage.labels = {KO: f"{stage.name} (ko)"}
        stage.save()
    team_a.labels = {KO: "팀"}
    team_a.save()
    area.choice_labels = {"API": {KO: "에이피아이"}}
    area.save()
    # The first page after the change shows it (the settings it keeps
    # between requests are read again: helpdesk.memo), the next as cheaply.
    first = detail(client, ticket).content.decode()
    assert "New (ko)" in first and "에이피아이" in first and "팀" in first
    with CaptureQueriesContext(connection) as labelled:
        page = detail(client, ticket).content.decode()

    assert "New (ko)" in page and "에이피아이" in page
    assert len(labelled) == len(plain)


def test_status_notifications_name_the_status_in_each_followers_language(
    korean_agent, super_admin, pipeline
):
    label(pipeline, "Waiting on contact", {KO: "연락처 응답 대기"})
    ticket = TicketFactory(pipeline=pipeline)
    services.ticket_follow(user=korean_agent, ticket=ticket)
    services.ticket_set_stage(
        actor=super_admin, ticket=ticket, stage=pipeline.stages.get(name="Waiting on contact")
    )
    notification = Notification.objects.get(user=korean_agent, kind="status")
    assert notification.detail == "연락처 응답 대기"


def _moved_ticket(pipeline, moves: int):
    """A ticket created in `pipeline`, set to "Waiting on contact", then moved
    to Sales and back `moves` times, ending in Sales."""
    sales = Pipeline.objects.filter(name="Sales").first() or PipelineFactory(
        name="Sales", labels={KO: "영업"}
    )
    label(pipeline, "New", {KO: "신규"})
    label(pipeline, "Waiting on contact", {KO: "연락처 응답 대기"})
    label(sales, "New", {KO: "새 영업 건"})
    ticket = TicketFactory(pipeline=pipeline)
    services.ticket_set_stage(
        actor=None, ticket=ticket, stage=pipeline.stages.get(name="Waiting on contact")
    )
    for turn in range(2 * moves - 1):
        there = sales if turn % 2 == 0 else pipeline
        ticket = services.ticket_move_pipeline(
            actor=None, ticket=ticket, stage=there.stages.get(name="New")
        )
    return ticket


def test_after_a_pipeline_move_the_timeline_names_each_pipelines_statuses_in_korean(
    client, korean_agent, pipeline
):
    """Both pipelines have a "New", labelled apart: each line names the one
    of the pipeline the ticket was in when it was written."""
    ticket = _moved_ticket(pipeline, moves=1)
    client.force_login(korean_agent)

    page = detail(client, ticket).content.decode()

    assert "“신규”" in page  # created in the support pipeline's New
    assert "“연락처 응답 대기”" in page
    assert "“Waiting on contact”" not in page and "“New”" not in page
    # The move: the status from the old pipeline's to the new one's.
    assert "“연락처 응답 대기”에서 “새 영업 건”" in page or (
        page.index("“연락처 응답 대기”") < page.index("“새 영업 건”")
    )
    assert "“영업”" in page and "“Support pipeline”" in page  # the pipeline line


def test_the_timeline_costs_the_same_queries_however_many_moves_it_shows(
    client, korean_agent, pipeline
):
    one = _moved_ticket(pipeline, moves=1)
    client.force_login(korean_agent)
    detail(client, one)  # the first request creates the agent's preferences
    with CaptureQueriesContext(connection) as after_one:
        detail(client, one)
    many = _moved_ticket(pipeline, moves=4)
    detail(client, many)  # its new pipelines changed the settings the pane keeps
    with CaptureQueriesContext(connection) as after_four:
        page = detail(client, many).content.decode()
    assert page.count("“새 영업 건”") >= 4
    assert len(after_four) == len(after_one)


def test_an_older_page_of_the_timeline_names_the_old_pipelines_statuses(
    client, korean_agent, pipeline
):
    """Its lines were written before a move that only the newer page shows."""
    ticket = _moved_ticket(pipeline, moves=1)
    for n in range(31):  # pushes the status lines onto the second page
        services.ticket_update(actor=None, ticket=ticket, name=f"Renamed {n}")
    client.force_login(korean_agent)
    first = queries.events_for_timeline(ticket)
    older = client.get(
        reverse("tickets:ticket_activity", args=[ticket.pk]), {"before": first.next_cursor}
    ).content.decode()
    assert "“연락처 응답 대기”" in older and "“신규”" in older
    assert "“Waiting on contact”" not in older


def test_the_required_property_marker_never_shows_inside_a_status_name(client, agent, pipeline):
    """A status that needs properties says so in its popover, not as "Closed *"
    in the select (issue 19)."""
    ticket = TicketFactory(pipeline=pipeline, owner=agent)
    client.force_login(agent)
    page = detail(client, ticket).content.decode()
    assert ">Closed</option>" in page
    assert " *</option>" not in page

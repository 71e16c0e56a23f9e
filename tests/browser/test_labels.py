"""A Korean agent reads the names admins gave in Korean (issue 14)."""

import pytest
from playwright.sync_api import expect

from tests.factories import PropertyDefinitionFactory, TicketFactory, UserFactory
from tickets.models import PropertyDefinition

pytestmark = pytest.mark.browser


def test_a_korean_agent_works_a_ticket_with_korean_statuses_and_properties(
    page, sign_in, team_a, pipeline
):
    pipeline.stages.filter(name="New").update(labels={"ko": "신규"})
    pipeline.stages.filter(name="Waiting on contact").update(labels={"ko": "연락처 응답 대기"})
    PropertyDefinitionFactory(
        key="product_area",
        label="Product area",
        labels={"ko": "제품 영역"},
        type=PropertyDefinition.Type.CHOICE,
        choices=["Mobile app", "API"],
        choice_labels={"Mobile app": {"ko": "모바일 앱"}},
    )
    agent = UserFactory(username="minjun", main_team=team_a, language="ko")
    ticket = TicketFactory(pipeline=pipeline, team=team_a, name="앱 로그인 오류")
    sign_in(agent)
    page.goto(f"/tickets/{ticket.pk}/")

    row = page.locator(f"#row-{ticket.pk}")
    status = page.locator("#field-stage select")
    expect(status.locator("option:checked")).to_have_text("신규")
    expect(page.locator("#record-sidebar")).to_contain_text("제품 영역")
    page.locator("#record-sidebar select[name=prop_product_area]").select_option("Mobile app")
    expect(page.locator("#record-sidebar .timeline")).to_contain_text("모바일 앱")

    status.select_option(label="연락처 응답 대기")
    expect(page.locator("#record-sidebar .timeline")).to_contain_text("“연락처 응답 대기”")
    expect(row).to_contain_text("연락처 응답 대기")

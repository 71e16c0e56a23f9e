"""Reports in Chromium (issue 21): open them, change the period and a
filter, drill down from a bar and from a dot of the backlog line to the
ticket table, export the CSV; open the
Satisfaction tab and drill down from its number of ratings."""

import re
import zoneinfo
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import expect

from reports import facts
from tests.factories import SurveyFactory, TeamFactory, TicketFactory


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reports are computed in PostgreSQL")
def test_open_reports_filter_drill_down_and_export(page, sign_in, agent, pipeline, team_a):
    other = TeamFactory(name="Billing")
    first = TicketFactory(pipeline=pipeline, team=team_a, name="Printer on fire")
    second = TicketFactory(pipeline=pipeline, team=team_a, name="Login loop")
    third = TicketFactory(pipeline=pipeline, team=other, name="Refund please")
    SurveyFactory(ticket=first, rating="good", comment="Fixed before lunch, thanks")
    SurveyFactory(ticket=second, rating="bad")
    SurveyFactory(ticket=third, rating="good")
    facts.refresh()
    # The day the tickets were created where the agent reads (no zone of
    # their own: the help desk's).
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    today = first.created_at.astimezone(zone).date().isoformat()
    sign_in(agent)

    page.goto("/")
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()
    created = page.locator(".report-kpis .report-card").first
    expect(created).to_contain_text("3")

    page.locator("select[name=range]").select_option("7d")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert "range=7d" in page.url
    with page.expect_navigation():
        page.locator("select[name=team]").select_option(label="Support A")
    expect(created).to_contain_text("2")

    with page.expect_navigation():
        page.locator(f'rect[data-bar="created-{today}"]').click()
    assert "/views/all/list/" in page.url
    rows = page.locator(".ticket-table tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator(".ticket-table")).not_to_contain_text("Refund please")

    # The dot of today on the backlog line: the two tickets open now.
    page.go_back()
    with page.expect_navigation():
        page.locator(f'circle[data-dot="{today}"]').click()
    expect(page.locator(".ticket-table tbody tr")).to_have_count(2)
    expect(page.get_by_text("Open at the end of the day is on")).to_be_visible()

    page.go_back()
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").first.click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("From,To,Created,Solved")
    assert f"{today},{today},2,0,0" in text

    # Satisfaction, with the team filter kept: 1 of 2 ratings good.
    with page.expect_navigation():
        page.get_by_role("link", name="Satisfaction").click()
    expect(page.locator(".report-kpis")).to_contain_text("50.0 %")
    expect(page.locator(".csat-comments")).to_contain_text("Fixed before lunch, thanks")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(r"^Ratings 2 ")).click()
    expect(page.locator(".ticket-table tbody tr")).to_have_count(2)
    expect(page.locator(".ticket-table")).not_to_contain_text("Refund please")

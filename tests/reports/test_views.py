"""The Reports pages: who may open them, what a bad period or filter does,
the CSV export, and a constant number of queries."""

import csv
import io

import pytest
from django.urls import reverse

from .conftest import refreshed

PAGES = [
    "reports:volume",
    "reports:speed",
    "reports:sla",
    "reports:workload",
    "reports:satisfaction",
]


@pytest.fixture
def week(desk, agent, team_a):
    agent.time_zone = "Europe/Berlin"
    agent.save()
    first = desk.ticket("2026-11-06 10:00", team=team_a, owner=agent, source="email")
    desk.customer(first, "2026-11-06 10:00")
    desk.reply(first, "2026-11-06 10:30")
    desk.close(first, "2026-11-06 12:00")
    desk.ticket("2026-11-07 10:00", name="=HYPERLINK(1)", source="chat")
    refreshed()
    return {"range": "custom", "from": "2026-11-02", "to": "2026-11-08"}


@pytest.mark.parametrize("page", PAGES)
def test_each_report_shows_for_an_agent_in_constant_queries(
    page, client, agent, week, django_assert_max_num_queries
):
    client.force_login(agent)
    with django_assert_max_num_queries(30):
        response = client.get(reverse(page), week)
    assert response.status_code == 200
    assert "<svg" in response.content.decode() or page == "reports:workload"


def test_volume_shows_counts_with_links_to_the_tickets(client, agent, week):
    client.force_login(agent)
    page = client.get(reverse("reports:volume"), week).content.decode()
    assert "f=created_at%3Abetween%3A2026-11-06%2C2026-11-06" in page
    assert "f=merged_into%3Aunknown" in page
    assert 'role="group"' in page and "<title>" in page  # the chart's marks speak
    assert "<table" in page  # and its numbers are a table


def test_speed_toggles_business_and_calendar_hours(client, agent, week):
    client.force_login(agent)
    business = client.get(reverse("reports:speed"), week).content.decode()
    calendar = client.get(reverse("reports:speed"), {**week, "hours": "calendar"}).content.decode()
    assert "30 min" in business and "30 min" in calendar  # 24/7: no calendar defined
    assert 'value="calendar" checked' in calendar
    assert "No customer wrote again after an answer." in business


def test_the_volume_exports_as_csv(client, agent, week):
    client.force_login(agent)
    response = client.get(reverse("reports:volume"), {**week, "export": "daily"})
    assert response["Content-Type"].startswith("text/csv")
    assert "report-volume-2026-11-02_2026-11-08.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert rows[0][:3] == ["From", "To", "Created"]
    assert rows[5][:5] == ["2026-11-06", "2026-11-06", "1", "1", "0"]


def test_workload_exports_and_sorts(client, agent, week):
    client.force_login(agent)
    response = client.get(
        reverse("reports:workload"), {**week, "sort": "-solved", "export": "workload"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert rows[1][:4] == [agent.display_name, "1", "1", "0"]
    assert rows[2][0] == "Unassigned"


def test_a_formula_never_reaches_a_spreadsheet_as_one():
    from reports.views import _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("-1") == "'-1" and _cell(3) == "3" and _cell(None) == ""


def test_bad_dates_fall_back_to_30_days_with_a_message(client, agent, week):
    client.force_login(agent)
    page = client.get(
        reverse("reports:volume"), {"range": "custom", "from": "yesterday", "to": "2026-11-08"}
    ).content.decode()
    assert "Enter both dates as YYYY-MM-DD" in page


def test_an_unknown_filter_value_is_left_out_with_a_message(client, agent, week):
    client.force_login(agent)
    response = client.get(reverse("reports:volume"), {**week, "team": "999", "range": "nope"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "is not a value of Team" in page and "Choose one of the offered periods." in page


def test_a_period_longer_than_a_year_is_cut_with_a_message(client, agent, week):
    client.force_login(agent)
    page = client.get(
        reverse("reports:volume"), {"range": "custom", "from": "2020-01-01", "to": "2026-11-08"}
    ).content.decode()
    assert "at most 366 days" in page
    assert "per week" in page


def test_collaborators_and_strangers_get_no_reports(client, collaborator):
    assert client.get(reverse("reports:volume")).status_code == 302
    client.force_login(collaborator)
    for page in PAGES:
        assert client.get(reverse(page)).status_code == 404


def test_chart_coordinates_keep_a_decimal_point_in_german(client, agent, week):
    """A German reader's template writes 12,5: SVG would drop the bar."""
    import re

    agent.language = "de"
    agent.save()
    client.force_login(agent)
    for page in ("reports:volume", "reports:speed"):
        html = client.get(reverse(page), week).content.decode()
        assert "<rect" in html
        assert not re.search(r'\b(x|y|cx|cy|width|height)="[^"]*\d,\d', html), page


def test_reports_are_unavailable_with_a_reason_on_sqlite(client, agent, monkeypatch):
    """The embedded SQLite database of a first run keeps no report figures:
    the page says why instead of failing, and nothing is queued."""
    from reports import facts

    monkeypatch.setattr(facts, "enabled", lambda: False)
    client.force_login(agent)
    for url in ("/reports/", "/reports/speed/", "/reports/sla/", "/reports/workload/"):
        page = client.get(url).content.decode()
        assert "Reports are computed in PostgreSQL" in page
    assert facts.refresh() == 0


def test_reopened_and_open_at_the_end_of_a_day_link_to_the_table(client, agent, week):
    client.force_login(agent)
    page = client.get(reverse("reports:volume"), week).content.decode()
    assert "f=reopened_at%3Abetween%3A2026-11-02%2C2026-11-08" in page
    assert "f=open_at%3Aon%3A2026-11-06" in page
    table = client.get(
        reverse("tickets:view_list", args=["all"]),
        {"f": ["merged_into:unknown", "open_at:on:2026-11-07"]},
    )
    assert table.status_code == 200
    assert "Open at the end of the day" in table.content.decode()
    assert "=HYPERLINK(1)" in table.content.decode()  # open when Saturday ended


def test_a_bad_day_in_the_open_at_filter_says_so(client, agent, week):
    client.force_login(agent)
    table = client.get(reverse("tickets:view_list", args=["all"]), {"f": "open_at:on:tomorrow"})
    assert table.status_code == 200
    assert "Enter dates as YYYY-MM-DD for Open at the end of the day." in table.content.decode()


def test_a_heat_map_cell_links_to_its_tickets_with_a_readable_filter(client, agent, week):
    client.force_login(agent)
    page = client.get(reverse("reports:volume"), week).content.decode()
    assert "f=created_slot%3Aany_of%3A4-10" in page  # Friday, 10:00 in Berlin
    table = client.get(
        reverse("tickets:view_list", args=["all"]),
        {"f": ["created_at:between:2026-11-02,2026-11-08", "created_slot:any_of:4-10"]},
    ).content.decode()
    assert "Created on weekday and hour" in table and "Friday 10:00" in table
    # Set by the report only: the table's own filter picker does not offer it.
    assert 'value="created_slot"' not in table

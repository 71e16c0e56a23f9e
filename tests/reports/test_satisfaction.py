"""The Satisfaction report (issue 21): share of good ratings, ratings and
response rate per team, agent, channel and day, hand-counted on a small week;
its drill-downs open exactly the tickets counted; CSV exports; the
satisfaction column of the Workload report."""

import csv
import datetime
import io
import urllib.parse

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from reports import measures
from tests.factories import SurveyFactory, TeamFactory, UserFactory
from tickets import filters as ticket_filters
from tickets.access import visible_tickets

from .conftest import BERLIN, moment, refreshed

WEEK = {"range": "custom", "from": "2026-11-02", "to": "2026-11-08"}


def rate(ticket, rating: str, at: str, *, sent: str | None = None, comment: str = ""):
    return SurveyFactory(
        ticket=ticket,
        sent_at=moment(sent or at),
        send_after=moment(sent or at),
        rating=rating,
        rated_at=moment(at) if rating else None,
        comment=comment,
    )


@pytest.fixture
def week(desk, agent, team_a, berlin):
    """Ratings given from Monday 2 to Sunday 8 November 2026 in Berlin:

    | ticket | team | owner  | channel | rating          |
    | t1     | A    | agent  | email   | good            |
    | t2     | A    | agent  | email   | bad             |
    | t3     | A    | agent  | chat    | good            |
    | t8     | A    | agent  | email   | bad, then good  |  (two surveys: the latest counts)
    | t4     | B    | bea    | phone   | 5 of 5 (good)   |
    | t5     | B    | nobody | phone   | 3 of 5 (neutral)|
    | t9     | A    | agent  | email   | sent, unanswered|

    Left out: a deleted ticket's, a spam ticket's, a merged ticket's
    rating, and one given the week before."""
    agent.time_zone = "Europe/Berlin"
    agent.save()
    team_b = TeamFactory(name="Support B")
    bea = UserFactory(username="bea", first_name="Bea", main_team=team_b)

    def ticket(at, **fields):
        return desk.ticket(at, **fields)

    t1 = ticket("2026-11-02 09:00", team=team_a, owner=agent, source="email", name="Invoice")
    t2 = ticket("2026-11-02 10:00", team=team_a, owner=agent, source="email")
    t3 = ticket("2026-11-03 10:00", team=team_a, owner=agent, source="chat")
    t8 = ticket("2026-11-03 11:00", team=team_a, owner=agent, source="email")
    t4 = ticket("2026-11-04 10:00", team=team_b, owner=bea, source="phone")
    t5 = ticket("2026-11-04 11:00", team=team_b, source="phone")
    t9 = ticket("2026-11-05 11:00", team=team_a, owner=agent, source="email")
    rate(t1, "good", "2026-11-02 18:00", comment="Quick and kind, thank you!")
    rate(t2, "bad", "2026-11-03 09:00", comment="=Took three days")
    rate(t3, "good", "2026-11-03 19:00")
    rate(t8, "bad", "2026-11-04 08:00")
    rate(t8, "good", "2026-11-05 08:00", sent="2026-11-04 20:00")
    SurveyFactory(
        ticket=t4,
        scale="five",
        sent_at=moment("2026-11-05 09:00"),
        rating="5",
        rated_at=moment("2026-11-05 10:00"),
    )
    SurveyFactory(
        ticket=t5,
        scale="five",
        sent_at=moment("2026-11-05 09:00"),
        rating="3",
        rated_at=moment("2026-11-06 10:00"),
    )
    rate(t9, "", "2026-11-06 09:00")
    deleted = ticket("2026-11-02 12:00", team=team_a, owner=agent, source="email")
    rate(deleted, "good", "2026-11-03 12:00")
    deleted.__class__.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    spam = ticket("2026-11-02 12:00", team=team_a, owner=agent, source="email")
    rate(spam, "bad", "2026-11-03 12:00")
    spam.__class__.objects.filter(pk=spam.pk).update(is_spam=True)
    merged = ticket("2026-11-02 13:00", team=team_a, owner=agent, source="email")
    rate(merged, "good", "2026-11-03 13:00")
    merged.__class__.objects.filter(pk=merged.pk).update(merged_into=t1)
    earlier = ticket("2026-10-26 10:00", team=team_a, owner=agent, source="email")
    rate(earlier, "bad", "2026-10-27 10:00")
    refreshed()
    return {"team_b": team_b, "bea": bea, "tickets": [t1, t2, t3, t8, t4, t5, t9]}


def period():
    return measures.Period(
        moment("2026-11-02 00:00").date(), moment("2026-11-08 00:00").date(), BERLIN
    )


def test_good_share_counts_each_tickets_latest_survey(week, agent):
    found = measures.satisfaction(agent, period(), measures.Filters())
    # t1, t3, t8 (its second survey), t4 good; t2 bad; t5 neutral.
    assert found == {"rated": 6, "good": 4, "sent": 7, "answered": 6}


def test_good_share_per_team_agent_and_channel(week, agent, team_a):
    def by(column):
        return {
            r["value"]: (r["good"], r["rated"])
            for r in measures.satisfaction_by(agent, period(), measures.Filters(), column)
        }

    assert by("team_id") == {team_a.pk: (3, 4), week["team_b"].pk: (1, 2)}
    assert by("owner_id") == {agent.pk: (3, 4), week["bea"].pk: (1, 1), None: (0, 1)}
    assert by("source") == {"email": (2, 3), "chat": (1, 1), "phone": (1, 2)}


def test_report_filters_narrow_the_ratings(week, agent):
    filters = measures.Filters(dims={"source": ["phone"]})
    assert measures.satisfaction(agent, period(), filters)["rated"] == 2
    filters = measures.Filters(dims={"owner": [measures.NONE]})
    assert measures.satisfaction(agent, period(), filters) == {
        "rated": 1,
        "good": 0,
        "sent": 1,
        "answered": 1,
    }


def test_a_team_scoped_agent_counts_only_their_teams_tickets(week, team_agent):
    assert measures.satisfaction(team_agent, period(), measures.Filters()) == {
        "rated": 4,
        "good": 3,
        "sent": 5,
        "answered": 4,
    }


def test_the_page_shows_the_share_ratings_and_response_rate(client, agent, week):
    client.force_login(agent)
    page = client.get(reverse("reports:satisfaction"), WEEK).content.decode()
    assert "66.7 %" in page  # 4 of 6 good
    assert "4 of 6 ratings good" in page
    assert "85.7 %" in page  # 6 of 7 surveys answered
    assert "Quick and kind, thank you!" in page
    assert 'role="group"' in page and "<title>" in page and "<table" in page


def test_a_period_without_ratings_says_so(client, agent, week):
    client.force_login(agent)
    quiet = {"range": "custom", "from": "2026-11-16", "to": "2026-11-22"}
    page = client.get(reverse("reports:satisfaction"), quiet).content.decode()
    assert "No ratings in this period." in page
    assert "0 %" not in page and "0.0 %" not in page


def test_an_agent_without_a_seat_gets_404(client, collaborator):
    client.force_login(collaborator)
    assert client.get(reverse("reports:satisfaction")).status_code == 404


def test_post_is_not_allowed(client, agent):
    client.force_login(agent)
    assert client.post(reverse("reports:satisfaction")).status_code == 405


def _drilled(url: str, user: User) -> set[int]:
    """The tickets the ticket table shows for a drill-down link."""
    query = QueryDict(urllib.parse.urlsplit(url).query)
    state = ticket_filters.ListState.from_query(query)
    tickets = ticket_filters.apply(visible_tickets(user).filter(is_spam=False), state, user)
    return set(tickets.values_list("pk", flat=True))


def _links(page: str) -> list[tuple[str, str]]:
    """(href, text) of every link to the ticket table."""
    import re

    return [
        (m.group(1).replace("&amp;", "&"), m.group(2))
        for m in re.finditer(r'<a href="(/views/all/list/\?[^"]+)"[^>]*>([^<]*)<', page)
    ]


def test_every_number_drills_down_to_exactly_its_tickets(client, agent, week, berlin):
    client.force_login(agent)
    with timezone.override(berlin):
        page = client.get(reverse("reports:satisfaction"), WEEK).content.decode()
        links = [(href, text) for href, text in _links(page) if text.strip().isdigit()]
        assert len(links) > 15
        for href, text in links:
            assert len(_drilled(href, agent)) == int(text), href


def test_drill_down_of_the_good_ratings_lists_them(week, agent, berlin):
    from reports.drill import drill

    t1, t2, t3, t8, t4, t5, t9 = week["tickets"]
    p = period()
    with timezone.override(berlin):
        good = _drilled(drill(measures.Filters(), "rated", p.start, p.end, rating="good"), agent)
        sent = _drilled(drill(measures.Filters(), "sent", p.start, p.end), agent)
        answered = _drilled(drill(measures.Filters(), "sent", p.start, p.end, answered=True), agent)
    assert good == {t1.pk, t3.pk, t8.pk, t4.pk}
    assert sent == {t1.pk, t2.pk, t3.pk, t8.pk, t4.pk, t5.pk, t9.pk}
    assert answered == sent - {t9.pk}


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_tables_export_as_csv(client, agent, week, team_a):
    client.force_login(agent)
    url = reverse("reports:satisfaction")
    teams = _csv(client.get(url, {**WEEK, "export": "team"}))
    assert teams == [
        ["Team", "Good ratings", "Ratings", "Good (%)"],
        ["Support A", "3", "4", "75.0"],
        ["Support B", "1", "2", "50.0"],
    ]
    channels = _csv(client.get(url, {**WEEK, "export": "source"}))
    assert channels[1:] == [
        ["Email", "2", "3", "66.7"],
        ["Phone", "1", "2", "50.0"],
        ["Chat", "1", "1", "100.0"],
    ]
    daily = _csv(client.get(url, {**WEEK, "export": "daily"}))
    assert daily[1] == ["2026-11-02", "2026-11-02", "1", "1", "100.0"]
    assert daily[7] == ["2026-11-08", "2026-11-08", "0", "0", ""]
    comments = _csv(client.get(url, {**WEEK, "export": "comments"}))
    assert comments[0] == ["Ticket", "Ticket name", "Rating", "Comment", "Rated", "Agent"]
    # Latest first; a comment starting with "=" is text, not a formula.
    assert [row[3] for row in comments[1:]] == ["'=Took three days", "Quick and kind, thank you!"]
    assert comments[2][:3] == [str(week["tickets"][0].pk), "Invoice", "Good"]


def test_comments_are_paginated(client, agent, week, desk, team_a, settings):
    from reports import views

    for n in range(views.COMMENTS_PER_PAGE):
        ticket = desk.ticket("2026-11-07 09:00", team=team_a)
        rate(ticket, "good", "2026-11-07 10:00", comment=f"Comment number {n}")
    refreshed()
    client.force_login(agent)
    first = client.get(reverse("reports:satisfaction"), WEEK).content.decode()
    assert "Quick and kind" not in first and "More comments" in first
    second = client.get(reverse("reports:satisfaction"), {**WEEK, "page": 2}).content.decode()
    assert "Quick and kind" in second and "Newer comments" in second


def test_workload_shows_satisfaction_per_agent_sortable(client, agent, week):
    client.force_login(agent)
    url = reverse("reports:workload")
    page = client.get(url, {**WEEK, "sort": "-csat"}).content.decode()
    assert "75.0 %" in page and "100.0 %" in page
    assert page.index("100.0 %") < page.index("75.0 %")  # Bea first
    rows = _csv(client.get(url, {**WEEK, "sort": "csat", "export": "workload"}))
    assert rows[0][-2:] == ["Good ratings (%)", "Ratings"]
    shares = [row[-2] for row in rows[1:]]
    assert shares[:3] == ["0.0", "75.0", "100.0"]  # unassigned 0 of 1, agent, Bea


def test_workload_per_team_has_the_satisfaction_column(client, agent, week):
    client.force_login(agent)
    rows = _csv(
        client.get(reverse("reports:workload"), {**WEEK, "by": "team", "export": "workload"})
    )
    assert {row[0]: row[-2:] for row in rows[1:]} == {
        "Support A": ["75.0", "4"],
        "Support B": ["50.0", "2"],
    }


def test_an_answer_and_a_comment_count_from_the_next_refresh(week, agent):
    """A survey's answer reaches the reports with the beat's next refresh of
    the facts (every save of a survey marks its ticket), as every change does."""
    from surveys.models import Survey
    from surveys.services import survey_rate

    unanswered = Survey.objects.get(ticket=week["tickets"][-1])
    unanswered.answer_until = timezone.now() + datetime.timedelta(days=1)
    unanswered.save(update_fields=["answer_until"])
    refreshed()
    survey = survey_rate(survey=unanswered, rating="good")
    survey.rated_at = moment("2026-11-07 12:00")
    survey.save(update_fields=["rated_at"])
    refreshed()
    found = measures.satisfaction(agent, period(), measures.Filters())
    assert found == {"rated": 7, "good": 5, "sent": 7, "answered": 7}
    commented = measures.satisfaction_comments(agent, period(), measures.Filters())
    assert survey.pk not in [fact.survey_id for fact in commented]

    survey = survey_rate(survey=survey, rating="good", comment="Sorted within the hour")
    survey.rated_at = moment("2026-11-07 12:00")
    survey.save(update_fields=["rated_at"])
    refreshed()
    latest = measures.satisfaction_comments(agent, period(), measures.Filters()).first()
    assert latest.survey.comment == "Sorted within the hour"


def test_a_rating_counts_for_the_team_that_holds_the_ticket_now(week, agent):
    t1 = week["tickets"][0]
    t1.team = week["team_b"]
    t1.save(update_fields=["team"])
    refreshed()
    rows = measures.satisfaction_by(agent, period(), measures.Filters(), "team_id")
    assert {row["value"]: (row["good"], row["rated"]) for row in rows} == {
        t1.team_id: (2, 3),
        week["tickets"][1].team_id: (2, 3),
    }


def test_the_periods_ratings_are_read_through_the_rated_at_index(week, agent):
    """The query has the shape of the facts' partial index on the rating
    time (on a few rows the planner would scan anyway: sequential scans are
    off here), and reads no survey and no ticket."""
    from django.db import connection

    sql, args = measures.rated_in(agent, period(), measures.Filters()).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, args)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "fact_survey_rated" in plan
    assert "surveys_survey" not in plan and "tickets_ticket" not in plan

"""Each measure of the reports against small cases worked out by hand."""

import datetime
import zoneinfo

import pytest
from django.http import QueryDict
from django.utils import timezone

from accounts.models import User
from reports import measures
from reports.drill import drill
from reports.measures import Filters, Period
from sla.models import Calendar, Holiday, WorkingPeriod
from tests.factories import TeamFactory, UserFactory
from tickets import filters as table_filters
from tickets import queries, services

from .conftest import BERLIN, refreshed

pytestmark = pytest.mark.django_db

FRIDAY = datetime.date(2026, 11, 6)
MONDAY = datetime.date(2026, 11, 9)  # a holiday below
TUESDAY = datetime.date(2026, 11, 10)


def week(start=FRIDAY, end=TUESDAY):
    return Period(start, end, BERLIN)


def counts(user, period, filters=None):
    return measures.daily_counts(user, period, filters or Filters())


def office_hours(team=None, holiday=MONDAY):
    """Monday to Friday, 9 to 17 in Berlin; `holiday` off."""
    calendar = Calendar.objects.create(name="Office", time_zone="Europe/Berlin", is_default=True)
    for weekday in range(5):
        WorkingPeriod.objects.create(
            calendar=calendar, weekday=weekday, start=datetime.time(9), end=datetime.time(17)
        )
    Holiday.objects.create(calendar=calendar, date=holiday, name="Day off")
    if team:
        calendar.teams.add(team)
    return calendar


def test_created_and_solved_count_per_day_of_the_agents_zone(desk, super_admin):
    first = desk.ticket("2026-11-06 23:30")  # Friday in Berlin, 22:30 UTC
    second = desk.ticket("2026-11-07 00:30")  # Saturday in Berlin, still Friday in UTC
    desk.close(first, "2026-11-07 10:00")
    desk.reopen(first, "2026-11-09 08:00")
    desk.close(first, "2026-11-10 12:00")
    desk.close(second, "2026-11-10 13:00")
    refreshed()
    days = counts(super_admin, week())
    assert days[FRIDAY] == {"created": 1, "solved": 0}
    assert days[datetime.date(2026, 11, 7)] == {"created": 1, "solved": 0}
    # Solved counts the close that holds: the first close was undone on Monday.
    assert days[MONDAY] == {"created": 0, "solved": 0}
    assert days[TUESDAY] == {"created": 0, "solved": 2}
    assert measures.uses_rollups(week(), Filters())


def test_reopened_counts_each_ticket_once_per_day_week_and_period(desk, super_admin):
    saturday = datetime.date(2026, 11, 7)
    a = desk.ticket("2026-11-06 09:00", priority="low")
    b = desk.ticket("2026-11-06 10:00", priority="high")
    desk.close(a, "2026-11-06 12:00")
    desk.reopen(a, "2026-11-07 10:00")
    desk.close(a, "2026-11-07 12:00")
    desk.reopen(a, "2026-11-09 08:00")
    desk.close(a, "2026-11-09 09:00")
    desk.reopen(a, "2026-11-09 10:00")  # twice on Monday
    desk.close(b, "2026-11-07 12:00")
    desk.reopen(b, "2026-11-09 23:30")  # Monday in Berlin, 22:30 UTC
    refreshed()
    daily, total = measures.reopened(super_admin, week(), Filters())
    assert daily == {saturday: 1, MONDAY: 2}
    assert total == 2  # a reopened three times counts once
    # Weeks run Monday to Sunday; the first is cut to the period's Friday.
    weekly, total = measures.reopened(super_admin, week(), Filters(), weekly=True)
    assert (weekly, total) == ({FRIDAY: 1, MONDAY: 2}, 2)
    # Each number drills down to exactly its tickets.
    assert table_count(super_admin, drill(Filters(), "reopened", FRIDAY, TUESDAY)) == 2
    assert table_count(super_admin, drill(Filters(), "reopened", saturday, saturday)) == 1
    assert table_count(super_admin, drill(Filters(), "reopened", MONDAY, MONDAY)) == 2
    assert table_count(super_admin, drill(Filters(), "reopened", TUESDAY, TUESDAY)) == 0
    only_b = Filters(dims={"priority": ["high"]})
    assert measures.reopened(super_admin, week(), only_b)[1] == 1
    assert table_count(super_admin, drill(only_b, "reopened", FRIDAY, TUESDAY)) == 1


def test_days_in_a_half_hour_zone_are_counted_from_the_facts(desk, super_admin):
    india = zoneinfo.ZoneInfo("Asia/Kolkata")
    desk.ticket("2026-11-06 20:00")  # 00:30 on Saturday in India
    refreshed()
    period = Period(FRIDAY, TUESDAY, india)
    assert not measures.uses_rollups(period, Filters())
    days = counts(super_admin, period)
    assert days[datetime.date(2026, 11, 7)]["created"] == 1
    assert days[FRIDAY]["created"] == 0


def test_merged_tickets_count_once_and_deleted_and_spam_not_at_all(desk, super_admin):
    from conversations.moves import ticket_merge

    kept = desk.ticket("2026-11-06 10:00")
    merged = desk.ticket("2026-11-06 11:00")
    deleted = desk.ticket("2026-11-06 12:00")
    spam = desk.ticket("2026-11-06 13:00")
    ticket_merge(actor=super_admin, ticket=merged, into=kept)
    services.ticket_delete(actor=super_admin, ticket=deleted)
    services.ticket_mark_spam(actor=super_admin, ticket=spam)
    refreshed()
    assert counts(super_admin, week())[FRIDAY]["created"] == 1
    # The drill-down shows that one ticket.
    url = drill(Filters(), "created", FRIDAY, FRIDAY)
    assert table_count(super_admin, url) == 1


def test_backlog_walks_back_from_the_tickets_open_now(desk, super_admin):
    a = desk.ticket("2026-11-06 10:00")
    b = desk.ticket("2026-11-07 10:00")
    desk.ticket("2026-11-10 10:00")
    desk.close(a, "2026-11-07 12:00")
    desk.reopen(a, "2026-11-09 12:00")
    desk.close(b, "2026-11-10 12:00")
    refreshed()
    now = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
    open_at = measures.backlog(super_admin, week(), Filters(), now=now)
    assert open_at == {
        FRIDAY: 1,  # a
        datetime.date(2026, 11, 7): 1,  # b (a closed)
        datetime.date(2026, 11, 8): 1,
        MONDAY: 2,  # a reopened
        TUESDAY: 2,  # b closed, c created
    }


def test_the_open_tickets_at_the_end_of_each_day_drill_down_to_exactly_them(
    desk, super_admin, team_a
):
    a = desk.ticket("2026-11-06 10:00", team=team_a)
    b = desk.ticket("2026-11-07 10:00", team=team_a)
    c = desk.ticket("2026-11-08 10:00")
    desk.ticket("2026-11-10 10:00", team=team_a)
    gone = desk.ticket("2026-11-06 11:00", team=team_a)
    desk.close(a, "2026-11-07 12:00")
    desk.reopen(a, "2026-11-09 12:00")
    desk.close(a, "2026-11-09 18:00")
    desk.reopen(a, "2026-11-10 08:00")
    desk.close(b, "2026-11-10 12:00")
    desk.close(c, "2026-11-08 23:59")
    desk.reopen(c, "2026-11-09 00:00")  # the first moment of Monday in Berlin
    services.ticket_delete(actor=super_admin, ticket=gone)
    refreshed()
    now = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
    for filters in (Filters(), Filters(dims={"team": [str(team_a.pk)]})):
        open_at = measures.backlog(super_admin, week(), filters, now=now)
        for day, count in open_at.items():
            url = drill(filters, "open_at", end=day)
            assert table_count(super_admin, url) == count, (day, filters)
    assert measures.backlog(super_admin, week(), Filters(), now=now) == {
        FRIDAY: 1,  # a
        datetime.date(2026, 11, 7): 1,  # b (a closed)
        datetime.date(2026, 11, 8): 1,  # b (c closed a minute before the end)
        MONDAY: 2,  # b, c (a reopened and closed again)
        TUESDAY: 3,  # a, c and d (b closed)
    }


def test_first_response_in_business_hours_skips_the_weekend_and_the_holiday(desk, super_admin):
    office_hours()
    ticket = desk.ticket("2026-11-06 15:00")
    desk.customer(ticket, "2026-11-06 16:00")  # Friday, one working hour left
    desk.comment(ticket, "2026-11-07 10:00")  # a comment is no answer
    desk.reply(ticket, "2026-11-10 10:00")  # Tuesday: Monday is a holiday
    desk.customer(ticket, "2026-11-10 11:00")
    desk.reply(ticket, "2026-11-10 11:30")
    desk.close(ticket, "2026-11-10 16:00")
    refreshed()
    business = measures.speed(super_admin, week(), Filters(), business=True)
    calendar = measures.speed(super_admin, week(), Filters(), business=False)
    hour = 3600
    assert business["first"] == (2 * hour, 2 * hour)  # Fri 16-17, Tue 9-10
    assert calendar["first"] == (90 * hour, 90 * hour)  # Fri 16:00 to Tue 10:00
    assert business["next"] == calendar["next"] == (1800, 1800)
    # Created Friday 15:00: Fri 15-17 and Tue 9-16 are working time.
    assert business["resolution"] == (9 * hour, 9 * hour)
    assert calendar["resolution"] == (97 * hour, 97 * hour)
    assert business["replies"] == 2 and business["one_touch"] == 0


def test_speed_says_there_is_nothing_to_measure(super_admin):
    found = measures.speed(super_admin, week(), Filters(), business=True)
    assert found["tickets"] == 0
    assert found["first"] == found["next"] == found["resolution"] == (None, None)
    assert found["one_touch"] is None and found["replies"] is None


def test_one_touch_and_median_of_several_tickets(desk, super_admin):
    for minutes in (10, 20, 30, 40):
        ticket = desk.ticket("2026-11-10 09:00")
        desk.customer(ticket, "2026-11-10 09:00")
        desk.reply(ticket, f"2026-11-10 09:{minutes}")
        if minutes == 40:
            desk.reply(ticket, "2026-11-10 10:00")
        desk.close(ticket, "2026-11-10 11:00")
    refreshed()
    found = measures.speed(super_admin, week(), Filters(), business=False)
    assert found["first"][0] == 25 * 60  # between 20 and 30 minutes
    assert found["first"][1] == pytest.approx(37 * 60)  # 90th of 10, 20, 30, 40
    assert found["one_touch"] == 75.0
    assert found["replies"] == 5 / 4


def test_a_team_scoped_agent_counts_only_the_tickets_they_may_see(
    desk, team_agent, outsider, super_admin
):
    desk.ticket("2026-11-06 10:00", team=team_agent.main_team)
    desk.ticket("2026-11-06 10:00", team=outsider.main_team)
    desk.ticket("2026-11-06 10:00", owner=team_agent)  # theirs, whatever the team
    desk.ticket("2026-11-06 10:00")
    refreshed()
    assert counts(team_agent, week())[FRIDAY]["created"] == 2
    assert counts(outsider, week())[FRIDAY]["created"] == 1
    assert counts(super_admin, week())[FRIDAY]["created"] == 4
    rows = measures.workload(team_agent, week(), Filters(), "team_id")
    assert sum(r["assigned"] for r in rows) == 2


def test_filters_narrow_counts_and_their_drill_down_matches(desk, super_admin, team_a):
    other = TeamFactory(name="Other")
    desk.ticket("2026-11-06 10:00", team=team_a, priority="high", source="email")
    desk.ticket("2026-11-06 11:00", team=team_a, priority="low", source="chat")
    desk.ticket("2026-11-06 12:00", team=other, priority="high", source="email")
    closed = desk.ticket("2026-11-06 12:30", priority="high", source="email")
    desk.close(closed, "2026-11-06 13:00")
    refreshed()
    for filters, created in (
        (Filters(dims={"team": [str(team_a.pk)]}), 2),
        (Filters(dims={"priority": ["high"]}), 3),
        (Filters(dims={"priority": ["high"], "source": ["email"]}), 3),
        (Filters(dims={"team": ["none"]}), 1),
        (Filters(dims={"source": ["chat"]}), 1),
    ):
        assert counts(super_admin, week(), filters)[FRIDAY]["created"] == created
        url = drill(filters, "created", FRIDAY, FRIDAY)
        assert table_count(super_admin, url) == created, url
    solved = Filters(dims={"priority": ["high"]})
    assert counts(super_admin, week(), solved)[FRIDAY]["solved"] == 1
    assert table_count(super_admin, drill(solved, "solved", FRIDAY, FRIDAY)) == 1
    assert table_count(super_admin, drill(Filters(), "open")) == 3


def test_tag_filters_count_from_the_facts_with_the_same_drill_down(desk, super_admin):
    tagged = desk.ticket("2026-11-06 10:00")
    desk.ticket("2026-11-06 11:00")
    services.ticket_tag(actor=super_admin, ticket=tagged, add=["vip"])
    refreshed()
    from tickets.models import Tag

    filters = Filters(tags=[Tag.objects.get(name="vip").pk])
    assert not measures.uses_rollups(week(), filters)
    assert counts(super_admin, week(), filters)[FRIDAY]["created"] == 1
    assert table_count(super_admin, drill(filters, "created", FRIDAY, FRIDAY)) == 1


def table_count(user, url) -> int:
    """How many tickets the ticket table shows at `url`, as its own count does."""
    path, query = url.split("?", 1)
    slug = path.rstrip("/").split("/")[-2]
    timezone.activate(BERLIN)
    try:
        view = queries.get_view_for_user(user, slug)
        state = table_filters.ListState.from_query(QueryDict(query))
        return int(queries.table_count(user, view, state))
    finally:
        timezone.deactivate()


def test_owned_only_agents_see_their_own(desk, owned_agent):
    desk.ticket("2026-11-06 10:00", owner=owned_agent)
    desk.ticket("2026-11-06 10:00", owner=UserFactory(role=User.Role.AGENT))
    refreshed()
    assert counts(owned_agent, week())[FRIDAY]["created"] == 1


def test_volume_in_one_pass_equals_the_measures_one_by_one(desk, super_admin):
    a = desk.ticket("2026-11-06 10:00")
    b = desk.ticket("2026-11-07 23:30")
    desk.close(a, "2026-11-07 12:00")
    desk.reopen(a, "2026-11-09 12:00")
    desk.close(b, "2026-11-10 12:00")
    refreshed()
    now = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
    found = measures.volume(super_admin, week(), Filters(), now=now)
    assert found.days == counts(super_admin, week())
    assert found.open_at == measures.backlog(super_admin, week(), Filters(), now=now)
    assert (
        found.heat == measures.heat_map(super_admin, week(), Filters()) == {(4, 10): 1, (5, 23): 1}
    )
    assert found.open_now == 1


def test_workload_per_agent(desk, super_admin, agent):
    for minutes in (10, 30):
        ticket = desk.ticket("2026-11-10 09:00", owner=agent)
        desk.customer(ticket, "2026-11-10 09:00")
        desk.reply(ticket, f"2026-11-10 09:{minutes}")
        desk.close(ticket, "2026-11-10 11:00")
    desk.ticket("2026-11-10 09:00", owner=agent)
    desk.ticket("2026-10-01 09:00", owner=agent)  # before the period, open
    desk.ticket("2026-11-10 09:00")
    refreshed()
    rows = {r["value"]: r for r in measures.workload(super_admin, week(), Filters(), "owner_id")}
    assert rows[agent.pk] == {
        "value": agent.pk,
        "assigned": 3,
        "solved": 2,
        "open": 2,
        "first": 20 * 60,
        "first_business": 20 * 60,
    }
    assert rows[None]["assigned"] == 1 and rows[None]["first"] is None


def test_a_ticket_merged_by_a_bulk_update_leaves_at_the_next_refresh(desk, super_admin):
    """The refresh also reads the tickets active since its last run, and
    those merged into them: writes that send no signal are caught too."""
    from reports.models import DirtyTicket, TicketFact
    from tickets.models import Ticket

    kept = desk.ticket("2026-11-06 10:00")
    source = desk.ticket("2026-11-06 11:00")
    refreshed()
    assert TicketFact.objects.filter(pk=source.pk).exists()
    Ticket.objects.filter(pk=source.pk).update(merged_into=kept)
    Ticket.objects.filter(pk=kept.pk).update(last_activity_at=timezone.now())
    assert not DirtyTicket.objects.exists()
    refreshed()
    assert not TicketFact.objects.filter(pk=source.pk).exists()
    assert counts(super_admin, week())[FRIDAY]["created"] == 1


def test_a_ticket_is_marked_once_per_transaction_and_again_after_a_rollback(db):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from reports.facts import mark
    from reports.models import DirtyTicket

    ticket, other = 10_000_001, 10_000_002  # the queue holds ids only
    with transaction.atomic():
        with CaptureQueriesContext(connection) as captured:
            mark(ticket)
            with transaction.atomic():
                mark(ticket)
        inserts = [q for q in captured.captured_queries if "reports_dirtyticket" in q["sql"]]
        assert len(inserts) == 1
        try:
            with transaction.atomic():
                mark(other)
                raise RuntimeError
        except RuntimeError:
            pass
        assert not DirtyTicket.objects.filter(pk=other).exists()
        mark(other)  # its first mark rolled back with the savepoint
        assert DirtyTicket.objects.filter(pk=other).exists()
    assert DirtyTicket.objects.filter(pk=ticket).exists()


def test_each_cell_of_the_heat_map_drills_down_to_its_tickets(desk, super_admin):
    desk.ticket("2026-11-06 10:05")  # Friday 10:00 in Berlin
    desk.ticket("2026-11-06 10:55")
    desk.ticket("2026-11-07 23:30")  # Saturday 23:00 in Berlin, 22:30 UTC
    gone = desk.ticket("2026-11-06 10:30")
    services.ticket_delete(actor=super_admin, ticket=gone)
    refreshed()
    heat = measures.heat_map(super_admin, week(), Filters())
    assert heat == {(4, 10): 2, (5, 23): 1}
    for (weekday, hour), count in heat.items():
        url = drill(Filters(), "created", FRIDAY, TUESDAY, created_slot=f"{weekday}-{hour}")
        assert table_count(super_admin, url) == count
    empty = drill(Filters(), "created", FRIDAY, TUESDAY, created_slot="4-11")
    assert table_count(super_admin, empty) == 0


def test_a_heat_map_cell_that_is_no_hour_of_the_week_says_so(super_admin):
    from reports.filters import CREATED_SLOT

    with pytest.raises(table_filters.FilterError):
        table_filters.condition_q(
            table_filters.Condition("created_slot", "any_of", "7-10"),
            {"created_slot": CREATED_SLOT},
            super_admin,
        )

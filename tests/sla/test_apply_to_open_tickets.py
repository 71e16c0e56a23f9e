"""SLA changes reach open tickets (issue 14): a super admin who changes goals,
working hours, holidays or the SLA settings is offered to apply the change to
the running deadlines of open tickets; applying moves each deadline that the
change moves, says so on the ticket's timeline, leaves paused and closed
tickets alone, does nothing the second time, and costs the same number of
queries for ten tickets as for a hundred."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sla import changes
from sla.models import Calendar, Holiday, SlaChange, SlaGoal, SlaSettings, WorkingPeriod
from sla.templatetags.sla import sla_event
from tests.factories import TicketFactory
from tests.sla.test_clocks import customer_writes, fresh
from tickets import services as ticket_services
from tickets.models import Ticket

T0 = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)  # a Monday
MIN = datetime.timedelta(minutes=1)


def change_goal(actor, goal=None, **minutes) -> SlaChange | None:
    """What the admin's save does: change the goal, record the change."""
    before = changes.config_snapshot()
    goal = goal or SlaGoal.objects.get(value="")
    for name, value in minutes.items():
        setattr(goal, name, value)
    goal.save()
    return changes.sla_change_record(actor=actor, before=before)


def apply(actor, change, django_capture_on_commit_callbacks) -> bool:
    with django_capture_on_commit_callbacks(execute=True):
        return changes.sla_change_apply(actor=actor, change=change)


def sla_lines(ticket) -> list[str]:
    return [sla_event(e) for e in fresh(ticket).events.filter(kind="sla").order_by("id")]


@pytest.fixture
def waiting_ticket(goals, agent, pipeline):
    """A customer wrote at T0: first response due T0 + 60, close T0 + 480."""
    with time_machine.travel(T0, tick=False):
        ticket = TicketFactory(pipeline=pipeline, team=agent.main_team)
        customer_writes(ticket)
    return fresh(ticket)


def test_applying_a_goal_change_moves_running_deadlines_and_says_who_changed_what(
    waiting_ticket, super_admin, django_capture_on_commit_callbacks
):
    super_admin.first_name, super_admin.last_name = "Riya", "Admin"
    super_admin.save()
    with time_machine.travel(T0 + 5 * MIN, tick=False) as clock:
        change = change_goal(super_admin, first_response_minutes=120, close_minutes=240)
        assert fresh(waiting_ticket).sla_first_response_due == T0 + 60 * MIN  # not yet
        clock.move_to(T0 + 10 * MIN)
        assert apply(super_admin, change, django_capture_on_commit_callbacks)
    ticket = fresh(waiting_ticket)
    # Ten minutes were spent; the rest of the new goals counts from now.
    assert ticket.sla_first_response_due == T0 + 120 * MIN
    assert ticket.sla_close_due == T0 + 240 * MIN
    assert ticket.sla_next_check_at == T0 + (120 - 15) * MIN
    lines = sla_lines(ticket)
    assert len(lines) == 2
    assert all("changed by Riya Admin" in line and "SLA goals" in line for line in lines)
    assert lines[0].startswith("First response deadline moved from")
    change.refresh_from_db()
    assert change.status == SlaChange.Status.DONE
    assert (change.tickets_checked, change.tickets_moved) == (1, 1)


def test_a_ticket_whose_deadline_the_change_does_not_move_gets_no_line(
    goals, agent, pipeline, super_admin, django_capture_on_commit_callbacks
):
    SlaSettings.objects.filter(pk=1).update(goals_by="priority")
    high = SlaGoal.objects.create(value="high", first_response_minutes=30, close_minutes=240)
    with time_machine.travel(T0, tick=False) as clock:
        urgent = TicketFactory(pipeline=pipeline, team=agent.main_team, priority="high")
        customer_writes(urgent)
        other = TicketFactory(pipeline=pipeline, team=agent.main_team, priority="")
        customer_writes(other)  # the goals for "" (all others)
        clock.move_to(T0 + 5 * MIN)
        change = change_goal(super_admin, goal=high, first_response_minutes=20)
        apply(super_admin, change, django_capture_on_commit_callbacks)
    assert fresh(urgent).sla_first_response_due == T0 + 20 * MIN
    assert fresh(urgent).sla_close_due == T0 + 240 * MIN  # its goal did not change
    assert len(sla_lines(urgent)) == 1
    assert fresh(other).sla_first_response_due == T0 + 60 * MIN
    assert sla_lines(other) == []


def test_paused_and_closed_tickets_and_met_goals_are_left_alone(
    goals, agent, pipeline, super_admin, django_capture_on_commit_callbacks
):
    waiting = pipeline.stages.filter(is_closed=False).last()
    waiting.pauses_sla = True
    waiting.save()
    closed_stage = pipeline.stages.get(is_closed=True)
    with time_machine.travel(T0, tick=False) as clock:
        paused = TicketFactory(pipeline=pipeline, team=agent.main_team)
        closed = TicketFactory(pipeline=pipeline, team=agent.main_team)
        for ticket in (paused, closed):
            customer_writes(ticket)
        clock.move_to(T0 + 2 * MIN)
        ticket_services.ticket_set_stage(actor=agent, ticket=fresh(paused), stage=waiting)
        ticket_services.ticket_set_stage(
            actor=agent, ticket=fresh(closed), stage=closed_stage, category="general_inquiry"
        )
        columns = [*changes.clocks.SLA_FIELDS, "sla_paused_at"]
        before = {t.pk: [getattr(t, c) for c in columns] for t in map(fresh, (paused, closed))}
        events = {t.pk: fresh(t).events.count() for t in (paused, closed)}
        clock.move_to(T0 + 5 * MIN)
        change = change_goal(super_admin, first_response_minutes=10, close_minutes=30)
        apply(super_admin, change, django_capture_on_commit_callbacks)
    for ticket in (paused, closed):
        assert [getattr(fresh(ticket), c) for c in columns] == before[ticket.pk]
        assert fresh(ticket).events.count() == events[ticket.pk]
    assert fresh(paused).sla_paused_at == T0 + 2 * MIN


def test_applying_twice_moves_nothing_the_second_time(
    waiting_ticket, super_admin, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0 + 5 * MIN, tick=False):
        change = change_goal(super_admin, first_response_minutes=30)
        assert apply(super_admin, change, django_capture_on_commit_callbacks)
        moved = fresh(waiting_ticket).sla_first_response_due
        assert moved == T0 + 30 * MIN
        # A second click, and the task delivered once more, change nothing.
        assert not apply(super_admin, change, django_capture_on_commit_callbacks)
        assert changes.sla_change_run(change.pk) == 0
        # Saving the same goals again records no change to apply.
        assert change_goal(super_admin, first_response_minutes=30) is None
    assert fresh(waiting_ticket).sla_first_response_due == moved
    assert len(sla_lines(waiting_ticket)) == 1


def test_a_clock_started_after_the_change_already_follows_it(
    goals, agent, pipeline, super_admin, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False) as clock:
        change = change_goal(super_admin, first_response_minutes=30)
        clock.move_to(T0 + 5 * MIN)
        late = TicketFactory(pipeline=pipeline, team=agent.main_team)
        customer_writes(late)
        assert fresh(late).sla_first_response_due == T0 + 35 * MIN
        apply(super_admin, change, django_capture_on_commit_callbacks)
    assert fresh(late).sla_first_response_due == T0 + 35 * MIN
    assert sla_lines(late) == []


def test_a_new_holiday_moves_deadlines_past_it(
    goals, agent, pipeline, super_admin, django_capture_on_commit_callbacks
):
    calendar = Calendar.objects.create(name="Office", time_zone="UTC", is_default=True)
    for day in range(5):
        WorkingPeriod.objects.create(
            calendar=calendar, weekday=day, start=datetime.time(9), end=datetime.time(17)
        )
    SlaSettings.objects.filter(pk=1).update(mode=SlaSettings.Mode.WORKING_HOURS)
    with time_machine.travel(T0, tick=False):
        ticket = TicketFactory(pipeline=pipeline, team=agent.main_team)
        customer_writes(ticket)
        # 480 working minutes: Monday 9 to 17.
        assert fresh(ticket).sla_close_due == T0 + 480 * MIN
        before = changes.config_snapshot()
        Holiday.objects.create(calendar=calendar, date=datetime.date(2026, 11, 23))
        change = changes.sla_change_record(actor=super_admin, before=before)
        assert change.parts == ["holidays"]
        apply(super_admin, change, django_capture_on_commit_callbacks)
    # Monday is a holiday now: Tuesday 9 to 17.
    assert fresh(ticket).sla_close_due == T0 + (24 + 8) * 60 * MIN
    assert f"holidays changed by {super_admin.display_name}" in sla_lines(ticket)[-1]


def test_the_admin_offers_to_apply_a_change_with_the_count_and_applies_it(
    waiting_ticket, super_admin, agent, client, django_capture_on_commit_callbacks
):
    client.force_login(super_admin)
    goal = SlaGoal.objects.get(value="")
    data = {
        "value": "",
        "is_enabled": "on",
        "first_response_minutes": 30,
        "next_response_minutes": 30,
        "close_minutes": 480,
        "due_soon_minutes": 15,
    }
    with time_machine.travel(T0 + 5 * MIN, tick=False):
        response = client.post(
            reverse("admin:sla_slagoal_change", args=[goal.pk]), data, follow=True
        )
        page = response.content.decode()
        change = SlaChange.objects.get(status=SlaChange.Status.PENDING)
        offer = reverse("admin:sla_slachange_change", args=[change.pk])
        assert "1 open ticket has a running SLA clock." in page
        assert f'href="{offer}"' in page and "Apply to open tickets" in page
        assert page.count(f'href="{offer}"') == 1  # the offer, not also the reminder
        page = client.get(offer).content.decode()
        assert "1 open ticket has a running SLA clock." in page
        assert reverse("admin:sla_slachange_apply", args=[change.pk]) in page

        # Agents are not offered anything, and cannot apply.
        client.force_login(agent)
        assert client.get(offer).status_code in (302, 403)
        assert client.post(reverse("admin:sla_slachange_apply", args=[change.pk])).status_code in (
            302,
            403,
        )
        assert fresh(waiting_ticket).sla_first_response_due == T0 + 60 * MIN

        client.force_login(super_admin)
        assert client.get(reverse("admin:sla_slachange_apply", args=[change.pk])).status_code == 405
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("admin:sla_slachange_apply", args=[change.pk]))
        response = client.get(offer)
    page = response.content.decode()
    assert "Applied" in page and "Deadlines moved on 1 of 1 ticket checked." in page
    assert fresh(waiting_ticket).sla_first_response_due == T0 + 30 * MIN
    # The ticket's timeline says what moved its deadline, and who.
    client.force_login(agent)
    page = client.get(f"/tickets/{waiting_ticket.pk}/", follow=True).content.decode()
    assert f"SLA goals changed by {super_admin.display_name}" in page


def test_every_sla_settings_page_reminds_of_a_change_until_it_is_applied(
    waiting_ticket, super_admin, client, django_capture_on_commit_callbacks
):
    reminder = "not applied to open tickets yet"
    pages = [
        reverse("admin:sla_slagoal_changelist"),
        reverse("admin:sla_calendar_changelist"),
        reverse("admin:sla_slasettings_change", args=[1]),
    ]
    client.force_login(super_admin)
    assert all(reminder not in client.get(url).content.decode() for url in pages)
    change = change_goal(super_admin, first_response_minutes=30)
    offer = reverse("admin:sla_slachange_change", args=[change.pk])
    for url in pages:
        page = client.get(url).content.decode()
        assert reminder in page and f'href="{offer}"' in page, url
    apply(super_admin, change, django_capture_on_commit_callbacks)
    assert all(reminder not in client.get(url).content.decode() for url in pages)


def test_saving_without_a_difference_offers_nothing(goals, super_admin, client):
    client.force_login(super_admin)
    url = reverse("admin:sla_slasettings_change", args=[1])
    data = {"enabled": "on", "mode": SlaSettings.Mode.ALWAYS, "goals_by": ""}
    page = client.post(url, data, follow=True).content.decode()
    assert "Apply to open tickets" not in page
    assert not SlaChange.objects.exists()


def _running_tickets(count, pipeline, team):
    tickets = TicketFactory.create_batch(count, pipeline=pipeline, team=team)
    minutes = SlaGoal.objects.get(value="").first_response_minutes
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
        created_at=T0,
        sla_first_response_due=T0 + minutes * MIN,
        sla_close_due=T0 + 480 * MIN,
        sla_due_soon_minutes=15,
    )


def _queries_to_apply(super_admin, django_capture_on_commit_callbacks) -> int:
    with time_machine.travel(T0 + 5 * MIN, tick=False):
        change = change_goal(super_admin, first_response_minutes=30 + Ticket.objects.count())
        with django_capture_on_commit_callbacks(execute=False):
            changes.sla_change_apply(actor=super_admin, change=change)
        with CaptureQueriesContext(connection) as queries:
            changes.sla_change_run(change.pk)
    return len(queries)


def test_applying_costs_the_same_queries_for_ten_tickets_as_for_a_hundred(
    goals, agent, pipeline, super_admin, django_capture_on_commit_callbacks
):
    _running_tickets(10, pipeline, agent.main_team)
    ten = _queries_to_apply(super_admin, django_capture_on_commit_callbacks)
    assert Ticket.objects.filter(sla_first_response_due=T0 + 40 * MIN).count() == 10
    _running_tickets(90, pipeline, agent.main_team)
    hundred = _queries_to_apply(super_admin, django_capture_on_commit_callbacks)
    assert Ticket.objects.filter(sla_first_response_due=T0 + 130 * MIN).count() == 100
    assert hundred == ten


def test_a_change_whose_task_was_lost_is_queued_again_by_the_beat(
    waiting_ticket, super_admin, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0 + 5 * MIN, tick=False) as clock:
        change = change_goal(super_admin, first_response_minutes=30)
        with django_capture_on_commit_callbacks(execute=False):  # the broker was down
            changes.sla_change_apply(actor=super_admin, change=change)
        assert changes.sla_changes_resume() == 0  # not quiet for long yet
        clock.move_to(T0 + 11 * MIN)
        assert changes.sla_changes_resume() == 1
    assert fresh(waiting_ticket).sla_first_response_due == T0 + 30 * MIN
    assert SlaChange.objects.get().status == SlaChange.Status.DONE


# Clocks that moved between the save and the apply (issue 14) ---------------------
# The clocks compute a deadline from the configuration of that moment, which
# after the admin's save is the new one: applying must not move it once more.


def test_a_priority_changed_between_save_and_apply_moves_its_deadline_once(
    goals, agent, pipeline, super_admin, django_capture_on_commit_callbacks
):
    SlaSettings.objects.filter(pk=1).update(goals_by="priority")
    SlaGoal.objects.create(value="high", first_response_minutes=60, close_minutes=480)
    urgent = SlaGoal.objects.create(value="urgent", first_response_minutes=30, close_minutes=240)
    with time_machine.travel(T0, tick=False) as clock:
        ticket = TicketFactory(pipeline=pipeline, team=agent.main_team, priority="high")
        customer_writes(ticket)
        clock.move_to(T0 + 5 * MIN)
        change = change_goal(super_admin, goal=urgent, first_response_minutes=20)
        clock.move_to(T0 + 10 * MIN)
        ticket_services.ticket_update(actor=agent, ticket=fresh(ticket), priority="urgent")
        # Ten minutes spent, urgent's new goal of 20: ten left.
        assert fresh(ticket).sla_first_response_due == T0 + 20 * MIN
        lines = len(sla_lines(ticket))
        clock.move_to(T0 + 15 * MIN)
        apply(super_admin, change, django_capture_on_commit_callbacks)
    ticket = fresh(ticket)
    assert ticket.sla_first_response_due == T0 + 20 * MIN
    assert ticket.sla_close_due == T0 + 240 * MIN
    assert len(sla_lines(ticket)) == lines


def test_a_priority_changed_between_save_and_apply_counts_from_the_goal_it_had(
    goals, agent, pipeline, super_admin, django_capture_on_commit_callbacks
):
    """The deadline being rebased was computed with the goal before the save:
    the working time spent is measured against that goal, not the new one."""
    SlaSettings.objects.filter(pk=1).update(goals_by="priority")
    high = SlaGoal.objects.create(value="high", first_response_minutes=60)
    SlaGoal.objects.create(value="urgent", first_response_minutes=30)
    with time_machine.travel(T0, tick=False) as clock:
        ticket = TicketFactory(pipeline=pipeline, team=agent.main_team, priority="high")
        customer_writes(ticket)
        clock.move_to(T0 + 5 * MIN)
        change = change_goal(super_admin, goal=high, first_response_minutes=120)
        clock.move_to(T0 + 10 * MIN)
        ticket_services.ticket_update(actor=agent, ticket=fresh(ticket), priority="urgent")
        assert fresh(ticket).sla_first_response_due == T0 + 30 * MIN
        apply(super_admin, change, django_capture_on_commit_callbacks)
    assert fresh(ticket).sla_first_response_due == T0 + 30 * MIN


def test_a_pause_ended_between_save_and_apply_moves_its_deadline_once(
    goals, agent, pipeline, super_admin, django_capture_on_commit_callbacks
):
    """24/7 becomes Monday to Friday 9 to 17. Paused from 9:02 to 9:08, the
    close clock (480 minutes) had 4 minutes spent when applied at 9:10: 476
    working minutes are left, so it is due on Tuesday at 9:06."""
    calendar = Calendar.objects.create(name="Office", time_zone="UTC", is_default=True)
    for day in range(5):
        WorkingPeriod.objects.create(
            calendar=calendar, weekday=day, start=datetime.time(9), end=datetime.time(17)
        )
    waiting = pipeline.stages.filter(is_closed=False).last()
    waiting.pauses_sla = True
    waiting.save()
    working = pipeline.stages.filter(is_closed=False).first()
    with time_machine.travel(T0, tick=False) as clock:
        ticket = TicketFactory(pipeline=pipeline, team=agent.main_team)
        customer_writes(ticket)
        clock.move_to(T0 + 2 * MIN)
        ticket_services.ticket_set_stage(actor=agent, ticket=fresh(ticket), stage=waiting)
        clock.move_to(T0 + 5 * MIN)
        before = changes.config_snapshot()
        SlaSettings.objects.filter(pk=1).update(mode=SlaSettings.Mode.WORKING_HOURS)
        change = changes.sla_change_record(actor=super_admin, before=before)
        clock.move_to(T0 + 8 * MIN)
        ticket_services.ticket_set_stage(actor=agent, ticket=fresh(ticket), stage=working)
        clock.move_to(T0 + 10 * MIN)
        apply(super_admin, change, django_capture_on_commit_callbacks)
    ticket = fresh(ticket)
    assert ticket.sla_first_response_due == T0 + 66 * MIN
    assert ticket.sla_close_due == T0 + (24 * 60 + 6) * MIN


def test_a_ticket_reopened_between_save_and_apply_keeps_its_new_close_clock(
    goals, agent, pipeline, super_admin, django_capture_on_commit_callbacks
):
    closed = pipeline.stages.get(is_closed=True)
    reopened = pipeline.stages.filter(is_closed=False).first()
    with time_machine.travel(T0, tick=False) as clock:
        ticket = TicketFactory(pipeline=pipeline, team=agent.main_team)
        customer_writes(ticket)
        ticket_services.ticket_set_stage(
            actor=agent, ticket=fresh(ticket), stage=closed, category="general_inquiry"
        )
        clock.move_to(T0 + 5 * MIN)
        change = change_goal(super_admin, close_minutes=240)
        clock.move_to(T0 + 10 * MIN)
        ticket_services.ticket_set_stage(actor=agent, ticket=fresh(ticket), stage=reopened)
        assert fresh(ticket).sla_close_due == T0 + 250 * MIN
        clock.move_to(T0 + 20 * MIN)
        apply(super_admin, change, django_capture_on_commit_callbacks)
    assert fresh(ticket).sla_close_due == T0 + 250 * MIN


def test_the_migration_stamps_running_deadlines_unless_a_change_waits(waiting_ticket, super_admin):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("sla.migrations.0005_stamp_running_deadlines")
    columns = [f"sla_{clock}_version" for clock in changes.clocks.CLOCKS]
    Ticket.objects.update(**dict.fromkeys(columns, None))  # as before the stamps
    change = change_goal(super_admin, first_response_minutes=30)
    migration.stamp(apps, None)  # a change waits: nothing says which side a deadline is on
    assert [getattr(fresh(waiting_ticket), c) for c in columns] == [None, None, None]
    SlaChange.objects.filter(pk=change.pk).update(status=SlaChange.Status.DONE)
    migration.stamp(apps, None)
    ticket = fresh(waiting_ticket)
    assert ticket.sla_first_response_version == ticket.sla_close_version == change.pk
    assert ticket.sla_next_response_version is None  # no deadline

"""Routing picks an owner for a team's unassigned ticket by the team's method,
among the agents who can take it now (routing/services.py)."""

import copy
import datetime
import zoneinfo

import pytest

from accounts.models import Team, User
from routing import services
from routing.services import agent_set_availability, route, route_waiting
from sla.models import Calendar, WorkingPeriod
from tests.factories import PropertyDefinitionFactory, TeamFactory, TicketFactory, UserFactory
from tickets import services as ticket_services
from tickets.models import Ticket, TicketEvent

from .conftest import customer_writes

HELSINKI = zoneinfo.ZoneInfo("Europe/Helsinki")


def owners(tickets):
    return [route(ticket) for ticket in tickets]


def test_round_robin_gives_each_agent_a_turn_in_order(agents, waiting):
    assert owners([waiting() for _ in range(7)]) == [*agents, *agents, agents[0]]


def test_the_timeline_says_assigned_by_round_robin(agents, waiting):
    ticket = waiting()
    route(ticket)
    event = TicketEvent.objects.get(ticket=ticket, field="owner")
    assert (event.actor, event.via, event.via_name) == (None, "routing", "round_robin")
    assert event.new_value == str(agents[0])


def test_round_robin_stays_fair_when_an_agent_is_away_for_a_while(agents, waiting):
    route(waiting())  # agents[0]
    agent_set_availability(user=agents[1], availability=User.Availability.AWAY)
    assert owners([waiting(), waiting()]) == [agents[2], agents[0]]
    agent_set_availability(user=agents[1], availability=User.Availability.AVAILABLE)
    assert owners([waiting() for _ in range(3)]) == [agents[1], agents[2], agents[0]]
    counts = services.open_counts(a.pk for a in agents)
    assert [counts[a.pk] for a in agents] == [3, 1, 2]  # then evens out: turns go on in order


def test_least_open_gives_the_ticket_to_the_agent_with_fewest_open_tickets(
    team, agents, waiting, pipeline
):
    team.routing = Team.Routing.LEAST_OPEN
    team.save()
    for owner, count in ((agents[0], 2), (agents[2], 1)):
        for _ in range(count):
            TicketFactory(pipeline=pipeline, owner=owner, team=team)
    ticket = waiting()
    assert route(ticket) == agents[1]
    assert TicketEvent.objects.get(ticket=ticket, field="owner").via_name == "least_open"
    # 2, 1, 1: the tie goes to the lower id; then 2, 2, 1; then 2, 2, 2
    assert owners([waiting(), waiting(), waiting()]) == [agents[1], agents[2], agents[0]]


def test_routing_skips_away_agents_and_collaborators(team, agents, waiting):
    UserFactory(username="helper", main_team=team, role=User.Role.COLLABORATOR)
    agent_set_availability(user=agents[0], availability=User.Availability.AWAY)
    assert set(owners([waiting() for _ in range(4)])) == {agents[1], agents[2]}


def test_a_manual_team_is_not_routed(team, agents, waiting):
    team.routing = Team.Routing.MANUAL
    team.save()
    ticket = waiting()
    assert route(ticket) is None
    ticket.refresh_from_db()
    assert ticket.owner is None


def test_the_cap_stops_routing_and_the_ticket_waits(team, agents, waiting, pipeline):
    team.routing_cap = 1
    team.save()
    # An open ticket owned in another team counts towards the cap too.
    TicketFactory(pipeline=pipeline, owner=agents[0], team=TeamFactory())
    assert owners([waiting() for _ in range(3)]) == [agents[1], agents[2], None]


def test_closed_tickets_do_not_count_towards_the_cap(team, agents, waiting, pipeline):
    team.routing_cap = 1
    team.save()
    closed_stage = pipeline.stages.filter(is_closed=True).first()
    TicketFactory(
        pipeline=pipeline, stage=closed_stage, owner=agents[0], team=team, category="billing_issue"
    )
    assert route(waiting()) == agents[0]


def _calendar(team=None, *, default=False):
    calendar = Calendar.objects.create(
        name="Helsinki office", time_zone="Europe/Helsinki", is_default=default
    )
    for weekday in range(5):
        WorkingPeriod.objects.create(
            calendar=calendar, weekday=weekday, start=datetime.time(9), end=datetime.time(17)
        )
    if team is not None:
        calendar.teams.add(team)
    return calendar


MONDAY_EVENING = datetime.datetime(2026, 3, 2, 20, 0, tzinfo=HELSINKI)
TUESDAY_MORNING = datetime.datetime(2026, 3, 3, 9, 1, tzinfo=HELSINKI)


def test_outside_the_teams_working_hours_the_ticket_waits_until_they_start(team, agents, waiting):
    _calendar(team)
    ticket = waiting()
    assert route(ticket, now=MONDAY_EVENING) is None
    assert route_waiting(now=TUESDAY_MORNING) == 1
    ticket.refresh_from_db()
    assert ticket.owner == agents[0]


def test_a_team_without_a_calendar_follows_the_default_one(team, agents, waiting):
    _calendar(default=True)
    assert route(waiting(), now=MONDAY_EVENING) is None
    assert route(waiting(), now=TUESDAY_MORNING) == agents[0]


def test_without_any_calendar_routing_runs_around_the_clock(agents, waiting):
    assert route(waiting(), now=MONDAY_EVENING) == agents[0]


def test_a_korean_ticket_goes_to_the_agent_who_speaks_korean(
    team, agents, waiting, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=agents[2].pk).update(languages=["ko", "en"])
    ticket = waiting()
    with django_capture_on_commit_callbacks(execute=True):
        customer_writes(
            ticket, "안녕하세요, 주문한 상품이 아직 도착하지 않았습니다. 확인 부탁드립니다."
        )
    ticket.refresh_from_db()
    assert (ticket.language, ticket.owner) == ("ko", agents[2])


def test_while_the_only_speaker_is_away_the_ticket_waits_for_them(team, agents, waiting):
    User.objects.filter(pk=agents[2].pk).update(languages=["fi"], availability="away")
    ticket = waiting()
    Ticket.objects.filter(pk=ticket.pk).update(language="fi")
    ticket.language = "fi"
    assert route(ticket) is None


def test_a_language_nobody_in_the_team_speaks_goes_to_anyone(team, agents, waiting):
    User.objects.filter(pk=agents[2].pk).update(languages=["ko"])
    ticket = waiting()
    Ticket.objects.filter(pk=ticket.pk).update(language="pl")
    ticket.language = "pl"
    assert route(ticket) == agents[0]


def test_an_agent_who_reads_traditional_chinese_gets_simplified_too(team, agents, waiting):
    User.objects.filter(pk=agents[1].pk).update(languages=["zh-hant"])
    ticket = waiting()
    Ticket.objects.filter(pk=ticket.pk).update(language="zh-hans")
    ticket.language = "zh-hans"
    assert route(ticket) == agents[1]


def test_the_skill_a_property_names_picks_the_agents_who_have_it(team, agents, waiting):
    PropertyDefinitionFactory(key="product")
    team.routing_skill_property = "product"
    team.save()
    User.objects.filter(pk=agents[1].pk).update(skills=["api"])
    assert route(waiting(properties={"product": "API"})) == agents[1]
    assert route(waiting(properties={"product": "api"})) == agents[1]
    # No skill asked for: the turn goes on after agents[1]
    assert route(waiting(properties={"product": ""})) == agents[2]


def test_the_language_is_detected_once_from_the_first_customer_message(team, waiting):
    team.routing = Team.Routing.MANUAL
    team.save()
    ticket = waiting()
    customer_writes(ticket, "Hei, tilaukseni ei ole vielä saapunut. Voitteko tarkistaa?")
    customer_writes(ticket, "Hello again, any news about my order? Please check it soon.")
    ticket.refresh_from_db()
    assert ticket.language == "fi"


def test_a_customer_message_routes_an_unassigned_ticket_after_commit(
    agents, waiting, django_capture_on_commit_callbacks
):
    ticket = waiting()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        customer_writes(ticket, "Hello, my order has not arrived yet.")
    ticket.refresh_from_db()
    assert ticket.owner is None  # not inside the message's transaction
    for callback in callbacks:
        callback()
    ticket.refresh_from_db()
    assert ticket.owner == agents[0]


def test_moving_a_ticket_to_a_routed_team_routes_it(
    team, agents, pipeline, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(pipeline=pipeline, team=TeamFactory())
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(actor=None, ticket=ticket, team=team)
    ticket.refresh_from_db()
    assert ticket.owner == agents[0]


def test_an_owned_ticket_is_never_rerouted(team, agents, pipeline):
    ticket = TicketFactory(pipeline=pipeline, team=team, owner=agents[2])
    assert route(ticket) is None
    ticket.refresh_from_db()
    assert ticket.owner == agents[2]


def test_waiting_tickets_go_out_oldest_first_when_an_agent_becomes_available(
    team, agents, waiting, django_capture_on_commit_callbacks
):
    team.routing_cap = 2
    team.save()
    User.objects.filter(pk__in=[a.pk for a in agents]).update(availability="away")
    tickets = [waiting() for _ in range(3)]
    assert owners(tickets) == [None, None, None]
    with django_capture_on_commit_callbacks(execute=True):
        agent_set_availability(user=agents[1], availability=User.Availability.AVAILABLE)
    for ticket in tickets:
        ticket.refresh_from_db()
    assert [t.owner for t in tickets] == [agents[1], agents[1], None]


def test_the_beat_pass_reads_waiting_tickets_through_the_partial_index(team, agents, waiting):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plan")
    waiting()
    with CaptureQueriesContext(connection) as captured:
        route_waiting()
    (sql,) = [q["sql"] for q in captured.captured_queries if '"owner_id" IS NULL' in q["sql"]]
    # A table shaped like a help desk's (most tickets closed and owned), its
    # statistics read: on a handful of rows any index of the table will do.
    from tickets.models import Ticket

    model = Ticket.objects.get(pk=waiting().pk)
    model.pk, model.is_open, model.owner = None, False, agents[0]
    Ticket.objects.bulk_create([copy.copy(model) for _ in range(2000)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    # On a handful of rows the planner may take either partial index over
    # open unassigned tickets; both read only what waits, never the table.
    assert "ticket_open_unrouted" in plan or "ticket_open_unassigned" in plan
    assert "Seq Scan" not in plan


def test_the_beat_routes_waiting_tickets_every_minute(settings, agents, waiting):
    from celery import current_app

    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "routing.tasks.route_waiting_tickets"
    )
    assert entry["schedule"] == 60.0
    ticket = waiting()
    assert current_app.tasks["routing.tasks.route_waiting_tickets"].apply().get() == 1
    ticket.refresh_from_db()
    assert ticket.owner == agents[0]


def test_a_created_ticket_without_owner_is_routed_when_that_kind_is_sent(
    agents, waiting, django_capture_on_commit_callbacks
):
    from tickets.models import Ticket
    from tickets.signals import ticket_activity

    ticket = waiting()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_activity.send(Ticket, ticket=ticket, kind="stage", at=ticket.created_at)
    ticket.refresh_from_db()
    assert ticket.owner is None  # other kinds leave it alone
    with django_capture_on_commit_callbacks(execute=True):
        ticket_activity.send(Ticket, ticket=ticket, kind="created", at=ticket.created_at)
    ticket.refresh_from_db()
    assert ticket.owner == agents[0]

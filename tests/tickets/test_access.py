"""The visibility matrix (S3): role x scope x ticket ownership. Lists, counts and
detail pages must agree with visible_tickets() for every combination."""

import itertools

import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import TeamFactory, TicketFactory, UserFactory
from tickets import queries
from tickets.access import get_ticket_for_user, visible_tickets

ROLES = list(User.Role)
SCOPES = list(User.Visibility)
# Which of the four tickets each scope may see (super admins always see all).
EXPECTED = {
    User.Visibility.ALL: {"own", "my_team", "other_team", "no_team"},
    User.Visibility.TEAMS: {"own", "my_team"},
    User.Visibility.OWNED: {"own"},
}


@pytest.fixture
def world(db, pipeline):
    mine, other = TeamFactory(name="Mine"), TeamFactory(name="Other")
    extra = TeamFactory(name="Extra")
    colleague = UserFactory(main_team=other)
    return {"mine": mine, "other": other, "extra": extra, "colleague": colleague}


def make_tickets(user, world, pipeline):
    return {
        "own": TicketFactory(pipeline=pipeline, owner=user, team=world["other"]),
        "my_team": TicketFactory(pipeline=pipeline, owner=world["colleague"], team=world["mine"]),
        "other_team": TicketFactory(
            pipeline=pipeline, owner=world["colleague"], team=world["other"]
        ),
        "no_team": TicketFactory(pipeline=pipeline),
    }


@pytest.mark.parametrize(("role", "scope"), list(itertools.product(ROLES, SCOPES)))
def test_lists_counts_and_detail_agree_with_the_scope(client, world, pipeline, role, scope):
    user = UserFactory(role=role, visibility=scope, main_team=world["mine"])
    tickets = make_tickets(user, world, pipeline)
    expected = set(tickets) if role == User.Role.SUPER_ADMIN else EXPECTED[scope]
    expected_ids = {tickets[name].pk for name in expected}

    assert set(visible_tickets(user).values_list("pk", flat=True)) == expected_ids

    # Every list and count the user has shows exactly the visible open tickets.
    counts = queries.view_counts_for_sidebar(user)
    for view in queries.views_for_user(user):
        listed = {t.pk for t in queries.tickets_for_view(user, view).tickets}
        assert listed <= expected_ids, view.slug
        assert counts[view.slug] == len(listed), view.slug
    if user.has_seat:
        all_open = queries.get_view_for_user(user, "all-open")
        listed = {t.pk for t in queries.tickets_for_view(user, all_open).tickets}
        assert listed == expected_ids

    client.force_login(user)
    slug = queries.views_for_user(user)[0].slug
    for name, ticket in tickets.items():
        url = reverse("tickets:ticket_detail", args=[slug, ticket.pk])
        assert client.get(url).status_code == (200 if name in expected else 404), name


def test_additional_teams_count_as_the_users_teams(world, pipeline):
    user = UserFactory(visibility=User.Visibility.TEAMS, main_team=world["mine"])
    user.teams.add(world["extra"])
    ticket = TicketFactory(pipeline=pipeline, team=world["extra"])
    assert visible_tickets(user).filter(pk=ticket.pk).exists()


def test_inactive_users_see_nothing(world, pipeline):
    user = UserFactory(is_active=False)
    TicketFactory(pipeline=pipeline)
    assert not visible_tickets(user).exists()


def test_deleted_tickets_are_invisible_even_to_super_admins(super_admin, pipeline):
    from django.utils import timezone

    from tickets.models import Ticket

    ticket = TicketFactory(pipeline=pipeline)
    Ticket.objects.filter(pk=ticket.pk).update(deleted_at=timezone.now())
    assert not visible_tickets(super_admin).exists()


def test_get_ticket_for_user_hides_what_it_cannot_see_as_missing(
    outsider, team_agent, team_a, pipeline
):
    from django.db import transaction
    from django.http import Http404

    ticket = TicketFactory(pipeline=pipeline, team=team_a)
    assert get_ticket_for_user(team_agent, ticket.pk) == ticket
    with transaction.atomic():
        assert get_ticket_for_user(team_agent, ticket.pk, for_update=True) == ticket
    for pk in (ticket.pk, 999_999, "abc"):
        with pytest.raises(Http404):
            get_ticket_for_user(outsider, pk)
        with transaction.atomic(), pytest.raises(Http404):
            get_ticket_for_user(outsider, pk, for_update=True)


def test_get_ticket_for_user_agrees_with_visible_tickets_for_any_number_of_teams(world, pipeline):
    # The ticket is read by a query compiled once per rule and number of the
    # user's teams (helpdesk.prepared): each shape must keep the rule.
    from django.http import Http404
    from django.utils import timezone

    from tickets.models import Ticket

    tickets = [
        TicketFactory(pipeline=pipeline, team=team)
        for team in (world["mine"], world["other"], world["extra"], None)
    ]
    deleted = TicketFactory(pipeline=pipeline, team=world["mine"])
    Ticket.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    users = [
        UserFactory(visibility=User.Visibility.TEAMS, main_team=None),
        UserFactory(visibility=User.Visibility.TEAMS, main_team=world["mine"]),
        UserFactory(visibility=User.Visibility.TEAMS, main_team=world["mine"]),
        UserFactory(visibility=User.Visibility.OWNED),
        UserFactory(visibility=User.Visibility.ALL),
    ]
    users[2].teams.add(world["extra"])
    tickets.append(TicketFactory(pipeline=pipeline, owner=users[0], team=world["other"]))
    for user in users:
        visible = set(visible_tickets(user).values_list("pk", flat=True))
        for ticket in [*tickets, deleted]:
            try:
                opened = get_ticket_for_user(user, ticket.pk).pk in visible
            except Http404:
                opened = ticket.pk not in visible
            assert opened, (user.visibility, user.team_ids, ticket.team_id)


def test_users_who_see_a_ticket_agree_with_visible_tickets(world, pipeline):
    from tickets.access import users_who_see

    users = []
    for role, scope in itertools.product(ROLES, SCOPES):
        users.append(UserFactory(role=role, visibility=scope, main_team=world["mine"]))
        extra = UserFactory(role=role, visibility=scope, main_team=world["other"])
        extra.teams.add(world["extra"])
        users.append(extra)
    users.append(UserFactory(main_team=world["mine"], is_active=False))
    tickets = [
        *make_tickets(users[0], world, pipeline).values(),
        TicketFactory(pipeline=pipeline, team=world["extra"]),
        TicketFactory(pipeline=pipeline, team=world["mine"], owner=users[-2]),
    ]
    for ticket in tickets:
        expected = {u.pk for u in users if visible_tickets(u).filter(pk=ticket.pk).exists()}
        assert (
            set(
                users_who_see(ticket)
                .filter(pk__in=[u.pk for u in users])
                .values_list("pk", flat=True)
            )
            == expected
        )
    deleted = tickets[0]
    deleted.deleted_at = deleted.created_at
    assert not users_who_see(deleted).exists()


def test_the_followers_told_are_those_who_see_the_ticket(world, pipeline):
    """followers_who_see, compiled once per shape (owner, team, left out),
    answers as users_who_see does for every kind of ticket."""
    from tickets.access import followers_who_see, users_who_see
    from tickets.models import Follower

    users = [
        UserFactory(role=role, visibility=scope, main_team=world[team])
        for role, scope, team in itertools.product(ROLES, SCOPES, ["mine", "other"])
    ]
    tickets = [
        *make_tickets(users[0], world, pipeline).values(),
        TicketFactory(pipeline=pipeline, team=world["extra"], owner=users[3]),
    ]
    for ticket in tickets:
        Follower.objects.bulk_create(
            (Follower(ticket=ticket, user=u) for u in users[::2]), ignore_conflicts=True
        )
        followers = set(ticket.follows.values_list("user_id", flat=True))
        seeing = set(users_who_see(ticket).values_list("pk", flat=True)) & followers
        for leave_out in [(), (users[0].pk,), (users[0].pk, users[2].pk)]:
            told = followers_who_see(ticket, leave_out)
            assert {pk for pk, _language in told} == seeing - set(leave_out), ticket
    deleted = tickets[0]
    deleted.deleted_at = deleted.created_at
    assert followers_who_see(deleted) == []


def test_counts_of_views_that_can_match_nothing_are_zero(world, pipeline):
    """Without a team, "my teams" and team visibility filter on no team at
    all: Django compiles such a filter to nothing, and the sidebar's one
    statement of counts says 0 for it (queries.view_counts_for_sidebar)."""
    user = UserFactory(role=User.Role.AGENT, visibility=User.Visibility.TEAMS, main_team=None)
    user.teams.clear()
    make_tickets(user, world, pipeline)
    counts = queries.view_counts_for_sidebar(user)
    for view in queries.views_for_user(user):
        assert counts[view.slug] == len(queries.tickets_for_view(user, view).tickets), view.slug

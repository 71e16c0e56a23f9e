"""The live list's check (issue 19): which tickets changed since a moment,
within the agent's sight only, in one query when nothing changed."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import TicketFactory, UserFactory
from tickets import queries, services
from tickets.models import Ticket


def changes(client, slug="all-open", since=None, **params):
    url = reverse("tickets:view_changes", args=[slug])
    moment = since or timezone.now() - datetime.timedelta(minutes=1)
    response = client.get(url, {"since": queries.stamp(moment), **params})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def ids(answer):
    return {change[0] for change in answer["changed"]}


def old(ticket):
    """The ticket as if it last changed an hour ago."""
    Ticket.objects.filter(pk=ticket.pk).update(
        updated_at=timezone.now() - datetime.timedelta(hours=1)
    )


def test_a_new_ticket_of_the_view_is_reported_with_its_stamp(client, agent, pipeline):
    client.force_login(agent)
    ticket = TicketFactory(pipeline=pipeline)
    ticket.refresh_from_db()
    answer = changes(client)
    assert answer["changed"] == [[ticket.pk, str(queries.stamp(ticket.updated_at)), True, True]]
    # The next check starts from the server's clock, which the answer gives.
    assert abs(queries.from_stamp(str(answer["since"])) - timezone.now()).total_seconds() < 5


def test_nothing_changed_answers_empty(client, agent, pipeline):
    old(TicketFactory(pipeline=pipeline))
    client.force_login(agent)
    assert changes(client)["changed"] == []


def test_a_change_by_any_service_is_found(client, agent, pipeline):
    """Status, fields and tags change the row: each is seen, as is a change a
    worker makes with a queryset update."""
    ticket = TicketFactory(pipeline=pipeline)
    client.force_login(agent)
    closed = pipeline.stages.filter(is_closed=True).first()
    for change in (
        lambda: services.ticket_update(actor=agent, ticket=ticket, priority="high"),
        lambda: services.ticket_tag(actor=agent, ticket=ticket, add=["vip"]),
        lambda: services.ticket_set_stage(
            actor=agent, ticket=ticket, stage=closed, category="billing_issue"
        ),
        lambda: Ticket.objects.filter(pk=ticket.pk).update(preview="Hello"),
    ):
        old(ticket)
        assert changes(client)["changed"] == []
        change()
        assert ids(changes(client)) == {ticket.pk}


def test_a_field_change_is_not_new_activity(client, agent, pipeline):
    """A status or priority change deep in the list is redrawn if shown, but
    is not a "new ticket" of the bar: the list's top would not show it."""
    ticket = TicketFactory(pipeline=pipeline)
    Ticket.objects.filter(pk=ticket.pk).update(
        last_activity_at=timezone.now() - datetime.timedelta(days=3)
    )
    client.force_login(agent)
    services.ticket_update(actor=agent, ticket=ticket, priority="high")
    [[pk, _stamp, in_view, active]] = changes(client, since=timezone.now())["changed"]
    assert (pk, in_view, active) == (ticket.pk, True, False)


def test_a_ticket_that_left_the_view_is_reported_out_of_it(client, agent, pipeline):
    ticket = TicketFactory(pipeline=pipeline)
    client.force_login(agent)
    services.ticket_set_stage(
        actor=agent,
        ticket=ticket,
        stage=pipeline.stages.filter(is_closed=True).first(),
        category="billing_issue",
    )
    assert changes(client, "all-open")["changed"][0][2] is False
    assert changes(client, "all")["changed"][0][2] is True


def test_another_teams_ticket_never_appears(client, team_agent, pipeline, team_a, team_b):
    mine = TicketFactory(pipeline=pipeline, team=team_a)
    TicketFactory(pipeline=pipeline, team=team_b, name="Other team secret")
    client.force_login(team_agent)
    for slug in ("all-open", "my-teams", "unassigned"):
        assert ids(changes(client, slug)) == {mine.pk}


def test_an_owned_only_agent_sees_only_her_tickets_change(client, owned_agent, pipeline):
    mine = TicketFactory(pipeline=pipeline, owner=owned_agent)
    TicketFactory(pipeline=pipeline, owner=UserFactory())
    TicketFactory(pipeline=pipeline)
    client.force_login(owned_agent)
    assert ids(changes(client, "mine")) == {mine.pk}


def test_deleted_tickets_are_left_out(client, agent, pipeline):
    ticket = TicketFactory(pipeline=pipeline)
    services.ticket_delete(actor=agent, ticket=ticket)
    client.force_login(agent)
    assert changes(client)["changed"] == []


@pytest.mark.parametrize("since", ["", "yesterday", "9" * 40, "-5"])
def test_a_bad_since_starts_from_now(client, agent, pipeline, since):
    old(TicketFactory(pipeline=pipeline))
    client.force_login(agent)
    response = client.get(reverse("tickets:view_changes", args=["all-open"]), {"since": since})
    assert response.status_code == 200
    assert response.json()["changed"] == []


def test_a_since_in_the_future_is_read_as_now(client, agent, pipeline):
    ticket = TicketFactory(pipeline=pipeline)
    client.force_login(agent)
    later = timezone.now() + datetime.timedelta(days=1)
    assert ids(changes(client, since=later)) == {ticket.pk}  # within the overlap


def test_the_check_is_one_query_and_two_when_something_changed(
    client, agent, pipeline, django_assert_max_num_queries
):
    client.force_login(agent)
    client.get(reverse("tickets:view_changes", args=["all-open"]))  # session warm
    # Session, user, and the check.
    with django_assert_max_num_queries(3):
        assert changes(client)["changed"] == []
    TicketFactory.create_batch(5, pipeline=pipeline)
    with django_assert_max_num_queries(4):
        assert len(changes(client)["changed"]) == 5


def test_an_unknown_view_or_a_signed_out_check_is_refused(client, agent):
    assert client.get(reverse("tickets:view_changes", args=["all-open"])).status_code == 302
    client.force_login(agent)
    assert client.get(reverse("tickets:view_changes", args=["nope"])).status_code == 404


def test_rows_are_drawn_for_visible_tickets_only(client, team_agent, pipeline, team_a, team_b):
    mine = TicketFactory(pipeline=pipeline, team=team_a, name="Ours")
    secret = TicketFactory(pipeline=pipeline, team=team_b, name="Other team secret")
    client.force_login(team_agent)
    url = reverse("tickets:view_rows", args=["all-open"])
    response = client.get(url, {"ids": f"{mine.pk},{secret.pk},x,"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="row-{mine.pk}"' in body and "Ours" in body
    assert "Other team secret" not in body and f"row-{secret.pk}" not in body
    mine.refresh_from_db()
    assert f'data-changed="{queries.stamp(mine.updated_at)}"' in body
    assert client.get(url, {"ids": ""}).status_code == 200


def test_the_list_carries_the_live_check(client, agent, pipeline):
    ticket = TicketFactory(pipeline=pipeline)
    ticket.refresh_from_db()
    client.force_login(agent)
    body = client.get(reverse("tickets:view_tickets", args=["all-open"])).content.decode()
    assert reverse("tickets:view_changes", args=["all-open"]) in body
    assert f'data-changed="{queries.stamp(ticket.updated_at)}"' in body
    assert "new tickets · Show" in body  # the bar's plural forms

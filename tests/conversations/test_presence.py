import pytest
from django.urls import reverse

from tests.factories import TicketFactory, UserFactory


@pytest.fixture
def ticket(pipeline, team_a):
    return TicketFactory(pipeline=pipeline, team=team_a)


def ping(client, ticket, state="viewing"):
    return client.post(
        reverse("conversations:presence", args=[ticket.pk]), {"state": state}
    ).content.decode()


def test_teammates_see_who_is_viewing_and_who_is_writing(client, agent, team_a, ticket):
    jonas = UserFactory(first_name="Jonas", last_name="Becker", main_team=team_a)
    client.force_login(jonas)
    ping(client, ticket, "reply")
    client.force_login(agent)
    body = ping(client, ticket)
    assert "Jonas Becker is writing a reply" in body
    assert "has-others" in body
    client.force_login(jonas)
    body = ping(client, ticket, "viewing")
    assert f"{agent.display_name} is viewing" in body
    assert "Jonas Becker" not in body  # never yourself


def test_a_lone_viewer_sees_nothing(client, agent, ticket):
    client.force_login(agent)
    assert "has-others" not in ping(client, ticket)


def test_presence_expires(client, agent, team_a, ticket):
    import time_machine

    jonas = UserFactory(first_name="Jonas", main_team=team_a)
    with time_machine.travel("2026-11-21 10:00:00", tick=False):
        client.force_login(jonas)
        ping(client, ticket, "comment")
    with time_machine.travel("2026-11-21 10:00:30", tick=False):
        client.force_login(agent)
        assert "Jonas" not in ping(client, ticket)


def test_outsider_learns_nothing_and_get_is_405(client, outsider, ticket):
    """A ticket out of sight answers like one that does not exist: the bar says
    it is gone and polling stops (286), with nothing of the ticket in it."""
    client.force_login(outsider)
    url = reverse("conversations:presence", args=[ticket.pk])
    hidden = client.post(url)
    missing = client.post(reverse("conversations:presence", args=[ticket.pk + 1000]))
    assert hidden.status_code == missing.status_code == 286
    assert hidden.content.decode() == missing.content.decode()
    assert ticket.name not in hidden.content.decode()
    assert client.get(url).status_code == 405

"""The availability switch, the team availability page and the settings."""

from django.urls import reverse

from accounts.models import User
from tests.factories import TeamFactory, TicketFactory, UserFactory


def test_an_agent_sets_themselves_away_and_back(client, agents):
    client.force_login(agents[0])
    url = reverse("routing:set_availability")
    response = client.post(url, {"availability": "away", "next": "/tickets/"})
    assert response.status_code == 302 and response["Location"] == "/tickets/"
    agents[0].refresh_from_db()
    assert agents[0].availability == User.Availability.AWAY
    assert client.post(url, {"availability": "lunch"}).status_code == 400
    assert client.get(url).status_code == 405
    client.post(url, {"availability": "available", "next": "https://elsewhere.example/"})
    agents[0].refresh_from_db()
    assert agents[0].availability == User.Availability.AVAILABLE


def test_the_top_bar_shows_the_agents_availability(client, agents):
    User.objects.filter(pk=agents[0].pk).update(availability="away")
    client.force_login(agents[0])
    html = client.get(reverse("routing:team_availability")).content.decode()
    assert 'class="availability is-away"' in html


def test_a_lead_sees_their_teams_agents_and_open_counts(client, team, agents, pipeline):
    other_team = TeamFactory(name="Elsewhere")
    stranger = UserFactory(username="stranger", first_name="Zed", main_team=other_team)
    team.leads.add(agents[0])
    TicketFactory(pipeline=pipeline, team=team, owner=agents[1])
    TicketFactory(pipeline=pipeline, team=team)
    client.force_login(agents[0])
    response = client.get(reverse("routing:team_availability"))
    rows = {row["team"]: row for row in response.context["teams"]}
    assert list(rows) == [team]
    assert [(a["agent"], a["open"]) for a in rows[team]["agents"]] == [
        (agents[0], 0),
        (agents[1], 1),
        (agents[2], 0),
    ]
    assert rows[team]["waiting"] == 1
    assert stranger.first_name not in response.content.decode()


def test_an_agent_who_leads_no_team_sees_whom_to_ask(client, agents):
    client.force_login(agents[1])
    response = client.get(reverse("routing:team_availability"))
    assert response.context["teams"] == []


def test_a_super_admin_sees_every_team(client, team, agents):
    TeamFactory(name="Elsewhere")
    admin = UserFactory(username="boss", role=User.Role.SUPER_ADMIN)
    client.force_login(admin)
    response = client.get(reverse("routing:team_availability"))
    assert len(response.context["teams"]) == 2


def test_settings_store_languages_and_skills_as_lists(client, agents):
    admin = UserFactory(username="boss", role=User.Role.SUPER_ADMIN)
    client.force_login(admin)
    url = reverse("admin:accounts_user_change", args=[agents[0].pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("password", "teams", "last_login", "date_joined")
    }
    data.update(
        main_team=agents[0].main_team_id,
        languages="KO, en,ko , zh-Hant",
        skills="Billing; api",
        availability="away",
        date_joined_0="2026-01-05",
        date_joined_1="09:00:00",
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    agents[0].refresh_from_db()
    assert agents[0].languages == ["ko", "en", "zh-hant"]
    assert agents[0].skills == ["billing", "api"]
    assert agents[0].availability == "away"

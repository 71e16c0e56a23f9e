"""Pipelines, users, teams and views: read only."""

from tests.factories import TicketFactory
from tickets.models import SavedView

JSON = "application/json"


def test_pipelines_with_their_statuses(agent, api, pipeline):
    body = api(agent, "read").get("/api/v1/pipelines").json()
    assert body[0]["name"] == "Support pipeline"
    assert [s["name"] for s in body[0]["stages"]] == ["New", "Waiting on contact", "Closed"]
    one = api(agent, "read").get(f"/api/v1/pipelines/{pipeline.pk}")
    assert one.json()["id"] == pipeline.pk
    assert api(agent, "read").get("/api/v1/pipelines/999999").status_code == 404


def test_users_and_teams(agent, team_a, api):
    client = api(agent, "read")
    assert agent.pk in [u["id"] for u in client.get("/api/v1/users").json()]
    assert client.get(f"/api/v1/users/{agent.pk}").json()["main_team"]["id"] == team_a.pk
    assert team_a.pk in [t["id"] for t in client.get("/api/v1/teams").json()]


def test_views_list_and_run(agent, api, pipeline, team_a):
    urgent = TicketFactory(pipeline=pipeline, team=team_a, priority="urgent")
    TicketFactory(pipeline=pipeline, team=team_a, priority="low")
    saved = SavedView.objects.create(
        name="Urgent", owner=agent, filters=[["priority", "any_of", "urgent"]]
    )
    client = api(agent, "read")
    slugs = [v["slug"] for v in client.get("/api/v1/views").json()]
    assert "all-open" in slugs and f"v{saved.pk}" in slugs
    run = client.get(f"/api/v1/views/v{saved.pk}/tickets").json()["items"]
    assert [t["id"] for t in run] == [urgent.pk]
    # The view's own conditions hold whatever the request adds.
    widened = client.get(f"/api/v1/tickets?view=v{saved.pk}&priority=low").json()["items"]
    assert widened == []
    assert client.get("/api/v1/views/nope/tickets").status_code == 404

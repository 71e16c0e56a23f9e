"""/api/v1/tickets: the table's filters, keyset pages, create, update with
If-Match, delete, restore, merge, idempotent POSTs and constant queries."""

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import ContactFactory, TicketFactory, UserFactory
from tickets import services
from tickets.models import Source, Stage, Ticket

JSON = "application/json"


def ids(response) -> list[int]:
    return [t["id"] for t in response.json()["items"]]


def test_list_reads_the_tables_filters_search_and_sort(agent, api, pipeline, team_a):
    urgent = TicketFactory(pipeline=pipeline, team=team_a, name="Disk full", priority="urgent")
    low = TicketFactory(pipeline=pipeline, team=team_a, name="Password reset", priority="low")
    client = api(agent, "read")
    assert ids(client.get("/api/v1/tickets", {"priority": "urgent"})) == [urgent.pk]
    assert ids(client.get("/api/v1/tickets", {"f": "priority:any_of:low"})) == [low.pk]
    assert ids(client.get("/api/v1/tickets", {"q": "password"})) == [low.pk]
    assert ids(client.get("/api/v1/tickets", {"sort": "id"})) == [urgent.pk, low.pk]
    assert ids(client.get("/api/v1/tickets", {"sort": "-id"})) == [low.pk, urgent.pk]
    counted = client.get("/api/v1/tickets/count", {"priority": "urgent"}).json()
    assert counted == {"count": 1, "capped": False}


def test_a_filter_that_does_not_apply_is_a_400_problem(agent, api):
    response = api(agent, "read").get("/api/v1/tickets", {"f": "nosuch:is:1"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["parameter"] == "f"


@pytest.mark.parametrize("sort", ["", "id", "-created_at", "name", "-priority", "owner", "stage"])
def test_keyset_pages_follow_next_through_every_ticket_once(agent, api, pipeline, team_a, sort):
    made = [
        TicketFactory(
            pipeline=pipeline,
            team=team_a,
            name=f"Ticket {n % 3}",
            priority=["", "low", "high"][n % 3],
            owner=agent if n % 2 else None,
        )
        for n in range(11)
    ]
    client = api(agent, "read")
    url, seen = f"/api/v1/tickets?limit=4&sort={sort}", []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        seen += ids(response)
        url = response.json()["next"]
    assert sorted(seen) == sorted(t.pk for t in made)
    assert len(seen) == len(set(seen))


def test_a_broken_cursor_is_a_400(agent, api):
    response = api(agent, "read").get("/api/v1/tickets", {"cursor": "bm90IGpzb24"})
    assert response.status_code == 400
    assert response.json()["parameter"] == "cursor"


def test_get_answers_the_ticket_with_its_etag(agent, api, ticket_a):
    response = api(agent, "read").get(f"/api/v1/tickets/{ticket_a.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Printer on fire"
    assert body["url"] == f"/api/v1/tickets/{ticket_a.pk}"
    assert response["ETag"] == body["etag"]


def test_create_makes_an_api_ticket(agent, api, pipeline, team_a):
    contact = ContactFactory()
    response = api(agent).post(
        "/api/v1/tickets",
        {
            "name": "From the shop",
            "description": "Order 42 never arrived",
            "priority": "high",
            "team": team_a.pk,
            "contacts": [contact.pk],
            "tags": ["shop", "delivery"],
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.source == Source.API
    assert ticket.pipeline == pipeline and ticket.priority == "high"
    assert list(ticket.contacts.all()) == [contact]
    assert {t.name for t in ticket.tags.all()} == {"shop", "delivery"}
    assert response["Location"] == f"/api/v1/tickets/{ticket.pk}"
    assert ticket.events.filter(kind="created", actor=agent).exists()


def test_invalid_input_is_a_422_with_field_pointers(agent, api, pipeline):
    response = api(agent).post(
        "/api/v1/tickets", {"name": "", "priority": "huge"}, content_type=JSON
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert pointers == {"/name", "/priority"}
    unknown = api(agent).post(
        "/api/v1/tickets", {"name": "x", "properties": {"nope": 1}}, content_type=JSON
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["pointer"] == "/nope"
    assert Ticket.objects.count() == 0


def test_a_body_that_is_not_json_is_a_problem(agent, api, pipeline):
    response = api(agent).post("/api/v1/tickets", "{not json", content_type=JSON)
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"


def test_idempotency_key_returns_the_first_result(agent, api, pipeline):
    client = api(agent)
    headers = {"Idempotency-Key": "order-42"}
    first = client.post("/api/v1/tickets", {"name": "Once"}, content_type=JSON, headers=headers)
    again = client.post("/api/v1/tickets", {"name": "Once"}, content_type=JSON, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1
    other = client.post("/api/v1/tickets", {"name": "Other"}, content_type=JSON, headers=headers)
    assert other.status_code == 422
    assert other.json()["type"].endswith("#problem-idempotency-key-reused")
    # Keys are per token: another token's same key is another request.
    elsewhere = api(agent).post(
        "/api/v1/tickets", {"name": "Once"}, content_type=JSON, headers=headers
    )
    assert elsewhere.status_code == 201 and Ticket.objects.count() == 2


def test_update_changes_fields_status_tags_and_associations(agent, api, ticket_a, team_b):
    contact = ContactFactory()
    waiting = Stage.objects.get(pipeline=ticket_a.pipeline, name="Waiting on contact")
    response = api(agent).patch(
        f"/api/v1/tickets/{ticket_a.pk}",
        {
            "name": "Printer fixed?",
            "priority": "low",
            "owner": agent.pk,
            "stage": waiting.pk,
            "tags": ["hardware"],
            "contacts": [contact.pk],
        },
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    ticket_a.refresh_from_db()
    assert (ticket_a.name, ticket_a.priority, ticket_a.owner, ticket_a.stage) == (
        "Printer fixed?",
        "low",
        agent,
        waiting,
    )
    assert [t.name for t in ticket_a.tags.all()] == ["hardware"]
    assert list(ticket_a.contacts.all()) == [contact]
    assert response["ETag"] == response.json()["etag"]
    cleared = api(agent).patch(
        f"/api/v1/tickets/{ticket_a.pk}", {"tags": [], "contacts": []}, content_type=JSON
    )
    assert cleared.json()["tags"] == [] and cleared.json()["contacts"] == []


def test_if_match_refuses_a_field_someone_changed_since(agent, api, ticket_a):
    client = api(agent)
    etag = client.get(f"/api/v1/tickets/{ticket_a.pk}")["ETag"]
    teammate = UserFactory(first_name="Mira", last_name="Teammate")
    services.ticket_update(actor=teammate, ticket=ticket_a, priority="urgent")
    refused = client.patch(
        f"/api/v1/tickets/{ticket_a.pk}",
        {"priority": "low"},
        content_type=JSON,
        headers={"If-Match": etag},
    )
    assert refused.status_code == 412
    body = refused.json()
    assert body["type"].endswith("#problem-edit-conflict")
    assert "Mira Teammate" in body["detail"]
    assert body["changes"][0]["field"] == "priority"
    assert body["changes"][0]["by"]["name"] == "Mira Teammate"
    assert body["changes"][0]["new"] == "urgent"
    assert body["etag"] != etag
    ticket_a.refresh_from_db()
    assert ticket_a.priority == "urgent"
    # Another field is no conflict (the workspace's rule), nor the value wanted.
    other = client.patch(
        f"/api/v1/tickets/{ticket_a.pk}",
        {"name": "Renamed"},
        content_type=JSON,
        headers={"If-Match": etag},
    )
    assert other.status_code == 200
    same = client.patch(
        f"/api/v1/tickets/{ticket_a.pk}",
        {"priority": "urgent"},
        content_type=JSON,
        headers={"If-Match": etag},
    )
    assert same.status_code == 200
    fresh = client.patch(
        f"/api/v1/tickets/{ticket_a.pk}",
        {"priority": "low"},
        content_type=JSON,
        headers={"If-Match": body["etag"]},
    )
    assert fresh.status_code == 200


def test_an_etag_of_another_ticket_is_a_412(agent, api, ticket_a, ticket_b):
    client = api(agent)
    etag = client.get(f"/api/v1/tickets/{ticket_b.pk}")["ETag"]
    response = client.patch(
        f"/api/v1/tickets/{ticket_a.pk}",
        {"priority": "low"},
        content_type=JSON,
        headers={"If-Match": etag},
    )
    assert response.status_code == 412


def test_delete_restore_and_merge(agent, api, ticket_a, pipeline, team_a):
    client = api(agent)
    assert client.delete(f"/api/v1/tickets/{ticket_a.pk}").status_code == 204
    assert client.get(f"/api/v1/tickets/{ticket_a.pk}").status_code == 404
    restored = client.post(f"/api/v1/tickets/{ticket_a.pk}/restore")
    assert restored.status_code == 200 and restored.json()["id"] == ticket_a.pk
    other = TicketFactory(pipeline=pipeline, team=team_a, name="Duplicate")
    merged = client.post(
        f"/api/v1/tickets/{other.pk}/merge", {"into": ticket_a.pk}, content_type=JSON
    )
    assert merged.status_code == 200 and merged.json()["id"] == ticket_a.pk
    other.refresh_from_db()
    assert other.merged_into_id == ticket_a.pk
    itself = client.post(
        f"/api/v1/tickets/{ticket_a.pk}/merge", {"into": ticket_a.pk}, content_type=JSON
    )
    assert itself.status_code == 422


def test_collaborators_cannot_delete(collaborator, api, ticket_a):
    response = api(collaborator).delete(f"/api/v1/tickets/{ticket_a.pk}")
    assert response.status_code == 403


def test_sla_and_timeline(agent, api, ticket_a):
    client = api(agent, "read")
    sla = client.get(f"/api/v1/tickets/{ticket_a.pk}/sla")
    assert sla.status_code == 200 and set(sla.json()) >= {"status", "paused", "close_due"}
    services.ticket_update(actor=agent, ticket=ticket_a, priority="high")
    timeline = client.get(f"/api/v1/tickets/{ticket_a.pk}/timeline").json()
    assert [e["kind"] for e in timeline["items"]] == ["changed", "created"]
    assert timeline["items"][0]["by"]["id"] == agent.pk


def test_rate_limit_answers_429_with_retry_after(agent, api, settings):
    settings.HELPDESK_API_RATE = 3
    client = api(agent, "read")
    answers = [client.get("/api/v1/users/me") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0]["X-RateLimit-Remaining"] == "2"
    limited = answers[-1]
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited["Content-Type"] == "application/problem+json"
    # Per token: another token of the same user has its own count.
    assert api(agent, "read").get("/api/v1/users/me").status_code == 200


def test_list_and_get_run_a_constant_number_of_queries(
    agent, api, pipeline, team_a, django_assert_max_num_queries
):
    client = api(agent, "read")
    for _ in range(3):
        TicketFactory(pipeline=pipeline, team=team_a, owner=agent)
    client.get("/api/v1/tickets")  # the token's last use is written once
    # The token, the rate count, the page and its tags.
    with django_assert_max_num_queries(4):
        few = client.get("/api/v1/tickets")
    for n in range(20):
        ticket = TicketFactory(pipeline=pipeline, team=team_a, owner=agent)
        services.ticket_tag(actor=agent, ticket=ticket, add=[f"tag{n}"])
        ticket.contacts.add(ContactFactory())
    with django_assert_max_num_queries(4):
        many = client.get("/api/v1/tickets")
    assert len(many.json()["items"]) == 23 and len(few.json()["items"]) == 3
    # The token, the rate count, the ticket, its tags, contacts and companies.
    with django_assert_max_num_queries(6):
        assert client.get(f"/api/v1/tickets/{ticket.pk}").status_code == 200


def test_a_session_user_gets_the_same_answers(agent, ticket_a):
    client = Client()
    client.force_login(agent)
    assert ids(client.get("/api/v1/tickets")) == [ticket_a.pk]


def test_closed_at_and_times_are_iso(agent, api, ticket_a):
    body = api(agent, "read").get(f"/api/v1/tickets/{ticket_a.pk}").json()
    assert body["created_at"].startswith(str(timezone.now().year))
    assert body["closed_at"] is None


def test_a_key_of_another_request_is_a_422_and_a_bad_key_a_400(agent, api, make_token):
    from datetime import timedelta

    from api.models import IdempotentRequest

    token, secret = make_token(agent)
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    IdempotentRequest.objects.create(
        caller=f"t{token.pk}",
        key="busy",
        fingerprint="x",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    busy = client.post(
        "/api/v1/tickets", {"name": "x"}, content_type=JSON, headers={"Idempotency-Key": "busy"}
    )
    assert busy.status_code == 422  # the key holds another request
    bad = client.post(
        "/api/v1/tickets", {"name": "x"}, content_type=JSON, headers={"Idempotency-Key": "é" * 3}
    )
    assert bad.status_code == 400
    assert Ticket.objects.count() == 0


def test_a_pending_key_with_the_same_request_answers_409(agent, api, make_token, pipeline):
    import hashlib
    from datetime import timedelta

    from api.models import IdempotentRequest

    token, secret = make_token(agent)
    body = b'{"name": "x"}'
    fingerprint = hashlib.sha256(b"\0".join([b"POST", b"/api/v1/tickets", body])).hexdigest()
    IdempotentRequest.objects.create(
        caller=f"t{token.pk}",
        key="busy",
        fingerprint=fingerprint,
        expires_at=timezone.now() + timedelta(hours=1),
    )
    response = Client(headers={"Authorization": f"Bearer {secret}"}).post(
        "/api/v1/tickets", body, content_type=JSON, headers={"Idempotency-Key": "busy"}
    )
    assert response.status_code == 409
    assert response["Retry-After"] == "1"
    assert Ticket.objects.count() == 0


def test_an_expired_key_is_answered_afresh(agent, api, pipeline):
    import datetime

    import time_machine

    client = api(agent)
    headers = {"Idempotency-Key": "daily-import"}
    first = client.post("/api/v1/tickets", {"name": "Once"}, content_type=JSON, headers=headers)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=25)):
        later = client.post("/api/v1/tickets", {"name": "Once"}, content_type=JSON, headers=headers)
    assert first.json()["id"] != later.json()["id"]


def test_a_cursor_with_a_value_of_the_wrong_type_is_a_400(agent, api, ticket_a):
    from api.serialize import encode_cursor

    client = api(agent, "read")
    for sort, value in (("id", "abc"), ("-priority", "x"), ("name", 5), ("", "not a date")):
        key = sort or "-last_activity_at"
        cursor = encode_cursor([key, value, 1])
        response = client.get("/api/v1/tickets", {"sort": sort, "cursor": cursor})
        assert response.status_code == 400, (sort, value)


def test_kept_answers_are_purged_when_their_time_is_up(agent, api, pipeline):
    import datetime

    import time_machine

    from api.models import IdempotentRequest
    from api.tasks import purge_idempotent_requests

    api(agent).post(
        "/api/v1/tickets", {"name": "x"}, content_type=JSON, headers={"Idempotency-Key": "k"}
    )
    assert purge_idempotent_requests() == 0
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=25)):
        assert purge_idempotent_requests() == 1
    assert not IdempotentRequest.objects.exists()


def test_the_timeline_pages_with_next(agent, api, ticket_a):
    for n in range(31):
        services.ticket_update(actor=agent, ticket=ticket_a, name=f"Name {n}")
    client = api(agent, "read")
    first = client.get(f"/api/v1/tickets/{ticket_a.pk}/timeline").json()
    assert len(first["items"]) == 30 and first["next"]
    second = client.get(first["next"]).json()
    assert [e["kind"] for e in second["items"]] == ["changed", "created"]
    assert second["next"] is None


def test_a_create_the_creator_cannot_see_is_not_made_twice(owned_agent, api, pipeline, team_b):
    """An agent who sees only their own tickets creates one for nobody: they
    are told it was made, and the retry says so again instead of a second."""
    client = api(owned_agent)
    headers = {"Idempotency-Key": "unseen"}
    first = client.post("/api/v1/tickets", {"name": "For B"}, content_type=JSON, headers=headers)
    again = client.post("/api/v1/tickets", {"name": "For B"}, content_type=JSON, headers=headers)
    assert first.status_code == again.status_code == 403
    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1

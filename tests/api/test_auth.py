"""Who may call the API: tokens (hashed, scoped, expiring, revocable, their
last use recorded), the session with CSRF, and nothing else."""

import datetime
import logging

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from api import tokens
from api.models import AccessToken

PROBLEM = "application/problem+json"


def test_no_credentials_is_a_401_problem(db):
    response = Client().get("/api/v1/tickets")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"] == "Bearer"
    body = response.json()
    assert body["status"] == 401 and body["type"].endswith("#problem-unauthenticated")
    assert body["request_id"] == response["X-Request-ID"]


def test_an_unknown_token_is_refused_even_with_a_session(agent):
    client = Client(headers={"Authorization": "Bearer hd_not-a-real-token"})
    client.force_login(agent)
    response = client.get("/api/v1/tickets")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_the_token_is_stored_only_as_a_digest(agent, make_token):
    token, secret = make_token(agent)
    assert secret.startswith("hd_") and len(secret) > 40
    stored = AccessToken.objects.get(pk=token.pk)
    assert stored.digest == tokens.digest(secret)
    assert secret not in str(stored.__dict__)
    assert secret.startswith(stored.prefix)


def test_a_token_works_and_records_its_last_use(agent, make_token):
    token, secret = make_token(agent, "read")
    response = Client(headers={"Authorization": f"Bearer {secret}"}).get(
        "/api/v1/users/me", REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 200
    assert response.json()["username"] == "agent"
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_ip == "198.51.100.7"


def test_revoked_and_expired_tokens_stop_working(agent, make_token):
    revoked, secret = make_token(agent)
    tokens.token_revoke(user=agent, token=revoked)
    assert (
        Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/users/me").status_code
        == 401
    )
    _expiring, secret = make_token(agent, days=7)
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    assert client.get("/api/v1/users/me").status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        assert client.get("/api/v1/users/me").status_code == 401


def test_a_deactivated_user_s_token_stops_working(agent, make_token):
    _token, secret = make_token(agent)
    agent.is_active = False
    agent.save()
    assert (
        Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/users/me").status_code
        == 401
    )


def test_a_read_token_cannot_write(agent, api, pipeline):
    response = api(agent, "read").post(
        "/api/v1/tickets", {"name": "Nope"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["type"].endswith("#problem-scope-missing")


def test_admin_scope_only_for_super_admins(agent, super_admin):
    with pytest.raises(Exception, match="scope"):
        tokens.token_create(user=agent, name="x", scope="admin", expires_in_days=None)
    token, _secret = tokens.token_create(
        user=super_admin, name="x", scope="admin", expires_in_days=None
    )
    assert token.allows("write") and token.allows("admin")


def test_session_calls_need_the_csrf_token_on_unsafe_methods(agent, pipeline):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.get("/api/v1/tickets").status_code == 200
    refused = client.post("/api/v1/tickets", {"name": "x"}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("#problem-csrf-failed")
    client.get("/account/tokens/")  # sets the CSRF cookie, as any page does
    csrf = client.cookies["csrftoken"].value
    made = client.post(
        "/api/v1/tickets",
        {"name": "From the page"},
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert made.status_code == 201, made.content


def test_the_request_id_is_echoed_or_made(agent, api):
    client = api(agent, "read")
    assert (
        client.get("/api/v1/users/me", headers={"X-Request-ID": "abc-123"})["X-Request-ID"]
        == "abc-123"
    )
    made = client.get("/api/v1/users/me", headers={"X-Request-ID": "bad id\nwith newline"})
    assert made["X-Request-ID"] != "bad id\nwith newline" and len(made["X-Request-ID"]) == 32


def test_tokens_are_never_logged(agent, make_token, caplog):
    _token, secret = make_token(agent)
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    with caplog.at_level(logging.DEBUG):
        client.get("/api/v1/users/me", headers={"X-Request-ID": "req-1"})
        client.get("/api/v1/tickets/999999")
        Client(headers={"Authorization": f"Bearer {secret}x"}).get("/api/v1/users/me")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "request_id=req-1" in logged
    assert secret not in logged and secret[10:] not in logged

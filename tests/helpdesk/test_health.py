"""/healthz and /readyz (issue 22): what a load balancer asks before sending
a replica traffic, answered without a sign-in and without a redirect."""

import pytest
from django.db import DatabaseError
from django.db.migrations.executor import MigrationExecutor

from helpdesk import health


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    monkeypatch.setattr(health, "_migrated", False)


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")  # no django_db mark: a query would raise
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_readyz_is_ready_with_the_database_up_and_migrations_applied(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/readyz")
    assert (response.status_code, response.content) == (200, b"ready\n")


@pytest.mark.django_db
def test_readyz_checks_migrations_once_per_process(client, settings, django_assert_num_queries):
    settings.REDIS_URL = ""
    client.get("/readyz")
    with django_assert_num_queries(1):  # SELECT 1 only
        assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_refuses_while_migrations_are_pending(client, settings, monkeypatch):
    settings.REDIS_URL = ""
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("x", False)])
    response = client.get("/readyz")
    assert (response.status_code, response.content) == (503, b"migrations pending\n")


@pytest.mark.django_db
def test_readyz_refuses_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert (response.status_code, response.content) == (503, b"redis unreachable\n")


def test_readyz_refuses_when_the_database_is_unreachable(client, monkeypatch):
    def down(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", down)
    response = client.get("/readyz")
    assert (response.status_code, response.content) == (503, b"database unreachable\n")


def test_probes_answer_plain_http_at_the_containers_address(client, settings):
    """A probe calls the container by its IP in plain HTTP: neither the host
    check nor the HTTPS redirect stands in its way."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["helpdesk.example"]
    assert client.get("/healthz", HTTP_HOST="10.0.3.7:8000").status_code == 200
    assert client.get("/accounts/login/", HTTP_HOST="10.0.3.7:8000").status_code == 400


def test_other_methods_are_not_probes(client):
    assert client.post("/healthz").status_code == 404

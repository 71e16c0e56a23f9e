"""How the web and the workers talk to PostgreSQL (issue 22): connected to it
directly, statements a connection runs again and again are prepared, so
PostgreSQL plans them once; behind PgBouncer's transaction pooling nothing
may outlive a transaction, so neither prepared statements nor server-side
cursors are used."""

import runpy
from pathlib import Path

import pytest
from django.db import connection

from tickets.models import Ticket

SETTINGS = Path(__file__).resolve().parents[2] / "helpdesk" / "settings.py"


def database(monkeypatch, **env) -> dict:
    monkeypatch.setenv("DATABASE_URL", "postgres://helpdesk@db.example:5432/helpdesk")
    monkeypatch.delenv("DATABASE_POOLING", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))["DATABASES"]["default"]


def test_connected_to_postgresql_the_values_are_bound_by_the_server(monkeypatch):
    settings = database(monkeypatch)
    assert settings["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}
    assert not settings.get("DISABLE_SERVER_SIDE_CURSORS")


def test_behind_transaction_pooling_nothing_outlives_a_transaction(monkeypatch):
    settings = database(monkeypatch, DATABASE_POOLING="transaction")
    options = settings.get("OPTIONS", {})
    assert not options.get("server_side_binding") and not options.get("prepare_threshold")
    assert settings["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_a_statement_run_again_and_again_is_planned_once(db):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    for pk in range(8):
        list(Ticket.objects.filter(pk=pk))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%FROM "tickets_ticket" WHERE "tickets_ticket"."id" = $1%'],
        )
        assert cursor.fetchone() == (1,)

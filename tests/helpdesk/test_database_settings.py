"""How the web and the workers talk to PostgreSQL (issue 22): connected to it
directly, the key lookups of helpdesk.prepared are prepared statements, so
PostgreSQL plans them once per connection, and nothing else is (a plan made
for no value in particular can be ruinous for a search); behind PgBouncer's
transaction pooling nothing may outlive a transaction, so neither prepared
statements nor server-side cursors are used."""

import runpy
from pathlib import Path

import pytest
from django.db import connection

from helpdesk.prepared import Prepared
from tickets.models import Ticket

SETTINGS = Path(__file__).resolve().parents[2] / "helpdesk" / "settings.py"


def database(monkeypatch, **env) -> dict:
    monkeypatch.setenv("DATABASE_URL", "postgres://helpdesk@db.example:5432/helpdesk")
    monkeypatch.delenv("DATABASE_POOLING", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_connected_to_postgresql_key_lookups_are_prepared(monkeypatch):
    found = database(monkeypatch)
    assert found["PREPARED_STATEMENTS"] is True
    assert not found["DATABASES"]["default"].get("DISABLE_SERVER_SIDE_CURSORS")


def test_behind_transaction_pooling_nothing_outlives_a_transaction(monkeypatch):
    found = database(monkeypatch, DATABASE_POOLING="transaction")
    assert found["PREPARED_STATEMENTS"] is False
    assert found["DATABASES"]["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True


def prepared_like(pattern: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [pattern]
        )
        return cursor.fetchone()[0]


def test_only_key_lookups_are_planned_once(db, settings):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    settings.PREPARED_STATEMENTS = True
    by_name = Prepared(lambda name: Ticket.objects.filter(name=name), str)
    for n in range(3):
        by_name.objects(f"Printer {n}")
    for n in range(8):  # a query of Django's own, however often it runs
        list(Ticket.objects.filter(description=f"Printer {n}"))
    assert prepared_like('%WHERE%"tickets_ticket"."name" = $1%') == 1
    assert prepared_like('%WHERE%"tickets_ticket"."description" = $1%') == 0
    assert connection.connection.prepare_threshold is None


def test_django_queries_take_any_number_of_values(db):
    """Django's own queries bind their values in the client: a list of ids
    longer than PostgreSQL's 65,535 parameters still runs."""
    ids = list(range(1, 70_001))
    assert Ticket.objects.filter(pk__in=ids).count() == 0
    assert Ticket.objects.filter(pk__in=ids).update(priority="high") == 0

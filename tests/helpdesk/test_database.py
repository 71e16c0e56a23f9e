"""What each new PostgreSQL connection is given (helpdesk.database): psycopg's
own timestamptz loader, read the way Django reads it."""

import datetime
from types import SimpleNamespace
from unittest import mock

import pytest
from django.db import connection

from helpdesk import database

MOMENTS = [
    datetime.datetime(2026, 12, 6, 13, 40, 5, 123456, tzinfo=datetime.UTC),
    datetime.datetime(1969, 7, 20, 20, 17, 40, tzinfo=datetime.UTC),
    # Written in another zone: read back as the same moment, in UTC.
    datetime.datetime(2026, 3, 29, 3, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=3))),
    datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.UTC),
]


@pytest.fixture
def postgresql(db):
    if connection.vendor != "postgresql":
        pytest.skip("the loader is psycopg's")
    connection.ensure_connection()


def read(moments, loader=None) -> list:
    with connection.cursor() as cursor:
        if loader is not None:
            cursor.cursor.adapters.register_loader(database.TIMESTAMPTZ, loader)
        cursor.execute("SELECT unnest(%s::timestamptz[])", [[m.isoformat() for m in moments]])
        return [row[0] for row in cursor.fetchall()]


def test_a_connection_reads_timestamps_with_psycopgs_loader(postgresql):
    loader = connection.connection.adapters.get_loader(database.TIMESTAMPTZ, 0)
    assert loader is database.TimestampLoader
    with connection.cursor() as cursor:
        # Django keeps it: its check of the zone on each cursor agrees.
        assert cursor.cursor.adapters.get_loader(database.TIMESTAMPTZ, 0) is loader


def test_timestamps_read_as_djangos_loader_reads_them(postgresql):
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    with connection.cursor() as cursor:
        register_tzloader(connection.timezone, cursor.cursor)
        djangos = cursor.cursor.adapters.get_loader(database.TIMESTAMPTZ, 0)
    assert djangos is not database.TimestampLoader
    ours, theirs = read(MOMENTS), read(MOMENTS, djangos)
    assert ours == theirs == MOMENTS
    assert [m.tzinfo for m in ours] == [m.tzinfo for m in theirs] == [datetime.UTC] * 4


def connected(zone: str, **given):
    raw = SimpleNamespace(
        info=SimpleNamespace(parameter_status=lambda name: zone), adapters=mock.Mock()
    )
    given = {"vendor": "postgresql", "timezone": datetime.UTC, "connection": raw, **given}
    return SimpleNamespace(**given)


def test_a_session_in_utc_is_given_the_loader():
    opened = connected("UTC")
    database.fast_timestamps(None, opened)
    opened.connection.adapters.register_loader.assert_called_once_with(
        database.TIMESTAMPTZ, database.TimestampLoader
    )


@pytest.mark.parametrize(
    "opened",
    [
        connected("Europe/Helsinki"),
        connected("UTC", timezone=datetime.timezone(datetime.timedelta(hours=2))),
        connected("UTC", vendor="sqlite"),
    ],
    ids=["session in another zone", "database in another zone", "not PostgreSQL"],
)
def test_any_other_connection_keeps_djangos_loader(opened):
    database.fast_timestamps(None, opened)
    opened.connection.adapters.register_loader.assert_not_called()

import datetime
import zoneinfo

import pytest
import time_machine
from django.db import connection

from conversations.models import Channel, Message, Thread
from conversations.services import help_desk_inbox
from reports import facts
from tests.factories import TicketFactory
from tickets import services

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def pytest_collection_modifyitems(config, items):
    """Reports are computed in PostgreSQL; on SQLite the page says so
    (tests/reports/test_views.py::…unavailable… checks that answer)."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="reports are computed in PostgreSQL")
    for item in items:
        if "tests/reports/" in str(item.fspath) and "unavailable" not in item.name:
            item.add_marker(skip)


def moment(text: str, zone=BERLIN) -> datetime.datetime:
    """ "2026-11-06 16:00" in Berlin."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=zone)


class Desk:
    """Tickets living through their day at set moments."""

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.new = pipeline.stages.get(name="New")
        self.closed = pipeline.stages.get(name="Closed")

    def ticket(self, at: str, **fields):
        with time_machine.travel(moment(at), tick=False):
            return TicketFactory(pipeline=self.pipeline, stage=self.new, **fields)

    def _message(self, ticket, at: str, direction: str, kind=Message.Kind.MESSAGE):
        with time_machine.travel(moment(at), tick=False):
            thread = ticket.threads.first() or Thread.objects.create(
                ticket=ticket, inbox=help_desk_inbox(), channel=Channel.EMAIL
            )
            return Message.objects.create(
                thread=thread, ticket=ticket, direction=direction, kind=kind, text="…"
            )

    def customer(self, ticket, at: str):
        return self._message(ticket, at, Message.Direction.INBOUND)

    def reply(self, ticket, at: str):
        return self._message(ticket, at, Message.Direction.OUTBOUND)

    def comment(self, ticket, at: str):
        return self._message(ticket, at, Message.Direction.OUTBOUND, Message.Kind.COMMENT)

    def close(self, ticket, at: str):
        with time_machine.travel(moment(at), tick=False):
            return services.ticket_set_stage(
                actor=None, ticket=ticket, stage=self.closed, category="general_inquiry"
            )

    def reopen(self, ticket, at: str):
        with time_machine.travel(moment(at), tick=False):
            return services.ticket_set_stage(actor=None, ticket=ticket, stage=self.new)


@pytest.fixture
def desk(pipeline):
    return Desk(pipeline)


@pytest.fixture
def berlin(settings):
    """Agents read the reports in Berlin time."""
    settings.TIME_ZONE = "Europe/Berlin"
    return BERLIN


def refreshed():
    facts.refresh()


@pytest.fixture(autouse=True)
def _reset_language_and_zone(settings):
    """A page read as a German agent in Berlin leaves both active in this
    thread (the test client runs the middleware here): later tests read
    English in the default zone."""
    from django.utils import timezone, translation

    yield
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()

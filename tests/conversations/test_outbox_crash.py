"""RELIABILITY 16 in small: the sender is SIGKILLed at random points (the full
500 trials run with `manage.py outbox_crash_trials`; figures in the issue note)."""

import pytest
from django.core.management import call_command

from conversations.management.commands.outbox_crash_trials import Command
from tests.factories import TicketFactory


@pytest.mark.django_db(transaction=True)
def test_a_killed_sender_never_loses_a_reply_and_duplicates_only_in_the_window(agent, pipeline):
    TicketFactory(pipeline=pipeline)
    command = Command()
    call_command(command, trials=40, seed=7)
    phases, lost = command.results["phases"], command.results["lost"]
    assert lost == 0
    assert phases["before"][1] == 0 and phases["after"][1] == 0
    assert phases["window"][1] <= phases["window"][0]  # at most one extra per trial
    assert sum(count for count, _duplicates in phases.values()) == 40
    # The random delays reach both sides of the send.
    assert phases["before"][0] and phases["after"][0]

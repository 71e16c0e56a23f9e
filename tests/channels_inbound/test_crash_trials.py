"""RELIABILITY A1 as a test: a web process killed around the inbound insert,
then the ESP's retry; a small run of the command that does 200."""

import pytest
from django.core.management import call_command

from tests.factories import EmailAddressFactory, EmailChannelFactory


@pytest.mark.django_db(transaction=True)
def test_killing_the_web_process_around_the_insert_loses_and_doubles_nothing(pipeline):
    from channels_inbound.management.commands.inbound_crash_trials import Command

    EmailChannelFactory(
        address=EmailAddressFactory(email="support@helpdesk.example"), pipeline=pipeline
    )
    command = Command()
    call_command(command, trials=20)
    assert command.results == {"trials": 20, "lost": 0, "duplicates": 0}

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


@pytest.mark.django_db(transaction=True)
def test_a_kill_around_a_large_payloads_file_never_leaves_a_row_without_it(
    pipeline, settings, tmp_path
):
    """Payloads kept in files (store.FILE_PAYLOAD_OVER): killed while the file
    is written, between the file and the commit, or after; every row keeps
    its file, and a file no row points at is the most a kill leaves."""
    from channels_inbound.management.commands.inbound_crash_trials import Command
    from channels_inbound.store import FILE_PAYLOAD_OVER

    settings.MEDIA_ROOT = tmp_path
    EmailChannelFactory(
        address=EmailAddressFactory(email="support@helpdesk.example"), pipeline=pipeline
    )
    command = Command()
    call_command(command, trials=20, attachment_bytes=FILE_PAYLOAD_OVER)
    results = command.results
    assert results["lost"] == results["duplicates"] == results["rows_without_file"] == 0
    assert results["rows_in_files"] == 20

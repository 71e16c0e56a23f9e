"""IMAP polling and the MTA pipe end in the same ingestion as the webhooks."""

import io
import sys

import pytest
from django.core.management import call_command

from channels_inbound.imap import ImapNotConfigured, imap_poll
from channels_inbound.models import InboundItem
from tests.channels_inbound.mail import mail
from tests.factories import EmailAddressFactory, EmailChannelFactory
from tickets.models import Ticket


class Mailbox:
    """Stands in for an IMAP server: a folder of messages with UIDs and flags
    (the protocol itself is imapclient's, tested upstream)."""

    def __init__(self, messages):
        self.messages = dict(enumerate(messages, start=101))
        self.seen, self.moved, self.logins = set(), {}, []

    def __call__(self, host, port, ssl, timeout):
        assert ssl and (host, port) == ("imap.helpdesk.example", 993)
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def login(self, user, password):
        self.logins.append((user, password))

    def select_folder(self, folder):
        assert folder == "INBOX"
        return {b"UIDVALIDITY": 7}

    def search(self, criteria):
        assert criteria == ["UNSEEN"]
        return [uid for uid in self.messages if uid not in self.seen and uid not in self.moved]

    def fetch(self, uids, parts):
        assert parts == ["BODY.PEEK[]"]  # PEEK: fetching alone marks nothing read
        return {uid: {b"BODY[]": self.messages[uid]} for uid in uids}

    def add_flags(self, uids, flags):
        self.seen.update(uids)

    def move(self, uids, folder):
        self.moved.update(dict.fromkeys(uids, folder))


@pytest.fixture
def channel(db, pipeline, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setenv("SUPPORT_IMAP_PASSWORD", "imap-secret")
    return EmailChannelFactory(
        address=EmailAddressFactory(email="support@helpdesk.example"),
        pipeline=pipeline,
        imap_host="imap.helpdesk.example",
        imap_username="support",
        imap_password_env="SUPPORT_IMAP_PASSWORD",
    )


def test_imap_polling_stores_marks_read_and_never_duplicates(
    channel, django_capture_on_commit_callbacks
):
    box = Mailbox([mail(subject="First"), mail(subject="Second")])
    with django_capture_on_commit_callbacks(execute=True):
        assert imap_poll(channel, client_class=box) == 2
    assert box.logins == [("support", "imap-secret")]
    assert box.seen == {101, 102}
    assert sorted(Ticket.objects.values_list("name", flat=True)) == ["First", "Second"]
    # A crash after storing but before flagging: the next poll sees them again.
    box.seen.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert imap_poll(channel, client_class=box) == 0
    assert InboundItem.objects.count() == 2 and Ticket.objects.count() == 2


def test_imap_can_move_fetched_mail_away(channel, django_capture_on_commit_callbacks):
    channel.imap_done_folder = "Helpdesk/Done"
    box = Mailbox([mail()])
    with django_capture_on_commit_callbacks(execute=True):
        imap_poll(channel, client_class=box)
    assert box.moved == {101: "Helpdesk/Done"}


def test_imap_without_a_password_in_the_environment_is_refused(channel, monkeypatch):
    monkeypatch.delenv("SUPPORT_IMAP_PASSWORD")
    with pytest.raises(ImapNotConfigured):
        imap_poll(channel, client_class=Mailbox([]))


def test_the_mta_pipe_stores_stdin_and_a_redelivery_is_a_no_op(
    channel, monkeypatch, capsys, django_capture_on_commit_callbacks
):
    raw = mail(subject="Piped")
    for expected in ("stored", "already stored"):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
        with django_capture_on_commit_callbacks(execute=True):
            call_command("ingest_email")
        assert capsys.readouterr().out.strip().endswith(f"{expected}.")
    assert Ticket.objects.get().name == "Piped"


def test_the_pipe_asks_the_mail_server_to_retry_on_empty_input(channel, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    with pytest.raises(SystemExit) as exit_:
        call_command("ingest_email")
    assert exit_.value.code == 75

"""A large delivery is kept in a file, the row pointing at it (issue 15: a
webhook with a 20 MiB attachment answers in under 1 s). The file is on disk
before the row commits, read back by every processing, and removed after
its row is (purge, admin delete); a redelivery leaves no second file."""

import datetime
import os
import uuid

import pytest
from django.db import transaction

from channels_inbound import ingest
from channels_inbound.ingest import inbound_process
from channels_inbound.models import InboundItem
from channels_inbound.store import FILE_PAYLOAD_OVER, inbound_store, raw_deliveries_delete
from conversations.models import Attachment
from tests.channels_inbound.mail import mail
from tests.channels_inbound.test_redelivery import AUTH, form_data
from tests.channels_inbound.test_webhooks import KEY, signed
from tests.factories import EmailAddressFactory, EmailChannelFactory
from tickets import services as ticket_services
from tickets.models import Ticket

FILE = os.urandom(FILE_PAYLOAD_OVER + 4096)  # larger than the row keeps, once encoded


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def channel(db, pipeline, settings, media):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": KEY, "WEBHOOK_SECRET": ["hook:s3cret"]}
    return EmailChannelFactory(
        address=EmailAddressFactory(email="support@helpdesk.example"), pipeline=pipeline
    )


def stored_files(media) -> list:
    return sorted(p for p in media.rglob("*") if p.is_file() and "inbound" in p.parts)


def post(client, capture, token: str, raw: bytes, request=None) -> tuple[bytes, int]:
    body, content_type = request or webhook(token, raw)
    with capture(execute=True):
        response = client.post(
            "/inbound/email/mailgun/", body, content_type=content_type, HTTP_AUTHORIZATION=AUTH
        )
    return body, response.status_code


def webhook(token: str, raw: bytes) -> tuple[bytes, str]:
    return form_data(
        {
            "recipient": b"support@helpdesk.example",
            "body-mime": raw,
            **{k: v.encode() for k, v in signed(token=token).items()},
        }
    )


def large_mail() -> bytes:
    return mail(
        subject="The export, attached",
        attachments=[("export.zip", FILE, "application", "zip", None)],
    )


def test_a_large_webhook_is_kept_in_a_file_and_becomes_a_ticket(
    client, channel, media, django_capture_on_commit_callbacks
):
    body, status = post(client, django_capture_on_commit_callbacks, "tok-large", large_mail())

    assert status == 200
    item = InboundItem.objects.get()
    assert bytes(item.payload) == b""
    assert item.payload_file.name.startswith("inbound/")
    assert stored_files(media) == [media / item.payload_file.name]
    assert (media / item.payload_file.name).read_bytes() == body
    assert item.status == InboundItem.Status.DONE, item.error
    ticket = Ticket.objects.get()
    assert ticket.name == "The export, attached"
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.filename == "export.zip" and attachment.file.read() == FILE


def test_a_small_payload_stays_in_its_row(
    client, channel, media, django_capture_on_commit_callbacks
):
    body, status = post(client, django_capture_on_commit_callbacks, "tok-small", mail())

    assert status == 200
    item = InboundItem.objects.get()
    assert bytes(item.payload) == body and item.payload_file.name == ""
    assert stored_files(media) == []


def test_a_retry_reads_the_payload_back_from_its_file(
    client, channel, media, monkeypatch, django_capture_on_commit_callbacks
):
    deliver = ingest.DELIVERERS["mailgun"]
    calls = []

    def fails_once(item):
        calls.append(item.pk)
        if len(calls) == 1:
            raise ConnectionError("the database went away")
        deliver(item)

    monkeypatch.setitem(ingest.DELIVERERS, "mailgun", fails_once)
    post(client, django_capture_on_commit_callbacks, "tok-retry", large_mail())
    item = InboundItem.objects.get()
    assert item.status == InboundItem.Status.PENDING and item.error == "ConnectionError"
    assert not Ticket.objects.exists()

    assert inbound_process(item.pk) == InboundItem.Status.DONE  # the task's retry
    assert calls == [item.pk, item.pk]
    assert Attachment.objects.get().file.read() == FILE


def test_a_redelivery_leaves_no_second_file(
    client, channel, media, django_capture_on_commit_callbacks
):
    request = webhook("tok-again", large_mail())
    post(client, django_capture_on_commit_callbacks, "", b"", request)
    # The same request again (the answer to the first was lost on its way).
    _body, status = post(client, django_capture_on_commit_callbacks, "", b"", request)

    assert status == 200
    item = InboundItem.objects.get()
    assert stored_files(media) == [media / item.payload_file.name]
    assert Ticket.objects.count() == 1


def test_the_purge_removes_the_file_after_its_row(
    client, channel, media, django_capture_on_commit_callbacks
):
    post(client, django_capture_on_commit_callbacks, "tok-purge", large_mail())
    ticket = Ticket.objects.get()
    ticket_services.ticket_delete(actor=None, ticket=ticket)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        removed = ticket_services.tickets_purge_deleted(
            now=ticket.created_at + datetime.timedelta(days=3650)
        )

    assert removed == 1
    assert callbacks, "the file is removed once the purge commits"
    assert not InboundItem.objects.exists()
    assert stored_files(media) == []


def test_a_delete_that_rolls_back_keeps_the_row_and_its_file(media, db):
    item, _created = inbound_store(
        source=InboundItem.Source.PIPE, payload=b"x" * (FILE_PAYLOAD_OVER + 1)
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        raw_deliveries_delete(InboundItem.objects.filter(pk=item.pk))
        raise RuntimeError

    assert InboundItem.objects.filter(pk=item.pk).exists()
    assert (media / InboundItem.objects.get().payload_file.name).stat().st_size > FILE_PAYLOAD_OVER


def test_an_admin_deleting_a_row_removes_its_file(
    client, super_admin, media, django_capture_on_commit_callbacks
):
    item, _created = inbound_store(
        source=InboundItem.Source.PIPE,
        payload=b"x" * (FILE_PAYLOAD_OVER + 1),
        event_id=uuid.uuid4().hex,
    )
    client.force_login(super_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/channels_inbound/inbounditem/{item.pk}/delete/", {"post": "yes"}
        )

    assert response.status_code == 302
    assert not InboundItem.objects.exists()
    assert stored_files(media) == []


def test_a_file_that_cannot_be_written_stores_no_row(media, db, monkeypatch):
    """The request fails (the ESP retries) rather than leave a row without
    its bytes."""
    from django.core.files.storage import default_storage

    def full_disk(name, content, max_length=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(default_storage, "save", full_disk)
    with pytest.raises(OSError):
        inbound_store(source=InboundItem.Source.PIPE, payload=b"x" * (FILE_PAYLOAD_OVER + 1))

    assert not InboundItem.objects.exists()


def test_the_sweep_removes_old_files_no_row_points_at(media, db):
    from channels_inbound.store import _payload_file_write, payload_files_sweep

    item, _created = inbound_store(
        source=InboundItem.Source.PIPE, payload=b"x" * (FILE_PAYLOAD_OVER + 1)
    )
    orphan = _payload_file_write(b"left by a crash before the row committed")
    fresh = _payload_file_write(b"its row is being written right now")
    two_hours_ago = (datetime.datetime.now() - datetime.timedelta(hours=2)).timestamp()
    for name in (item.payload_file.name, orphan):
        os.utime(media / name, (two_hours_ago, two_hours_ago))

    assert payload_files_sweep() == 1

    assert stored_files(media) == sorted([media / item.payload_file.name, media / fresh])
    assert not (media / orphan).exists()

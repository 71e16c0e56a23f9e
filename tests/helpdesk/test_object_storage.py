"""Files in S3-compatible object storage (issue 22: several machines share
them). Against moto's S3 server, a real HTTP endpoint: attachments and large
raw deliveries are written to the bucket, read back by the worker, served
through the app's access checks, and orphans are swept."""

import datetime
import io
import os
import socket

import boto3
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from moto.server import ThreadedMotoServer

from channels_inbound.ingest import inbound_process
from channels_inbound.models import InboundItem
from channels_inbound.store import (
    FILE_PAYLOAD_OVER,
    inbound_payload,
    inbound_store,
    payload_files_sweep,
)
from conversations.models import Attachment
from tests.channels_inbound.mail import mail
from tests.factories import EmailAddressFactory, EmailChannelFactory

BUCKET = "helpdesk-files"
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


@pytest.fixture(scope="module")
def s3_endpoint():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings):
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **CREDENTIALS)
    s3.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": "test",
                "secret_key": "test",
                "default_acl": "private",
                "file_overwrite": False,
            },
        },
    }
    yield s3
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    s3.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def channel(db, pipeline, team_a):
    return EmailChannelFactory(
        address=EmailAddressFactory(email="support@helpdesk.example"),
        pipeline=pipeline,
        team=team_a,
    )


def keys(s3) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_the_default_storage_writes_to_the_bucket(bucket):
    assert default_storage.save("probe.txt", io.BytesIO(b"x")) == "probe.txt"
    assert keys(bucket) == ["probe.txt"]


def test_an_attachment_lands_in_the_bucket_and_is_served_only_through_access_checks(
    bucket, channel, client, team_agent, outsider
):
    pdf = b"%PDF-1.4 " + os.urandom(2048)
    raw = mail(subject="Invoice", attachments=[("invoice.pdf", pdf, "application", "pdf", None)])
    item, _created = inbound_store(source=InboundItem.Source.PIPE, payload=raw)
    inbound_process(item.pk)
    attachment = Attachment.objects.get(filename="invoice.pdf")
    assert attachment.file.name in keys(bucket)

    url = reverse("conversations:attachment_download", args=[attachment.pk])
    client.force_login(team_agent)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"

    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_a_large_delivery_is_kept_in_the_bucket_read_back_and_its_orphans_swept(bucket, channel):
    big = mail(
        subject="The export",
        attachments=[
            (
                "export.bin",
                os.urandom(FILE_PAYLOAD_OVER + 4096),
                "application",
                "octet-stream",
                None,
            )
        ],
    )
    item, _created = inbound_store(source=InboundItem.Source.PIPE, payload=big)
    assert item.payload_file and item.payload_file.name in keys(bucket)
    assert inbound_payload(item) == big
    inbound_process(item.pk)
    item.refresh_from_db()
    assert item.status == "done", item.disposition

    orphan = default_storage.save("inbound/2026/01/01/orphan.raw", io.BytesIO(b"x"))
    later = timezone.now() + datetime.timedelta(hours=2)
    assert payload_files_sweep(now=later) == 1
    assert orphan not in keys(bucket)
    assert item.payload_file.name in keys(bucket)

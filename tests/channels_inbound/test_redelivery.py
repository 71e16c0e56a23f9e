"""One message, delivered any number of times by any mix of routes, lands once
(RELIABILITY B 7, 8, 10, 12), and every route hands our parser the exact bytes
the sender's server produced, never a re-serialised copy."""

import base64
import io
import json
import sys
import uuid

import pytest
from django.core.management import call_command

from channels_inbound.imap import imap_poll
from channels_inbound.mail import raw_message
from channels_inbound.models import InboundItem
from conversations.models import Message
from tests.channels_inbound.test_amazon_ses import post as post_sns
from tests.channels_inbound.test_amazon_ses import sns_host, sns_message  # noqa: F401
from tests.channels_inbound.test_imap_and_pipe import Mailbox
from tests.channels_inbound.test_webhooks import KEY, signed
from tests.factories import EmailAddressFactory, EmailChannelFactory
from tickets.models import Ticket

AUTH = "Basic " + base64.b64encode(b"hook:s3cret").decode()

# 8-bit UTF-8 in the body, a display name with a comma, quotes and
# parentheses, an encoded subject: what re-serialising tends to change.
RAW = (
    b'From: "M\xc3\xbcller, J\xc3\xb6rg (Acme) \\"JM\\"" <jorg@acme.example>\r\n'
    b"To: support@helpdesk.example\r\n"
    b"Subject: =?UTF-8?B?7ZSE66aw7YSw6rCAIOyViCDrj7zsmpQ=?=\r\n"
    b"Date: Tue, 01 Dec 2026 10:00:00 +0200\r\n"
    b"Message-ID: <once-only@acme.example>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Hyv\xc3\xa4\xc3\xa4 p\xc3\xa4iv\xc3\xa4\xc3\xa4, the printer prints nothing.\r\n"
    b"-- \r\nJ\xc3\xb6rg\r\n"
)


def relayed(raw: bytes, *headers: bytes) -> bytes:
    """`raw` as a route hands it over: with its own trace and ESP headers on top."""
    return b"".join(h + b"\r\n" for h in headers) + raw


@pytest.fixture
def channel(db, pipeline, settings, monkeypatch):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": KEY, "WEBHOOK_SECRET": ["hook:s3cret"]}
    monkeypatch.setenv("SUPPORT_IMAP_PASSWORD", "imap-secret")
    return EmailChannelFactory(
        address=EmailAddressFactory(email="support@helpdesk.example"),
        pipeline=pipeline,
        imap_host="imap.helpdesk.example",
        imap_username="support",
        imap_password_env="SUPPORT_IMAP_PASSWORD",
    )


def form_data(fields: dict[str, bytes]) -> tuple[bytes, str]:
    """multipart/form-data as ESPs post it, each field's bytes as they are."""
    boundary = uuid.uuid4().hex
    body = b"".join(
        b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (boundary.encode(), name.encode(), value)
        for name, value in fields.items()
    )
    return body + b"--%s--\r\n" % boundary.encode(), f"multipart/form-data; boundary={boundary}"


def by_mailgun(client, capture, raw, token=None):
    raw = relayed(
        raw,
        b"X-Mailgun-Incoming: Yes",
        b"X-Envelope-From: <jorg@acme.example>",
        b"Received: from mx.acme.example by mxa.mailgun.org with ESMTP id "
        + uuid.uuid4().hex.encode(),
    )
    signature = signed(token=token or uuid.uuid4().hex)  # Mailgun signs each retry anew
    body, content_type = form_data(
        {
            "recipient": b"support@helpdesk.example",
            "sender": b"jorg@acme.example",
            "body-mime": raw,
            **{k: v.encode() for k, v in signature.items()},
        }
    )
    with capture(execute=True):
        response = client.post(
            "/inbound/email/mailgun/", body, content_type=content_type, HTTP_AUTHORIZATION=AUTH
        )
    assert response.status_code == 200, response.content
    return raw


def by_sendgrid(client, capture, raw):
    raw = relayed(raw, b"Received: by mx.sendgrid.net with SMTP id " + uuid.uuid4().hex.encode())
    body, content_type = form_data(
        {
            "email": raw,
            "to": b"support@helpdesk.example",
            "envelope": b'{"to":["support@helpdesk.example"],"from":"jorg@acme.example"}',
            "charsets": b'{"to":"UTF-8","from":"UTF-8","subject":"UTF-8"}',
            "spam_score": b"0.1",
        }
    )
    with capture(execute=True):
        response = client.post(
            "/inbound/email/sendgrid/",
            body,
            content_type=content_type,
            HTTP_AUTHORIZATION=AUTH,
        )
    assert response.status_code == 200, response.content
    return raw


def by_postmark(client, capture, raw, message_id=None):
    message_id = message_id or str(uuid.uuid4())  # the same for Postmark's retries
    raw = relayed(raw, b"Received: by p-pm-inboundg01.mtasv.net id " + message_id.encode())
    payload = {
        "MessageID": message_id,
        "From": "jorg@acme.example",
        "FromFull": {"Email": "jorg@acme.example", "Name": "Jörg"},
        "ToFull": [{"Email": "support@helpdesk.example", "Name": ""}],
        "OriginalRecipient": "support@helpdesk.example",
        "Subject": "rewritten by the ESP",
        "TextBody": "rewritten by the ESP",
        "Headers": [{"Name": "Return-Path", "Value": "<jorg@acme.example>"}],
        "RawEmail": raw.decode(),
    }
    with capture(execute=True):
        response = client.post(
            "/inbound/email/postmark/",
            json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION=AUTH,
        )
    assert response.status_code == 200, response.content
    return raw


def by_ses(client, capture, host, raw, sns_id=None):
    raw = relayed(
        raw,
        b"Return-Path: <jorg@acme.example>",
        b"Received: from mx.acme.example by inbound-smtp.eu-west-1.amazonaws.com id "
        + uuid.uuid4().hex.encode(),
        b"X-SES-Spam-Verdict: PASS",
        b"X-SES-Virus-Verdict: PASS",
    )
    message = sns_message(host, raw=raw, encoding="BASE64", message_id=sns_id or uuid.uuid4().hex)
    assert post_sns(client, capture, message).status_code == 200
    return raw


def by_imap(channel, capture, raw, uid_offset=0):
    raw = relayed(raw, b"Delivered-To: support@helpdesk.example", b"Received: by imap relay")
    box = Mailbox([raw])
    box.messages = {uid + uid_offset: data for uid, data in box.messages.items()}
    with capture(execute=True):
        imap_poll(channel, client_class=box)
    return raw


def by_pipe(monkeypatch, capture, raw, hop=b""):
    raw = relayed(raw, b"Received: from mx.acme.example by mail.helpdesk.example" + hop)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    with capture(execute=True):
        call_command("ingest_email", stdout=io.StringIO())
    return raw


def assert_landed_once():
    statuses = sorted(InboundItem.objects.values_list("status", "disposition"))
    assert Ticket.objects.count() == 1, statuses
    assert Message.objects.count() == 1, statuses
    assert [s for s, _d in statuses].count("done") == 1, statuses


def assert_parsed_exactly(sent: bytes):
    """The worker read the bytes the route handed over, byte for byte."""
    item = InboundItem.objects.get(status="done")
    assert raw_message(item).raw == sent


def test_a_mailgun_retry_with_a_new_token_lands_once(
    client, channel, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    sent = by_mailgun(client, capture, RAW)
    by_mailgun(client, capture, RAW)
    by_mailgun(client, capture, RAW)
    assert_landed_once()
    assert_parsed_exactly(sent)
    message = Message.objects.get()
    assert message.from_email == "jorg@acme.example"
    assert message.subject == "프린터가 안 돼요"
    assert "Hyvää päivää" in message.text


def test_a_sendgrid_redelivery_lands_once(client, channel, django_capture_on_commit_callbacks):
    sent = by_sendgrid(client, django_capture_on_commit_callbacks, RAW)
    by_sendgrid(client, django_capture_on_commit_callbacks, RAW)
    assert_landed_once()
    assert_parsed_exactly(sent)


def test_a_postmark_redelivery_lands_once_from_its_raw_source(
    client, channel, django_capture_on_commit_callbacks
):
    sent = by_postmark(client, django_capture_on_commit_callbacks, RAW, message_id="pm-1")
    by_postmark(client, django_capture_on_commit_callbacks, RAW, message_id="pm-1")
    by_postmark(client, django_capture_on_commit_callbacks, RAW)
    assert_landed_once()
    assert_parsed_exactly(sent)
    assert Message.objects.get().subject == "프린터가 안 돼요"  # not Postmark's field


def test_an_ses_redelivery_lands_once(
    client,
    channel,
    sns_host,  # noqa: F811 (the fixture imported above)
    django_capture_on_commit_callbacks,
):
    sent = by_ses(client, django_capture_on_commit_callbacks, sns_host, RAW, sns_id="sns-a")
    by_ses(client, django_capture_on_commit_callbacks, sns_host, RAW, sns_id="sns-a")
    by_ses(client, django_capture_on_commit_callbacks, sns_host, RAW)
    assert_landed_once()
    assert_parsed_exactly(sent)


def test_an_imap_message_seen_again_under_another_uid_lands_once(
    channel, django_capture_on_commit_callbacks
):
    by_imap(channel, django_capture_on_commit_callbacks, RAW)
    by_imap(channel, django_capture_on_commit_callbacks, RAW)  # same UID
    by_imap(channel, django_capture_on_commit_callbacks, RAW, uid_offset=50)  # moved back
    assert_landed_once()


def test_a_piped_message_relayed_twice_lands_once(
    channel, monkeypatch, django_capture_on_commit_callbacks
):
    by_pipe(monkeypatch, django_capture_on_commit_callbacks, RAW)
    by_pipe(monkeypatch, django_capture_on_commit_callbacks, RAW)
    by_pipe(monkeypatch, django_capture_on_commit_callbacks, RAW, hop=b" (second relay)")
    assert_landed_once()


def test_one_message_by_every_route_lands_once(
    client,
    channel,
    sns_host,  # noqa: F811
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    capture = django_capture_on_commit_callbacks
    by_pipe(monkeypatch, capture, RAW)
    by_mailgun(client, capture, RAW)
    by_imap(channel, capture, RAW)
    by_sendgrid(client, capture, RAW)
    by_postmark(client, capture, RAW)
    by_ses(client, capture, sns_host, RAW)
    by_mailgun(client, capture, RAW)
    assert_landed_once()
    assert InboundItem.objects.count() == 7
    assert InboundItem.objects.filter(status="ignored").count() == 6


def test_a_different_message_is_not_taken_for_a_redelivery(
    client, channel, monkeypatch, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    by_mailgun(client, capture, RAW)
    by_pipe(monkeypatch, capture, RAW.replace(b"printer prints nothing", b"printer prints again"))
    assert Message.objects.count() == 2


def test_raw_payloads_are_compressed_with_lz4_where_postgresql_has_it(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL column setting")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression'"
            " AND 'lz4' = ANY(enumvals)"
        )
        if cursor.fetchone() is None:
            pytest.skip("this PostgreSQL is built without lz4")
        cursor.execute(
            "SELECT attcompression FROM pg_attribute"
            " WHERE attrelid = 'channels_inbound_inbounditem'::regclass AND attname = 'payload'"
        )
        assert cursor.fetchone()[0] == "l"

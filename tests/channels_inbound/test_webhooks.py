"""ESP webhooks: authentic, raw-first, replay-proof, idempotent (RELIABILITY A 3,
B 7 and 12, J 61-63)."""

import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest

from channels_inbound.models import InboundItem
from conversations.models import Message
from tests.channels_inbound.mail import mail
from tests.factories import EmailAddressFactory, EmailChannelFactory
from tests.timing import cpu_budget
from tickets.models import Ticket

KEY = "mailgun-signing-key"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "email" / "anymail"


@pytest.fixture
def channel(db, pipeline, settings, django_capture_on_commit_callbacks):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": KEY, "WEBHOOK_SECRET": ["hook:s3cret"]}
    address = EmailAddressFactory(email="support@helpdesk.example")
    return EmailChannelFactory(address=address, pipeline=pipeline)


def signed(token="tok-1", timestamp=None, key=KEY):
    timestamp = str(int(timestamp or time.time()))
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"token": token, "timestamp": timestamp, "signature": signature}


AUTH = {"HTTP_AUTHORIZATION": "Basic aG9vazpzM2NyZXQ="}  # hook:s3cret


def post_mailgun(client, capture, raw=None, auth=AUTH, **signature):
    data = {
        "body-mime": (raw or mail()).decode(),
        "recipient": "support@helpdesk.example",
        "sender": "ana@acme.example",
        **signed(**signature),
    }
    with capture(execute=True):
        return client.post("/inbound/email/mailgun/", data, **auth)


def test_a_signed_mailgun_delivery_is_stored_then_becomes_a_ticket(
    client, channel, django_capture_on_commit_callbacks
):
    response = post_mailgun(
        client, django_capture_on_commit_callbacks, mail(subject="From Mailgun")
    )
    assert response.status_code == 200
    item = InboundItem.objects.get()
    assert (item.source, item.event_id, item.status) == ("mailgun", "tok-1", "done")
    assert item.ticket.name == "From Mailgun"


@pytest.mark.parametrize(
    ("signature", "status"),
    [
        ({"key": "wrong-key"}, 403),
        ({"timestamp": time.time() - 3600}, 403),  # signed an hour ago: replayable, refused
    ],
)
def test_forged_or_stale_mailgun_requests_are_refused(
    client, channel, django_capture_on_commit_callbacks, signature, status
):
    response = post_mailgun(client, django_capture_on_commit_callbacks, **signature)
    assert response.status_code == status
    assert not InboundItem.objects.exists()


def test_an_unsigned_mailgun_request_is_refused(client, channel):
    response = client.post("/inbound/email/mailgun/", {"body-mime": mail().decode()}, **AUTH)
    assert response.status_code == 403 and not InboundItem.objects.exists()


def test_mailgun_needs_the_basic_auth_too_when_a_webhook_secret_is_set(
    client, channel, settings, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    assert post_mailgun(client, capture, auth={}).status_code == 403
    wrong = {"HTTP_AUTHORIZATION": "Basic aG9vazp3cm9uZw=="}  # hook:wrong
    assert post_mailgun(client, capture, auth=wrong, token="t2").status_code == 403
    assert not InboundItem.objects.exists()
    assert post_mailgun(client, capture, token="t3").status_code == 200
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": KEY}  # no secret: the signature alone
    assert post_mailgun(client, capture, auth={}, token="t4").status_code == 200


def test_a_replayed_mailgun_token_with_another_body_is_refused(
    client, channel, django_capture_on_commit_callbacks
):
    assert (
        post_mailgun(client, django_capture_on_commit_callbacks, mail(subject="One")).status_code
        == 200
    )
    replay = post_mailgun(client, django_capture_on_commit_callbacks, mail(subject="Evil"))
    assert replay.status_code == 400
    assert list(Ticket.objects.values_list("name", flat=True)) == ["One"]


def test_the_same_delivery_three_times_is_one_message(
    client, channel, django_capture_on_commit_callbacks
):
    raw = mail(subject="Thrice")
    data = {"body-mime": raw.decode(), **signed()}
    for _attempt in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/inbound/email/mailgun/", data, **AUTH).status_code == 200
    assert InboundItem.objects.count() == 1 and Message.objects.count() == 1


def test_a_parser_killer_is_acknowledged_kept_and_marked_failed(
    client, channel, django_capture_on_commit_callbacks
):
    """RELIABILITY 3: 2xx after storing raw, one row with the error, no crash."""
    killer = b"From: a@acme.example\r\nSubject: x\r\n" + b"".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
        for i in range(1000)
    )
    response = post_mailgun(client, django_capture_on_commit_callbacks, killer)
    assert response.status_code == 200
    item = InboundItem.objects.get()
    assert item.status == "failed" and item.error


def postmark_payload() -> bytes:
    return (FIXTURES / "postmark-inbound-test-payload.json").read_bytes()


def test_postmark_needs_its_basic_auth(client, channel, django_capture_on_commit_callbacks):
    url = "/inbound/email/postmark/"
    body = postmark_payload()
    assert client.post(url, body, content_type="application/json").status_code == 403
    wrong = {"HTTP_AUTHORIZATION": "Basic aG9vazp3cm9uZw=="}  # hook:wrong
    assert client.post(url, body, content_type="application/json", **wrong).status_code == 403
    good = {"HTTP_AUTHORIZATION": "Basic aG9vazpzM2NyZXQ="}  # hook:s3cret
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, body, content_type="application/json", **good)
    assert response.status_code == 200
    item = InboundItem.objects.get()
    assert item.event_id == json.loads(body)["MessageID"]
    assert item.status in ("done", "failed", "ignored"), item.disposition
    assert item.status == "done" or item.disposition or item.error


def test_postmark_redelivery_with_the_same_message_id_is_a_no_op(
    client, channel, django_capture_on_commit_callbacks
):
    good = {"HTTP_AUTHORIZATION": "Basic aG9vazpzM2NyZXQ="}
    for _attempt in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/inbound/email/postmark/",
                postmark_payload(),
                content_type="application/json",
                **good,
            )
        assert response.status_code == 200
    assert InboundItem.objects.count() == 1


def test_providers_without_a_secret_or_unknown_ones_are_404(client, channel, settings):
    settings.ANYMAIL = {}
    assert (
        client.post("/inbound/email/postmark/", b"{}", content_type="application/json").status_code
        == 404
    )
    assert client.post("/inbound/email/mailgun/", {"x": "1"}).status_code == 404
    assert client.post("/inbound/email/nobody/", {"x": "1"}).status_code == 404
    assert client.get("/inbound/email/mailgun/").status_code == 405


def test_request_size_limits_are_per_endpoint(client, channel, agent, settings):
    settings.HELPDESK_INBOUND_MAX_BYTES = 2**20
    big = b"x" * (2 * 2**20)
    response = client.post("/inbound/email/postmark/", big, content_type="application/json")
    assert response.status_code == 413
    client.force_login(agent)
    form = client.post(
        "/tickets/new/",
        "name=" + "x" * (4 * 2**20),
        content_type="application/x-www-form-urlencoded",
    )
    assert form.status_code == 413


def test_an_unauthenticated_large_body_is_refused_before_it_is_read(client, channel):
    """RELIABILITY 63: basic auth is checked from the headers alone."""
    body = b"{" + b" " * (10 * 2**20) + b"}"
    with cpu_budget(0.5):
        response = client.post("/inbound/email/postmark/", body, content_type="application/json")
    assert response.status_code == 403
    assert not InboundItem.objects.exists()


def test_the_esp_spam_verdict_files_the_ticket_as_spam_but_a_sender_header_does_not(
    client, channel, django_capture_on_commit_callbacks
):
    """Mailgun adds X-Mailgun-Sflag to mail it judged spam; the same header
    arriving through the MTA pipe could be the sender's and changes nothing
    (RELIABILITY 34)."""
    from channels_inbound.ingest import inbound_process
    from channels_inbound.store import inbound_store

    flagged = mail(subject="Cheap pills", headers={"X-Mailgun-Sflag": "Yes"})
    post_mailgun(client, django_capture_on_commit_callbacks, flagged)
    item = InboundItem.objects.get()
    assert item.ticket.is_spam and "spam" in item.disposition
    assert item.ticket.events.filter(field="spam").exists()
    piped, _created = inbound_store(
        source=InboundItem.Source.PIPE,
        payload=mail(subject="Not spam", headers={"X-Mailgun-Sflag": "Yes"}),
    )
    inbound_process(piped.pk)
    piped.refresh_from_db()
    assert not piped.ticket.is_spam


def test_two_mailgun_keys_work_while_rotating_and_the_old_one_stops_after(
    client, channel, settings, django_capture_on_commit_callbacks
):
    """RELIABILITY 65."""
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": f"new-key,{KEY}"}
    assert (
        post_mailgun(client, django_capture_on_commit_callbacks, token="a", key=KEY).status_code
        == 200
    )
    assert (
        post_mailgun(
            client, django_capture_on_commit_callbacks, token="b", key="new-key"
        ).status_code
        == 200
    )
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": "new-key"}
    assert (
        post_mailgun(client, django_capture_on_commit_callbacks, token="c", key=KEY).status_code
        == 403
    )


def test_a_100000_deep_json_body_is_stored_and_failed_never_a_5xx(
    client, channel, django_capture_on_commit_callbacks
):
    """RELIABILITY 89: hostile JSON on a JSON endpoint."""
    body = b'{"MessageID": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/inbound/email/postmark/",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION="Basic aG9vazpzM2NyZXQ=",
        )
    assert response.status_code == 200
    item = InboundItem.objects.get()
    assert item.status == "failed" and bytes(item.payload) == body


def test_without_a_database_the_webhook_answers_5xx_never_2xx(client, channel, monkeypatch):
    """RELIABILITY 14: a 2xx means a stored row, so the ESP retries otherwise."""
    from django.db import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("the database is down")

    monkeypatch.setattr(InboundItem.objects, "create", down)
    client.raise_request_exception = False
    data = {"body-mime": mail().decode(), **signed()}
    response = client.post("/inbound/email/mailgun/", data, **AUTH)
    assert response.status_code == 500


def test_nul_bytes_anywhere_in_a_mail_never_reach_the_database(
    client, channel, django_capture_on_commit_callbacks
):
    """RELIABILITY 90 (PostgreSQL refuses NUL in text columns)."""
    raw = (
        b"From: Ana\x00 <ana@acme.example>\r\nTo: support@helpdesk.example\r\n"
        b"Subject: Hi\x00there\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Body with \x00 a NUL\r\n"
    )
    response = post_mailgun(client, django_capture_on_commit_callbacks, raw)
    assert response.status_code == 200
    item = InboundItem.objects.get()
    assert item.status == "done", item.error
    message = item.message
    assert "\x00" not in message.subject + message.text + message.html + message.from_name


def test_a_postmark_payload_without_to_full_finds_its_channel_by_to(
    client, channel, django_capture_on_commit_callbacks
):
    payload = json.loads(postmark_payload())
    del payload["ToFull"]
    payload["To"] = '"Help desk" <support@helpdesk.example>'
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/inbound/email/postmark/",
            json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION="Basic aG9vazpzM2NyZXQ=",
        )
    item = InboundItem.objects.get()
    assert item.status == "done", item.disposition
    assert item.message.to == ["support@helpdesk.example"]


def test_a_postmark_payload_with_only_the_original_recipient_finds_its_channel(
    client, channel, django_capture_on_commit_callbacks
):
    payload = json.loads(postmark_payload())
    del payload["ToFull"]
    payload["To"] = ""
    payload["OriginalRecipient"] = "support@helpdesk.example"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/inbound/email/postmark/",
            json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION="Basic aG9vazpzM2NyZXQ=",
        )
    assert InboundItem.objects.get().status == "done"


def test_a_blind_copy_finds_its_channel_by_the_esp_envelope(
    client, channel, django_capture_on_commit_callbacks
):
    """Mailgun names the envelope recipient: a BCC to us is not lost."""
    post_mailgun(client, django_capture_on_commit_callbacks, mail(to="someone@acme.example"))
    item = InboundItem.objects.get()
    assert item.status == "done", item.disposition
    assert item.ticket is not None


def test_envelope_recipients_do_not_make_a_copy_addressed(
    client, channel, django_capture_on_commit_callbacks
):
    """A CC is in the envelope too: the channel's CC-only rule still holds."""
    raw = mail(to="someone@acme.example", cc="support@helpdesk.example")
    post_mailgun(client, django_capture_on_commit_callbacks, raw)
    item = InboundItem.objects.get()
    assert item.status == "ignored" and "only in CC" in item.disposition


def test_a_signed_mailgun_timestamp_that_is_not_a_number_is_stale(client, channel):
    token, stamp = "tok-nan", "nan"
    signature = hmac.new(KEY.encode(), f"{stamp}{token}".encode(), hashlib.sha256).hexdigest()
    data = {
        "body-mime": mail().decode(),
        "token": token,
        "timestamp": stamp,
        "signature": signature,
    }
    response = client.post("/inbound/email/mailgun/", data, **AUTH)
    assert response.status_code == 403 and not InboundItem.objects.exists()

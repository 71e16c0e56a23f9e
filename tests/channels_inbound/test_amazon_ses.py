"""Amazon SES inbound through SNS: basic auth, the SNS signature checked
against a certificate fetched only from an SNS host, the subscription
handshake, and redeliveries stored once (RELIABILITY J 61-63, B 7)."""

import base64
import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from channels_inbound.models import InboundItem
from channels_inbound.sns import SIGNED_FIELDS
from tests.channels_inbound.mail import mail
from tests.factories import EmailAddressFactory, EmailChannelFactory

TOPIC = "arn:aws:sns:eu-north-1:123456789012:helpdesk-inbound"
AUTH = "Basic " + base64.b64encode(b"hook:s3cret").decode()


def _certificate():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


KEY, PEM = _certificate()


@pytest.fixture
def sns_host(settings):
    """A local stand-in for sns.<region>.amazonaws.com: serves the signing
    certificate and records every request it gets."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            body = PEM if self.path.endswith(".pem") else b"<ConfirmSubscriptionResponse/>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.AMAZON_SNS_ORIGIN = rf"http://127\.0\.0\.1:{server.server_port}"
    yield {"url": f"http://127.0.0.1:{server.server_port}", "seen": seen}
    server.shutdown()


@pytest.fixture
def channel(db, pipeline, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": ["hook:s3cret"]}
    address = EmailAddressFactory(email="support@helpdesk.example")
    return EmailChannelFactory(address=address, pipeline=pipeline)


def sns_message(
    sns_host,
    kind="Notification",
    *,
    raw=None,
    spam="PASS",
    dmarc="PASS",
    version="2",
    encoding="UTF8",
    **extra,
):
    raw = raw or mail(subject="From SES")
    content = base64.b64encode(raw).decode() if encoding == "BASE64" else raw.decode()
    message = {
        "Type": kind,
        "MessageId": extra.pop("message_id", "sns-1"),
        "TopicArn": extra.pop("topic", TOPIC),
        "Timestamp": "2026-11-21T10:00:00.000Z",
        "SignatureVersion": version,
        "SigningCertURL": extra.pop("cert_url", f"{sns_host['url']}/SimpleNotificationService.pem"),
    }
    if kind == "Notification":
        message["Subject"] = "Amazon SES Email Receipt Notification"
        message["Message"] = json.dumps(
            {
                "notificationType": "Received",
                "mail": {"source": "ana@acme.example", "messageId": "ses-1"},
                "receipt": {
                    "recipients": ["support@helpdesk.example"],
                    "spamVerdict": {"status": spam},
                    "dmarcVerdict": {"status": dmarc},
                    "action": {"type": "SNS", "encoding": encoding},
                },
                "content": content,
            }
        )
    else:
        message["Message"] = "You have chosen to subscribe to the topic."
        message["Token"] = "tok"
        message["SubscribeURL"] = f"{sns_host['url']}/?Action=ConfirmSubscription&Token=tok"
    message |= extra
    text = "".join(f"{k}\n{message[k]}\n" for k in SIGNED_FIELDS[kind] if k in message)
    digest = hashes.SHA1() if version == "1" else hashes.SHA256()
    message["Signature"] = base64.b64encode(
        KEY.sign(text.encode(), padding.PKCS1v15(), digest)
    ).decode()
    return message


def post(client, capture, message, auth=AUTH, **headers):
    headers = {
        "x-amz-sns-message-type": message["Type"],
        "x-amz-sns-message-id": message["MessageId"],
        **headers,
    }
    if auth:
        headers["Authorization"] = auth
    with capture(execute=True):
        return client.post(
            "/inbound/email/amazon_ses/",
            json.dumps(message),
            content_type="text/plain; charset=UTF-8",  # what SNS sends
            headers=headers,
        )


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_signed_ses_notification_becomes_a_ticket(
    client, channel, sns_host, django_capture_on_commit_callbacks, version
):
    response = post(
        client, django_capture_on_commit_callbacks, sns_message(sns_host, version=version)
    )
    assert response.status_code == 200, response.content
    item = InboundItem.objects.get()
    assert (item.source, item.event_id, item.status) == ("amazon_ses", "sns-1", "done")
    assert item.ticket.name == "From SES" and not item.ticket.is_spam


def test_the_certificate_is_fetched_once_and_redeliveries_store_once(
    client, channel, sns_host, django_capture_on_commit_callbacks
):
    message = sns_message(sns_host)
    for _ in range(3):
        assert post(client, django_capture_on_commit_callbacks, message).status_code == 200
    assert InboundItem.objects.count() == 1
    assert sns_host["seen"] == ["/SimpleNotificationService.pem"]


def test_the_ses_spam_verdict_files_the_ticket_as_spam(
    client, channel, sns_host, django_capture_on_commit_callbacks
):
    post(client, django_capture_on_commit_callbacks, sns_message(sns_host, spam="FAIL"))
    assert InboundItem.objects.get().ticket.is_spam


def test_sns_asks_for_credentials_and_wrong_ones_are_refused(
    client, channel, sns_host, django_capture_on_commit_callbacks
):
    message = sns_message(sns_host)
    challenge = post(client, django_capture_on_commit_callbacks, message, auth="")
    assert challenge.status_code == 401 and challenge["WWW-Authenticate"].startswith("Basic")
    wrong = "Basic " + base64.b64encode(b"hook:guess").decode()
    assert post(client, django_capture_on_commit_callbacks, message, auth=wrong).status_code == 403
    assert not InboundItem.objects.exists() and not sns_host["seen"]


def test_a_tampered_or_foreign_signed_message_is_refused(
    client, channel, sns_host, django_capture_on_commit_callbacks, settings
):
    capture = django_capture_on_commit_callbacks
    tampered = sns_message(sns_host)
    tampered["Message"] = tampered["Message"].replace("From SES", "Pay this invoice")
    assert post(client, capture, tampered).status_code == 403
    # A certificate anywhere but an SNS host is never fetched.
    elsewhere = sns_message(sns_host, cert_url="http://169.254.169.254/latest/cert.pem")
    assert post(client, capture, elsewhere).status_code == 403
    # Only the configured topics, when there is a list.
    settings.AMAZON_SNS_TOPIC_ARNS = ["arn:aws:sns:eu-north-1:123456789012:other"]
    assert post(client, capture, sns_message(sns_host)).status_code == 403
    mismatched = sns_message(sns_host)
    settings.AMAZON_SNS_TOPIC_ARNS = []
    assert (
        post(client, capture, mismatched, **{"x-amz-sns-message-type": "Nope"}).status_code == 400
    )
    assert post(client, capture, {"Type": "Notification", "MessageId": "x"}).status_code == 403
    assert not InboundItem.objects.exists()
    assert sns_host["seen"] == ["/SimpleNotificationService.pem"]


def test_the_subscription_is_confirmed_by_loading_its_url_from_sns(
    client, channel, sns_host, django_capture_on_commit_callbacks
):
    message = sns_message(sns_host, "SubscriptionConfirmation")
    response = post(client, django_capture_on_commit_callbacks, message)
    assert response.status_code == 200
    assert "/?Action=ConfirmSubscription&Token=tok" in sns_host["seen"]
    assert not InboundItem.objects.exists()
    # A confirmation URL outside SNS is not loaded, and SNS is told it failed.
    foreign = sns_message(
        sns_host,
        "SubscriptionConfirmation",
        message_id="sns-2",
        SubscribeURL="http://127.0.0.2/?Action=ConfirmSubscription",
    )
    assert post(client, django_capture_on_commit_callbacks, foreign).status_code == 502


def test_the_ses_dmarc_verdict_marks_the_sender_unverified(
    client, channel, sns_host, django_capture_on_commit_callbacks
):
    post(client, django_capture_on_commit_callbacks, sns_message(sns_host, dmarc="FAIL"))
    item = InboundItem.objects.get()
    assert item.message.dmarc == "fail" and "DMARC failed" in item.disposition

"""Amazon SNS, which carries Amazon SES inbound mail to us (RELIABILITY J 61).

anymail checks SES webhooks by basic auth alone and leaves SNS signatures for
later; we also check the signature, so a leaked webhook password is not enough
to inject mail. The signing certificate and the subscription confirmation are
the only URLs we fetch from an SNS message, and only from Amazon's SNS hosts
(`AMAZON_SNS_ORIGIN`): no redirects, a short timeout, a size cap (RELIABILITY rule 7).
"""

import base64
import binascii
import hashlib
import re
import urllib.error
import urllib.parse
import urllib.request

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings
from django.core.cache import cache

# The fields each message type signs, in the order they are signed.
SIGNED_FIELDS = {
    "Notification": ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
    "SubscriptionConfirmation": [
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ],
}
SIGNED_FIELDS["UnsubscribeConfirmation"] = SIGNED_FIELDS["SubscriptionConfirmation"]
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
CERT_MAX_BYTES = 16 * 1024
CERT_CACHE_SECONDS = 24 * 3600
FETCH_TIMEOUT = 5


class SnsError(Exception):
    """The message is not a genuine SNS message for us (the text says why)."""


def verify(message: dict) -> None:
    """Raise SnsError unless `message` carries a valid SNS signature from a
    topic we accept."""
    fields = SIGNED_FIELDS.get(message.get("Type"))
    if fields is None:
        raise SnsError("unknown message type")
    digest = HASHES.get(str(message.get("SignatureVersion")))
    if digest is None:
        raise SnsError("unknown signature version")
    topics = settings.AMAZON_SNS_TOPIC_ARNS
    if topics and message.get("TopicArn") not in topics:
        raise SnsError("topic not allowed")
    cert_url = str(message.get("SigningCertURL") or "")
    if not urllib.parse.urlsplit(cert_url).path.endswith(".pem"):
        raise SnsError("signing certificate URL is not a .pem file")
    try:
        signature = base64.b64decode(str(message.get("Signature") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise SnsError("signature is not base64") from None
    text = "".join(
        f"{name}\n{message[name]}\n"
        for name in fields
        if name in message and isinstance(message[name], str)
    )
    try:
        _signing_key(cert_url).verify(signature, text.encode(), padding.PKCS1v15(), digest())
    except (InvalidSignature, ValueError, TypeError):
        raise SnsError("bad signature") from None


def confirm_subscription(message: dict) -> None:
    """Confirm a subscription the way SNS asks HTTP endpoints to: by loading its
    SubscribeURL (only ever an SNS host)."""
    fetch(str(message.get("SubscribeURL") or ""), 64 * 1024)


def _signing_key(url: str):
    key = f"sns-cert:{hashlib.sha256(url.encode()).hexdigest()}"
    pem = cache.get(key)
    if pem is None:
        pem = fetch(url, CERT_MAX_BYTES)
        cache.set(key, pem, CERT_CACHE_SECONDS)
    try:
        return x509.load_pem_x509_certificate(pem).public_key()
    except ValueError:
        raise SnsError("signing certificate unreadable") from None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, limit: int) -> bytes:
    """GET `url` if it is on an SNS host; at most `limit` bytes."""
    parts = urllib.parse.urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if parts.username or parts.password or not re.fullmatch(settings.AMAZON_SNS_ORIGIN, origin):
        raise SnsError("URL outside Amazon SNS")
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(url, timeout=FETCH_TIMEOUT) as response:
            body = response.read(limit + 1)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise SnsError(f"fetching from SNS failed ({type(error).__name__})") from None
    if len(body) > limit:
        raise SnsError("SNS answer too large")
    return body

"""Signatures as the Standard Webhooks specification describes them: the
secret is "whsec_" and base64 of random bytes; a request carries
`webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`, a
space-separated list of "v1,<base64 of HMAC-SHA256 over
'{id}.{timestamp}.{body}'>", one per secret that signs (two while a secret is
rotated).

Our own few lines rather than the `standardwebhooks` package: signing is an
HMAC and a join, less to keep than a dependency; the tests check it against an
independent implementation of the specification."""

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification asks for 24 to 64


def generate_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = b"%s.%d.%s" % (message_id.encode(), timestamp, body)
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets_: list[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            signature(secret, message_id, timestamp, body) for secret in secrets_
        ),
    }

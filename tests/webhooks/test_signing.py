"""Signatures as the Standard Webhooks specification describes them, checked
by an implementation written here from the specification, not ours."""

import base64
import hashlib
import hmac

from webhooks import signing


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """A receiver's check, as the specification's text tells it."""
    key = base64.b64decode(secret.split("_", 1)[1])
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.digest(key, content, "sha256")).decode()
    for part in headers["webhook-signature"].split(" "):
        version, _, given = part.partition(",")
        if version == "v1" and hmac.compare_digest(given, expected):
            return True
    return False


def test_the_signature_matches_the_specifications_example():
    # The example given with the specification's reference libraries.
    found = signing.signature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert found == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_new_secret_is_whsec_and_32_random_bytes():
    first, second = signing.generate_secret(), signing.generate_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


def test_headers_verify_independently_and_fail_when_the_body_changes():
    secret = signing.generate_secret()
    body = '{"type":"ticket.created","data":{"name":"Ünïcode 한국어"}}'.encode()
    headers = signing.headers([secret], "msg_1", 1700000000, body)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert verify(secret, headers, body)
    assert not verify(secret, headers, body + b" ")
    assert not verify(signing.generate_secret(), headers, body)
    assert not verify(secret, {**headers, "webhook-timestamp": "1700000001"}, body)


def test_two_secrets_give_two_signatures_each_of_which_verifies():
    old, new = signing.generate_secret(), signing.generate_secret()
    headers = signing.headers([new, old], "msg_2", 1700000000, b"{}")
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verify(old, headers, b"{}") and verify(new, headers, b"{}")
    digest = hashlib.sha256(b"x").digest()  # a stranger's signature verifies nothing
    forged = {**headers, "webhook-signature": "v1," + base64.b64encode(digest).decode()}
    assert not verify(new, forged, b"{}")


def test_the_readmes_verification_code_accepts_our_requests_and_refuses_others():
    """The Python a receiver copies from the README works on what we send."""
    import re
    import time
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Verifying a webhook signature", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)  # our own README
    readme_verify = namespace["verify"]
    old, new = signing.generate_secret(), signing.generate_secret()
    body = b'{"type":"ticket.created"}'
    headers = signing.headers([new, old], "msg_r", int(time.time()), body)
    assert readme_verify(new, headers, body) and readme_verify(old, headers, body)
    assert not readme_verify(signing.generate_secret(), headers, body)
    assert not readme_verify(new, headers, body + b"x")
    stale = signing.headers([new], "msg_r", int(time.time()) - 3600, body)
    assert not readme_verify(new, stale, body)

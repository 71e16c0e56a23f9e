"""ESP inbound webhooks, raw-first (RELIABILITY rule 1).

anymail parses a message inside its own webhook view, so a message it cannot
parse would answer 500 and be retried forever. Our view only checks that the
request is authentic (anymail's own validators: Mailgun's signature, basic
auth), refuses replays, stores the request body and answers 200. The worker
later takes the raw message out of the stored body (`message_from_webhook`)
and from there the mail takes the same path as IMAP and the MTA pipe.
"""

import base64
import binascii
import json
import re
import time
from email.utils import getaddresses
from urllib.parse import unquote_to_bytes, urlencode

from anymail.exceptions import AnymailError, AnymailWebhookValidationFailure
from anymail.utils import get_request_basic_auth
from anymail.webhooks.amazon_ses import AmazonSESBaseWebhookView, AmazonSESInboundWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.test import RequestFactory
from django.utils.crypto import constant_time_compare
from django.utils.http import parse_header_parameters
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import InboundItem
from .parsing import InboundParseError, RawMail
from .sns import SnsError, confirm_subscription, verify
from .store import inbound_payload, inbound_store

VIEWS = {
    InboundItem.Source.MAILGUN: MailgunInboundWebhookView,
    InboundItem.Source.POSTMARK: PostmarkInboundWebhookView,
    InboundItem.Source.SENDGRID: SendGridInboundWebhookView,
    InboundItem.Source.AMAZON_SES: AmazonSESInboundWebhookView,
}
# What SNS sends once after a subscription is confirmed: not a mail.
SNS_TOPIC_CHECK = "Successfully validated SNS topic for Amazon SES event publishing."
# Mailgun signs only timestamp and token: a signed request is accepted within
# this window of its timestamp (wide enough for a clock 10 minutes off,
# RELIABILITY 20), and each token once.
MAILGUN_WINDOW = 15 * 60
# The name of a multipart/form-data field in its part's headers ("filename"
# does not match: \b needs a non-letter before "name").
FIELD_NAME = re.compile(rb'(?i)\bname="?([^";\r\n]*)')


@csrf_exempt
@require_POST
def inbound_webhook(request, provider: str):
    view_class = VIEWS.get(provider)
    if view_class is None:
        raise Http404
    if provider != InboundItem.Source.MAILGUN and not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        raise Http404  # never open to anyone: no basic auth configured, no webhook
    if provider == InboundItem.Source.AMAZON_SES:
        return _amazon_ses(request)
    mailgun = provider == InboundItem.Source.MAILGUN
    checked = request
    if mailgun:
        # Mailgun is checked by its signature, with any of the configured keys
        # (two while rotating, RELIABILITY 65), and by basic auth as well when
        # a webhook secret is set. The signature fields are read out of the
        # body (not parsed as a form: that would decode the whole message).
        keys = [
            k.strip() for k in settings.ANYMAIL.get("MAILGUN_WEBHOOK_SIGNING_KEY", "").split(",")
        ]
        basic_auth = {} if settings.ANYMAIL.get("WEBHOOK_SECRET") else {"webhook_secret": []}
        views = [view_class(webhook_signing_key=k, **basic_auth) for k in keys if k]
        if not views:
            raise Http404
        signature = form_fields(
            request.body, request.META.get("CONTENT_TYPE", ""), {"token", "timestamp", "signature"}
        )
        checked = _signature_request(request, signature)
    else:
        # The others by basic auth, from the headers alone, before the body is read.
        try:
            views = [view_class()]
        except ImproperlyConfigured:
            raise Http404 from None  # this provider is not set up here
    if not any(_authentic(view, checked) for view in views):
        return HttpResponse("Not authentic", status=403, content_type="text/plain")
    body = request.body
    event_id = ""
    if mailgun:
        token = signature.get("token", b"").decode("ascii", "replace")
        try:
            stamp = float(signature.get("timestamp") or 0)
        except ValueError:
            stamp = 0.0
        if not token or not abs(time.time() - stamp) <= MAILGUN_WINDOW:  # (NaN too)
            return HttpResponse("Stale or unsigned", status=403, content_type="text/plain")
        event_id = token
    elif provider == InboundItem.Source.POSTMARK:
        event_id = _json_field(body, "MessageID")
    item, created = inbound_store(
        source=provider,
        payload=body,
        content_type=request.META.get("CONTENT_TYPE", ""),  # with its boundary
        event_id=event_id,
    )
    if not created and inbound_payload(item) != body:
        # The same token with another body: a replayed signature.
        return HttpResponseBadRequest("Replayed", content_type="text/plain")
    return HttpResponse("Stored", content_type="text/plain")


def _amazon_ses(request):
    """SES mail arrives as an SNS notification: basic auth (from the headers,
    before the body is read), then the SNS signature and topic, then stored
    under the SNS message id, which SNS keeps for its retries."""
    if not request.META.get("HTTP_AUTHORIZATION"):
        # SNS sends its credentials only after a 401 that asks for them.
        response = HttpResponse("Authentication required", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Basic realm="inbound"'
        return response
    try:
        view = AmazonSESInboundWebhookView()
    except ImproperlyConfigured:
        raise Http404 from None
    given = get_request_basic_auth(request) or ""
    if not any(constant_time_compare(given, allowed) for allowed in view.basic_auth):
        return HttpResponse("Not authentic", status=403, content_type="text/plain")
    try:
        # anymail's own check that the SNS headers match the body.
        AmazonSESBaseWebhookView.validate_request(view, request)
        message = json.loads(request.body)
        verify(message)
    except (AnymailError, ValueError, RecursionError, AttributeError):
        return HttpResponseBadRequest("Not an SNS message", content_type="text/plain")
    except SnsError as error:
        return HttpResponse(f"Not authentic: {error}", status=403, content_type="text/plain")
    kind = message["Type"]
    if kind == "SubscriptionConfirmation":
        try:
            confirm_subscription(message)
        except SnsError:
            return HttpResponse("Confirmation failed", status=502, content_type="text/plain")
        return HttpResponse("Subscribed", content_type="text/plain")
    if kind != "Notification" or message.get("Message") == SNS_TOPIC_CHECK:
        return HttpResponse("Nothing to store", content_type="text/plain")
    inbound_store(
        source=InboundItem.Source.AMAZON_SES,
        payload=request.body,
        content_type="application/json",
        event_id=str(message.get("MessageId") or "")[:200],
    )
    return HttpResponse("Stored", content_type="text/plain")


def _authentic(view, request) -> bool:
    try:
        view.run_validators(request)
    except AnymailWebhookValidationFailure:
        return False
    return True


def _signature_request(request, fields: dict[str, bytes]):
    """A request with only Mailgun's signature fields and the original
    headers (basic auth), for anymail's validators to check."""
    data = {name: value.decode("ascii", "replace") for name, value in fields.items()}
    headers = {k: v for k, v in request.META.items() if k == "HTTP_AUTHORIZATION"}
    # URL-encoded: a multipart body would cost a fifth of the webhook's time
    # to build and parse again.
    return RequestFactory().post(
        "/", urlencode(data), content_type="application/x-www-form-urlencoded", **headers
    )


def _json_field(body: bytes, name: str) -> str:
    try:
        value = json.loads(body).get(name)
    except (ValueError, AttributeError, RecursionError):
        return ""
    return str(value or "")[:255]


def message_from_webhook(provider: str, payload: bytes, content_type: str) -> RawMail:
    """The message inside a stored webhook request, as the exact bytes the ESP
    posted (Mailgun's `body-mime`, SendGrid's raw `email`, SES's content,
    Postmark's `RawEmail`), with the ESP's spam and DMARC verdicts and the
    envelope recipients it names: never a copy re-serialised by anymail, which
    changes addresses, charsets and the content hash that finds redeliveries.
    Only an ESP set up to send parsed fields instead of the raw message is
    read through anymail's parser."""
    readers = {
        InboundItem.Source.MAILGUN: _mailgun_mail,
        InboundItem.Source.SENDGRID: _sendgrid_mail,
        InboundItem.Source.POSTMARK: _postmark_mail,
        InboundItem.Source.AMAZON_SES: _ses_mail,
    }
    if provider not in readers:
        raise InboundParseError(f"Unknown webhook source {provider!r}.")
    try:
        mail = readers[provider](payload, content_type)
        return mail or _anymail_mail(provider, payload, content_type)
    except (
        AnymailError,
        LookupError,
        ValueError,
        TypeError,
        AttributeError,
        RecursionError,
        binascii.Error,
    ) as error:
        raise InboundParseError(
            f"The {provider} request could not be read ({type(error).__name__})."
        ) from None


def _mailgun_mail(payload: bytes, content_type: str) -> RawMail | None:
    if content_type.startswith("application/json"):
        raise ValueError("Mailgun posts inbound mail as a form, not JSON")
    fields = form_fields(payload, content_type, {"body-mime", "recipient"})
    raw = fields.get("body-mime")
    if raw is None:
        return None  # a route that forwards parsed fields
    return RawMail(
        raw,
        spam=_header_is(raw, "X-Mailgun-Sflag", "yes"),
        envelope_to=_addresses(fields.get("recipient", b"").decode("utf-8", "replace")),
    )


def _sendgrid_mail(payload: bytes, content_type: str) -> RawMail | None:
    fields = form_fields(payload, content_type, {"email", "envelope", "headers"})
    raw = fields.get("email")
    if raw is None or "headers" in fields:
        return None  # SendGrid's parsed fields, not "send raw"
    envelope = json.loads(fields.get("envelope") or b"{}")
    recipients = envelope.get("to") if isinstance(envelope, dict) else None
    return RawMail(raw, envelope_to=_addresses(*recipients) if isinstance(recipients, list) else [])


def _postmark_mail(payload: bytes, content_type: str) -> RawMail | None:
    event = json.loads(payload)
    raw = event.get("RawEmail")
    if not isinstance(raw, str) or not raw:
        return None
    original = event.get("OriginalRecipient")
    return RawMail(
        # JSON carries text: its UTF-8 is the closest to what Postmark received.
        raw.encode("utf-8", "surrogateescape" if _only_escapes(raw) else "replace"),
        spam=_header_is(raw.encode("utf-8", "replace"), "X-Spam-Status", "yes"),
        envelope_to=_addresses(original) if isinstance(original, str) else [],
    )


def _ses_mail(payload: bytes, content_type: str) -> RawMail:
    notification = json.loads(json.loads(payload)["Message"])
    receipt = notification.get("receipt") or {}
    action = receipt.get("action") or {}
    if action.get("type") == "SNS":
        content = notification["content"]
        if action.get("encoding") == "BASE64":
            raw = base64.b64decode(content.encode("ascii"), validate=False)
        else:
            raw = content.encode("utf-8", "replace")
    elif action.get("type") == "S3":
        # The message waits in a bucket: anymail's download, with its settings.
        try:
            view = AmazonSESInboundWebhookView()
        except ImproperlyConfigured:
            view = AmazonSESInboundWebhookView.__new__(AmazonSESInboundWebhookView)
        raw = b"".join(view.fetch_s3_chunks(action["bucketName"], action["objectKey"]))
    else:
        raise ValueError("an SES notification of another action")
    verdict = str((receipt.get("dmarcVerdict") or {}).get("status")).upper()
    spam = str((receipt.get("spamVerdict") or {}).get("status")).upper() == "FAIL"
    recipients = receipt.get("recipients")
    return RawMail(
        raw,
        spam=spam,
        dmarc={"PASS": "pass", "FAIL": "fail"}.get(verdict, ""),
        envelope_to=_addresses(*recipients) if isinstance(recipients, list) else [],
    )


def _anymail_mail(provider: str, payload: bytes, content_type: str) -> RawMail:
    """An ESP that sent parsed fields: anymail builds a message from them."""
    view_class = VIEWS[provider]
    try:
        view = view_class()
    except ImproperlyConfigured:
        view = view_class.__new__(view_class)
    if provider == InboundItem.Source.POSTMARK:
        event = json.loads(payload)
        if not event.get("ToFull"):
            # Some payloads name the recipients only as text: anymail reads ToFull alone.
            event["ToFull"] = _full(event.get("To")) or _full(event.get("OriginalRecipient"))
        message = view.esp_to_anymail_event(event).message
    else:
        request = RequestFactory().generic(
            "POST", "/", data=payload, content_type=content_type or "application/octet-stream"
        )
        message = view.parse_events(request)[0].message
    recipient = message.envelope_recipient
    return RawMail(
        message.as_bytes(),
        spam=bool(message.spam_detected),
        envelope_to=_addresses(recipient) if recipient else [],
    )


def _full(value) -> list[dict]:
    """Addresses as Postmark's *Full fields list them."""
    found = getaddresses([str(value or "")])
    return [{"Name": name, "Email": email} for name, email in found if email]


def form_fields(body: bytes, content_type: str, names: set[str]) -> dict[str, bytes]:
    """The named fields of a form request body, each as its exact bytes (the
    last of a repeated name, as Django and anymail read forms). Django decodes
    form fields as UTF-8, replacing what is not, so mail in a form field is
    read here instead."""
    kind, params = parse_header_parameters(content_type or "")
    found: dict[str, bytes] = {}
    if kind == "application/x-www-form-urlencoded":
        for pair in body.split(b"&"):
            key, _equals, value = pair.partition(b"=")
            name = unquote_to_bytes(key.replace(b"+", b" ")).decode("utf-8", "replace")
            if name in names:
                found[name] = unquote_to_bytes(value.replace(b"+", b" "))
        return found
    boundary = params.get("boundary", "")
    if kind != "multipart/form-data" or not boundary:
        return found
    delimiter = b"--" + boundary.encode("latin-1")
    position = body.find(delimiter)
    while position != -1:
        start = position + len(delimiter)
        if body[start : start + 2] == b"--":
            break  # the closing delimiter
        head_end = body.find(b"\r\n\r\n", start)
        end = body.find(b"\r\n" + delimiter, head_end + 4) if head_end != -1 else -1
        if end == -1:
            break
        match = FIELD_NAME.search(body, start, head_end)
        name = match.group(1).decode("utf-8", "replace") if match else ""
        if name in names:
            found[name] = body[head_end + 4 : end]
        position = end + 2
    return found


def _header_is(raw: bytes, name: str, value: str) -> bool:
    """Whether the header block of `raw` has `name` with `value` (an ESP's
    verdict header, which it adds on top of the message)."""
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    pattern = rb"(?im)^" + re.escape(name.encode()) + rb":[ \t]*" + re.escape(value.encode())
    return re.search(pattern, head) is not None


def _addresses(*values: str) -> list[str]:
    return [address for _name, address in getaddresses([str(v) for v in values]) if address][:20]


def _only_escapes(text: str) -> bool:
    """Whether the only lone surrogates in `text` stand for undecodable bytes."""
    try:
        text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return True

"""ESP inbound webhooks, raw-first (RELIABILITY rule 1).

anymail parses a message inside its own webhook view, so a message it cannot
parse would answer 500 and be retried forever. Our view only checks that the
request is authentic (anymail's own validators: Mailgun's signature, basic
auth), refuses replays, stores the request body and answers 200. The worker
later hands the stored body to anymail's parser (`message_from_webhook`) and
from there the mail takes the same path as IMAP and the MTA pipe.
"""

import json
import time

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
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .ingest import inbound_store
from .models import InboundItem
from .parsing import InboundParseError
from .sns import SnsError, confirm_subscription, verify

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
    if mailgun:
        # Mailgun is checked by its signature, with any of the configured keys
        # (two while rotating, RELIABILITY 65); its signature is in the form, so
        # the body is read (not parsed as mail) to check it.
        keys = [
            k.strip() for k in settings.ANYMAIL.get("MAILGUN_WEBHOOK_SIGNING_KEY", "").split(",")
        ]
        views = [view_class(webhook_secret=[], webhook_signing_key=k) for k in keys if k]
        if not views:
            raise Http404
        request.body  # noqa: B018 (caches the body before the form is parsed)
    else:
        # The others by basic auth, from the headers alone, before the body is read.
        try:
            views = [view_class()]
        except ImproperlyConfigured:
            raise Http404 from None  # this provider is not set up here
    if not any(_authentic(view, request) for view in views):
        return HttpResponse("Not authentic", status=403, content_type="text/plain")
    body = request.body
    event_id = ""
    if mailgun:
        token, stamp = _mailgun_token(request)
        if not token or abs(time.time() - stamp) > MAILGUN_WINDOW:
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
    if not created and bytes(item.payload) != body:
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


def _mailgun_token(request) -> tuple[str, float]:
    if request.content_type == "application/json":
        signature = json.loads(request.body).get("signature") or {}
    else:
        signature = request.POST
    try:
        return str(signature.get("token") or ""), float(signature.get("timestamp") or 0)
    except (TypeError, ValueError):
        return "", 0.0


def _json_field(body: bytes, name: str) -> str:
    try:
        value = json.loads(body).get(name)
    except (ValueError, AttributeError, RecursionError):
        return ""
    return str(value or "")[:255]


def message_from_webhook(
    provider: str, payload: bytes, content_type: str
) -> tuple[bytes, bool, str]:
    """The raw message inside a stored webhook request, as anymail reads it,
    whether the ESP judged it spam, and its DMARC verdict ("pass", "fail" or
    ""; Amazon SES gives one): the ESP's verdicts, not headers the sender wrote."""
    view_class = VIEWS.get(provider)
    if view_class is None:
        raise InboundParseError(f"Unknown webhook source {provider!r}.")
    # Authenticity was checked when the request came in: the parser alone is
    # needed, with its settings where it has them (SES's S3 downloads).
    try:
        view = view_class()
    except ImproperlyConfigured:
        view = view_class.__new__(view_class)
    request = RequestFactory().generic(
        "POST", "/", data=payload, content_type=content_type or "application/octet-stream"
    )
    try:
        event = view.parse_events(request)[0]
        message = event.message
        dmarc = ""
        if provider == InboundItem.Source.AMAZON_SES:
            verdict = (event.esp_event.get("receipt") or {}).get("dmarcVerdict") or {}
            dmarc = {"PASS": "pass", "FAIL": "fail"}.get(str(verdict.get("status")).upper(), "")
        return message.as_bytes(), bool(message.spam_detected), dmarc
    except (
        AnymailError,
        LookupError,
        ValueError,
        TypeError,
        AttributeError,
        RecursionError,
    ) as error:
        raise InboundParseError(
            f"The {provider} request could not be read ({type(error).__name__})."
        ) from None

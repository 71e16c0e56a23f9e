"""Facebook Messenger (S12): Page conversations become tickets, agents answer
through the Send API.

The webhook answers Meta's verify-token handshake, checks X-Hub-Signature-256
over the raw body with the app secret (two while rotating), stores the body
raw-first and answers 200. The worker reads the events: echoes of our own
replies, delivery and read receipts are skipped (RELIABILITY 28), a message
id seen before is a no-op, an event older than a day is refused (RELIABILITY
62). Attachment URLs are shown as text and never fetched by the server
(RELIABILITY 46). The Send API's base URL is a setting, so the tests run it
against a local server that checks every request.
"""

import datetime
import hashlib
import hmac
import json
import logging
import os
import re
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from conversations import services as conversation_services
from conversations.models import Channel, Message
from conversations.outbox import claim, tell_author
from helpdesk.queue import enqueue
from tickets.models import Source

from .models import InboundItem, MessengerOutbound, MessengerPage
from .parsing import InboundParseError
from .public import MAX_TEXT, unstorable
from .store import inbound_payload, inbound_store, visitor_thread

log = logging.getLogger(__name__)
CHALLENGE = re.compile(r"^[0-9A-Za-z_-]{1,100}$")
MAX_AGE = datetime.timedelta(days=1)


class MessengerPayloadError(InboundParseError):
    pass


class SendFailed(Exception):
    pass


def _secrets() -> list[str]:
    return [secret for secret in settings.MESSENGER_APP_SECRETS if secret]


@csrf_exempt
@require_http_methods(["GET", "POST"])
def messenger_webhook(request):
    if request.method == "GET":
        token = request.GET.get("hub.verify_token", "")
        challenge = request.GET.get("hub.challenge", "")
        expected = settings.MESSENGER_VERIFY_TOKEN
        if (
            expected
            and request.GET.get("hub.mode") == "subscribe"
            and hmac.compare_digest(token.encode(), expected.encode())
            and CHALLENGE.match(challenge)
        ):
            return HttpResponse(challenge, content_type="text/plain")
        return HttpResponse("Forbidden", status=403, content_type="text/plain")
    secrets = _secrets()
    if not secrets:
        raise Http404
    signature = request.headers.get("X-Hub-Signature-256", "")
    body = request.body
    if not any(
        hmac.compare_digest(
            signature.encode(),
            ("sha256=" + hmac.new(s.encode(), body, hashlib.sha256).hexdigest()).encode(),
        )
        for s in secrets
    ):
        return HttpResponse("Not authentic", status=403, content_type="text/plain")
    problem = _text_problem(body)
    if problem:
        return HttpResponseBadRequest(problem, content_type="text/plain")
    inbound_store(
        source=InboundItem.Source.MESSENGER, payload=body, content_type="application/json"
    )
    return HttpResponse("Stored", content_type="text/plain")


def _text_problem(body: bytes) -> str:
    """Why the texts of a signed event cannot be taken, or "": each message's
    text must be storable and at most MAX_TEXT characters. A body that does not
    parse is stored anyway (raw-first) and fails in the worker with its reason."""
    try:
        payload = json.loads(body)
        texts = [
            event["message"]["text"]
            for entry in payload.get("entry", [])
            for event in entry.get("messaging", [])
            if isinstance(event.get("message"), dict)
            and isinstance(event["message"].get("text"), str)
        ]
    except (ValueError, AttributeError, TypeError, RecursionError):
        return ""
    if any(unstorable(text) for text in texts):
        return "Message text has characters that cannot be stored (a lone UTF-16 surrogate)."
    if any(len(text) > MAX_TEXT for text in texts):
        return f"Message text longer than {MAX_TEXT} characters."
    return ""


class PageOff(str):
    """Why a message was not stored: its page is connected but switched off."""


def messenger_deliver(item: InboundItem) -> None:
    """The worker's part: each person's message on their open ticket."""
    try:
        payload = json.loads(inbound_payload(item))
        events = [
            (str(entry.get("id", "")), event)
            for entry in payload.get("entry", [])
            for event in entry.get("messaging", [])
        ]
    except (ValueError, AttributeError, TypeError, RecursionError):
        raise MessengerPayloadError("The stored Messenger event cannot be read.") from None
    delivered, skipped = [], []
    for page_id, event in events:
        outcome = _event(item, page_id, event)
        (delivered if isinstance(outcome, Message) else skipped).append(outcome)
    if delivered:
        item.message, item.ticket = delivered[-1], delivered[-1].ticket
        item.status = InboundItem.Status.DONE
    elif any(isinstance(reason, PageOff) for reason in skipped):
        # A customer's message, not noise: it waits to be processed again.
        item.status = InboundItem.Status.FAILED
    else:
        item.status = InboundItem.Status.IGNORED
    notes = [f"Messenger: {len(delivered)} message(s) stored", *sorted(set(skipped))]
    item.disposition = "; ".join(notes)


def _event(item: InboundItem, page_id: str, event: dict):
    """Store one messaging event; returns the message, or why it was skipped."""
    if not isinstance(event, dict) or not isinstance(event.get("message"), dict):
        return "not a message (delivery, read or other event)"
    message = event["message"]
    if message.get("is_echo"):
        return "echo of a page message"
    mid = str(message.get("mid") or "")
    sender = str((event.get("sender") or {}).get("id") or "")
    if not mid or not sender:
        return "message without id or sender"
    message_id = f"<messenger:{mid[:900]}>"
    if Message.objects.filter(message_id=message_id).exists():
        return "message already stored"
    try:
        sent = datetime.datetime.fromtimestamp(int(event.get("timestamp")) / 1000, datetime.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return "event without a valid time"
    # Old when it reached us, not when it is processed: a message kept while
    # its page was off is still delivered when processed again later.
    if item.received_at - sent > MAX_AGE:
        return "event older than a day"
    page = MessengerPage.objects.filter(page_id=page_id).first()
    if page is None:
        return f"unknown page {page_id[:30]}"
    if not page.is_active:
        return PageOff(f"page {page.name[:60]} is switched off")
    lines = [str(message.get("text") or "").replace("\x00", "")]
    for attachment in message.get("attachments") or []:
        if isinstance(attachment, dict):
            url = str((attachment.get("payload") or {}).get("url") or "")[:500]
            lines.append(f"[{str(attachment.get('type') or 'file')[:20]}] {url}".strip())
    text = "\n".join(line for line in lines if line)
    thread, new = visitor_thread(
        f"messenger:{page.page_id}:{sender}",
        channel=Channel.MESSENGER,
        source=Source.MESSENGER,
        name=(text.splitlines() or ["Messenger"])[0],
        target=page,
        item=item,
    )
    return conversation_services.message_receive(
        ticket=thread.ticket,
        thread=thread,
        channel=Channel.MESSENGER,
        contact=None,  # an agent links the person to a contact (S22)
        from_name="",  # shown as "Messenger user" in the reader's language
        from_email="",
        to=[],
        cc=[],
        subject=thread.ticket.name,
        html="",
        text=text,
        message_id=message_id,
        joined_by=Message.JoinedBy.NEW if new else Message.JoinedBy.VISITOR,
    )


@conversation_services.register_thread_reply_hook(Channel.MESSENGER)
def messenger_reply_queue(message: Message) -> None:
    """An agent's reply on a Messenger thread: queued for the Send API."""
    _prefix, page_id, recipient = message.thread.visitor_key.split(":", 2)
    page = MessengerPage.objects.filter(page_id=page_id).first()
    if page is None:  # the reply is refused in the editor, with the reason
        raise ValidationError(
            _(
                "This Messenger page is no longer connected, so the reply cannot reach the "
                "person. Connect the page again in Settings to answer here."
            )
        )
    outbound = MessengerOutbound.objects.create(message=message, page=page, recipient=recipient)
    transaction.on_commit(lambda: enqueue(MessengerOutbound.send_task, outbound.pk))


def messenger_send(outbound_id: int) -> bool:
    """Send one queued reply if it is ours to send (claimed by a conditional
    UPDATE, like the email outbox). Returns whether it was sent now."""
    if not claim(MessengerOutbound, outbound_id):
        return False
    outbound = MessengerOutbound.objects.select_related("page", "message").get(pk=outbound_id)
    token = os.environ.get(outbound.page.access_token_env, "")
    body = json.dumps(
        {
            "recipient": {"id": outbound.recipient},
            "messaging_type": "RESPONSE",
            "message": {"text": outbound.message.text[:2000]},
        }
    ).encode()
    request = urllib.request.Request(
        f"{settings.MESSENGER_API_URL.rstrip('/')}/me/messages",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    except (urllib.error.URLError, OSError, ValueError) as error:
        given_up = outbound.attempts >= 8
        MessengerOutbound.objects.filter(pk=outbound_id).update(
            status=MessengerOutbound.Status.FAILED
            if given_up
            else MessengerOutbound.Status.PENDING,
            last_error=type(error).__name__,
        )
        if given_up:
            tell_author(outbound.message)
            return False
        raise SendFailed(type(error).__name__) from None
    MessengerOutbound.objects.filter(pk=outbound_id).update(
        status=MessengerOutbound.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return True

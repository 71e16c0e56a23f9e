"""Live chat (S12): a widget any website embeds with one script tag.

The script adds a button that opens our chat page in an iframe. The page
talks to two endpoints of its own origin: send a message, and poll the
conversation every 2 seconds (polling rather than server-sent events: a held
connection per visitor would cost one web worker each on this stack).

A visitor is known by a random key the page keeps in its storage; the key is
the only way to read a conversation (RELIABILITY 60), and typing someone's
email address gives access to nothing (RELIABILITY 35): linking a visitor to a
contact stays an agent's action (S22). Messages are stored raw-first like
every channel; the worker opens the ticket with the first one.
"""

import datetime
import json
import re
import secrets

from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from conversations import services as conversation_services
from conversations.models import Channel, Message, Thread
from conversations.queries import visitor_messages
from tickets.models import Source

from .chatbot import bot_session, bot_turn
from .models import ChatBotAnswer, ChatBotSession, ChatWidget, InboundItem
from .parsing import InboundParseError
from .public import MAX_TEXT, frameable, rate_limited, unstorable
from .store import inbound_payload, inbound_store, visitor_thread

VISITOR = re.compile(r"^[0-9a-f]{32}$")
CLIENT_ID = re.compile(r"^[0-9a-zA-Z-]{8,64}$")
POLL_PAGE = 100

# Apps above this one add to the window's poll answer (a satisfaction survey
# asked inside the widget): functions (thread) -> dict merged into the
# answer; channels_inbound never imports them.
POLL_EXTENSIONS: list = []


def register_poll_extension(function):
    POLL_EXTENSIONS.append(function)
    return function


def _widget(key: str) -> ChatWidget:
    return get_object_or_404(ChatWidget, key=key, is_active=True)


@require_GET
def widget_script(request, key):
    """The loader a site includes: a button and the chat window's iframe."""
    widget = _widget(key)
    response = render(
        request,
        "channels_inbound/chat_widget.js",
        {
            "widget": widget,
            "base": f"{request.scheme}://{request.get_host()}",
            "label": _("Chat"),
        },
        content_type="text/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "public, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@xframe_options_exempt  # framing is decided per widget, in the CSP below
@require_GET
def chat_page(request, key):
    widget = _widget(key)
    context = {"widget": widget, "answers": widget.bot_answers.all()}
    response = render(request, "channels_inbound/chat_page.html", context)
    return frameable(response, widget.origins, scripts=True)


# The screens of the chat window the admin's preview steps through (issue 14),
# as (value, label, whether the chatbot must be on): each shows some of the
# texts a super admin configures.
PREVIEW_SCREENS = [
    ("welcome", _lazy("Welcome"), False),
    ("answers", _lazy("Topic answers"), True),
    ("fallback", _lazy("Not understood"), True),
    ("person", _lazy("Person asked for"), True),
    ("conversation", _lazy("Conversation"), False),
]


def preview_lines(widget: ChatWidget, answers: list[ChatBotAnswer], screen: str) -> dict:
    """What the chat window shows on `screen` after the greeting, as the
    visitor would get it from chat.js: the bubbles ({mine, name, text}),
    whether the topic buttons are still offered, whether the contact details
    are open. A chatbot screen of a widget without the chatbot shows the
    welcome screen."""
    bot = _("Chatbot")
    if not widget.bot_enabled and screen in ("answers", "fallback", "person"):
        screen = "welcome"
    lines, options, contact = [], True, False
    if screen == "answers":
        for answer in answers:
            lines += [
                {"mine": True, "text": answer.question},
                {"mine": False, "name": bot, "text": answer.answer},
            ]
    elif screen == "fallback":
        lines = [
            {"mine": True, "text": _("Can you help me with something else?")},
            {"mine": False, "name": bot, "text": widget.bot_fallback},
        ]
    elif screen == "person":
        lines = [
            {"mine": True, "text": widget.handoff_label},
            {"mine": False, "name": bot, "text": widget.handoff_reply},
        ]
        options = False  # chat.js hides the topics once a person is asked for
    elif screen == "conversation":
        lines = [
            {"mine": True, "text": _("Hello, I have a question about my order.")},
            {
                "mine": False,
                "name": _("Agent"),
                "text": _("Happy to help! What is the order number?"),
            },
        ]
        options = False  # a person has the conversation
        contact = True
    return {"screen": screen, "lines": lines, "options": options, "contact_open": contact}


def preview_page(
    request,
    widget: ChatWidget,
    answers: list[ChatBotAnswer],
    problems: list[str],
    screen: str = "welcome",
):
    """The chat window as a visitor will see it on `screen`, drawn from
    settings not yet saved (the admin's preview): without its script, so
    nothing is sent."""
    context = {
        "widget": widget,
        "answers": answers,
        "preview": True,
        "problems": problems,
        **preview_lines(widget, answers, screen),
    }
    return render(request, "channels_inbound/chat_page.html", context)


@csrf_exempt  # no session: the visitor key in the body is the credential
@require_http_methods(["GET", "POST"])
def chat_messages(request, key):
    widget = _widget(key)
    own = f"{request.scheme}://{request.get_host()}"
    if request.headers.get("Origin", own) != own:
        return JsonResponse({"error": _("Not allowed.")}, status=403)
    if request.method == "GET":
        return _poll(widget, request)
    return _send(widget, request)


def _poll(widget: ChatWidget, request) -> JsonResponse:
    """The visitor's conversation after message `after`: their messages and the
    agents' replies, never internal comments."""
    visitor = request.GET.get("visitor", "")
    after = request.GET.get("after", "0")
    if not VISITOR.match(visitor) or not after.isdigit():
        return JsonResponse({"messages": []})
    thread = (
        Thread.objects.filter(visitor_key=f"{widget.key}:{visitor}")
        .select_related("ticket")
        .order_by("-id")
        .first()
    )
    answer = {"messages": []}
    if thread is not None:
        messages = visitor_messages(thread, int(after), POLL_PAGE)
        answer["messages"] = [
            {
                "id": m.pk,
                "mine": m.is_inbound,
                "name": (
                    (m.author.first_name or m.author.display_name)
                    if m.author
                    else (_("Chatbot") if m.is_bot else "")
                ),
                "text": m.text,
                "at": m.created_at.isoformat(),
            }
            for m in messages
        ]
        for extension in POLL_EXTENSIONS:
            answer |= extension(thread)
    if widget.bot_enabled and after == "0" and (thread is None or not thread.ticket.is_open):
        # A reloaded window shows the bot conversation that has no ticket yet.
        session = ChatBotSession.objects.filter(
            widget=widget, visitor=visitor, handoff__isnull=True
        ).first()
        answer["bot"] = [
            {"mine": line["who"] == "visitor", "text": line["text"]}
            for line in (session.transcript if session else [])
        ]
    return JsonResponse(answer)


def _send(widget: ChatWidget, request) -> JsonResponse:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):
        return JsonResponse({"error": _("The message could not be read.")}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"error": _("The message could not be read.")}, status=400)
    text = str(data.get("text") or "").replace("\x00", "").strip()
    if not text:
        return JsonResponse({"error": _("Write a message first.")}, status=400)
    if len(text) > MAX_TEXT:
        return JsonResponse(
            {"error": _("Messages can be at most %(count)d characters.") % {"count": MAX_TEXT}},
            status=400,
        )
    if rate_limited(request, "chat"):
        return JsonResponse({"error": _("Too many messages. Please wait a moment.")}, status=429)
    visitor = str(data.get("visitor") or "")
    if not VISITOR.match(visitor):
        visitor = secrets.token_hex(16)  # 128 bits: a new visitor
    client_id = str(data.get("id") or "")
    contact = {
        "name": str(data.get("name") or "").replace("\x00", "")[:100],
        "email": str(data.get("email") or "").replace("\x00", "")[:254],
    }
    if unstorable(text, *contact.values(), str(data.get("option") or "")):
        return JsonResponse(
            {"error": _("The message contains characters that cannot be stored.")}, status=400
        )
    session = bot_session(widget, visitor)
    if session is not None:
        return JsonResponse(bot_turn(session, text, str(data.get("option") or "")[:20], contact))
    payload = {"widget": widget.pk, "visitor": visitor, "text": text, **contact}
    inbound_store(
        source=InboundItem.Source.CHAT,
        payload=json.dumps(payload).encode(),
        content_type="application/json",
        # The page's id for this message: a resend after a network error is one message.
        event_id=f"{visitor}:{client_id}" if CLIENT_ID.match(client_id) else "",
    )
    return JsonResponse({"visitor": visitor})


class ChatPayloadError(InboundParseError):
    pass


def chat_deliver(item: InboundItem) -> None:
    """The worker's part: the message on the visitor's thread, opening a ticket
    with the first one (or when the last ticket was closed)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        payload = json.loads(inbound_payload(item))
        widget = ChatWidget.objects.select_related("pipeline", "stage").get(pk=payload["widget"])
        visitor, text = payload["visitor"], payload["text"]
    except (ValueError, KeyError, TypeError, ChatWidget.DoesNotExist):
        raise ChatPayloadError("The stored chat message cannot be read.") from None
    email = payload.get("email", "")
    try:
        validate_email(email)
    except ValidationError:
        email = ""
    name = payload.get("name") or ""  # shown as "Visitor" in the reader's language
    lines = _transcript(payload.get("transcript")) or [("visitor", text, None)]
    text = next(line_text for who, line_text, _at in lines if who == "visitor")
    thread, new = visitor_thread(
        f"{widget.key}:{visitor}",
        channel=Channel.CHAT,
        source=Source.CHAT,
        name=text.splitlines()[0],
        target=widget,
        item=item,
    )
    ticket = thread.ticket
    state = "new ticket" if new else "visitor's open ticket"
    if len(lines) > 1:
        state += f", with {len(lines)} lines of the chatbot conversation"
    message = None
    stored = []
    for who, line_text, _at in lines:
        if who == "bot":
            stored.append(conversation_services.bot_message_add(thread=thread, text=line_text))
        else:
            message = conversation_services.message_receive(
                ticket=ticket,
                thread=thread,
                channel=Channel.CHAT,
                contact=None,  # an agent links the visitor to a contact (S22)
                from_name=name,
                from_email=email,
                to=[],
                cc=[],
                subject=ticket.name,
                html="",
                text=line_text,
                joined_by=(
                    Message.JoinedBy.NEW if new and message is None else Message.JoinedBy.VISITOR
                ),
            )
            stored.append(message)
    times = [at for _who, _text, at in lines]
    if len(stored) > 1 and all(times) and times == sorted(times):
        # The bot conversation keeps the times it happened at (when they make sense).
        for stored_message, at in zip(stored, times, strict=True):
            stored_message.created_at = at
        Message.objects.bulk_update(stored, ["created_at"])
    item.ticket, item.message = ticket, message
    item.status = InboundItem.Status.DONE
    item.disposition = f"chat “{widget.name}”: {state}"


def _transcript(lines) -> list[tuple[str, str, datetime.datetime | None]]:
    """The bot conversation stored with a request for a person, as (who,
    text, when); whatever is malformed in it is left out."""
    result = []
    for line in lines if isinstance(lines, list) else []:
        if not isinstance(line, dict) or line.get("who") not in ("visitor", "bot"):
            continue
        text = str(line.get("text") or "").replace("\x00", "").strip()[:MAX_TEXT]
        if text:
            result.append((line["who"], text, parse_datetime(str(line.get("at") or ""))))
    return result if any(who == "visitor" for who, _text, _at in result) else []

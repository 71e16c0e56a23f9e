"""The chat widget's rule-based bot (S12): it answers from the widget's
answers, and no ticket exists until the visitor asks for a person.

The bot's side of the conversation lives in `ChatBotSession`, one per visitor,
written in the request. Asking for a person (the button, or a message with one
of the widget's words for it) stores the whole conversation in the inbound log
like any chat message; the worker turns it into the ticket's first messages,
so the agent reads what the visitor already tried.
"""

import datetime
import json
import re

from django.utils import timezone

from conversations.models import Thread

from .models import ChatBotSession, ChatWidget, InboundItem, keyword_list
from .store import inbound_store

TRANSCRIPT_LIMIT = 40
PERSON = "person"  # the option id of the "talk to a person" button
# Sessions that never asked for a person are forgotten after this.
SESSION_DAYS = 30


def bot_session(widget: ChatWidget, visitor: str) -> ChatBotSession | None:
    """The visitor's conversation with the bot when the bot is the one to
    answer; None when a person is answering, or is about to."""
    if not widget.bot_enabled:
        return None
    if Thread.objects.filter(visitor_key=f"{widget.key}:{visitor}", ticket__is_open=True).exists():
        return None
    # get_or_create also copes with the visitor's other tab creating it first.
    session, _created = ChatBotSession.objects.select_related("handoff").get_or_create(
        widget=widget, visitor=visitor
    )
    if session.handoff_id is not None:
        if session.handoff.status != InboundItem.Status.DONE:
            return None  # the ticket is on its way: the message joins it
        # That ticket is closed now: a returning visitor starts with the bot again.
        session.handoff, session.transcript = None, []
    return session


def bot_answer(widget: ChatWidget, text: str, option: str = "") -> tuple[str, bool]:
    """The bot's answer to the visitor's `text` (or chosen `option`) and
    whether they asked for a person."""
    answers = list(widget.bot_answers.all())
    if option == PERSON:
        return widget.handoff_reply, True
    chosen = next((a for a in answers if str(a.pk) == option), None)
    if chosen is None and _mentions(text, keyword_list(widget.handoff_keywords)):
        return widget.handoff_reply, True
    if chosen is None:
        chosen = next((a for a in answers if _mentions(text, keyword_list(a.keywords))), None)
    return (chosen.answer, False) if chosen else (widget.bot_fallback, False)


def _mentions(text: str, words: list[str]) -> bool:
    """Whether `text` contains one of `words`: as a whole word for languages
    written with spaces, anywhere for those without (Chinese, and Korean
    words that take particles)."""
    text = text.lower()
    for word in words:
        if word.isascii():
            if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text):
                return True
        elif word in text:
            return True
    return False


def bot_turn(session: ChatBotSession, text: str, option: str, contact: dict) -> dict:
    """Answer one visitor message; on a request for a person, hand the
    conversation to the inbound log. Returns what the chat window shows."""
    widget = session.widget
    reply, person = bot_answer(widget, text, option)
    now = timezone.now().isoformat()
    session.transcript = [
        *session.transcript,
        {"who": "visitor", "text": text, "at": now},
        {"who": "bot", "text": reply, "at": now},
    ][-TRANSCRIPT_LIMIT:]
    session.name = contact.get("name") or session.name
    session.email = contact.get("email") or session.email
    if person:
        payload = {
            "widget": widget.pk,
            "visitor": session.visitor,
            "text": text,
            "name": session.name,
            "email": session.email,
            "transcript": session.transcript,
        }
        session.handoff, _created = inbound_store(
            source=InboundItem.Source.CHAT,
            payload=json.dumps(payload).encode(),
            content_type="application/json",
        )
    session.save()
    return {"visitor": session.visitor, "bot": [reply], "person": person}


def purge_sessions() -> int:
    """Forget bot conversations that never asked for a person."""
    cutoff = timezone.now() - datetime.timedelta(days=SESSION_DAYS)
    deleted, _by_model = ChatBotSession.objects.filter(
        handoff__isnull=True, updated_at__lt=cutoff
    ).delete()
    return deleted

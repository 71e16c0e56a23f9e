"""The chat widget's rule-based bot (S12): it answers without making tickets,
and asking for a person turns the whole conversation into a ticket."""

import datetime
import json

import pytest
from django.utils import timezone

from channels_inbound.chatbot import bot_answer, purge_sessions
from channels_inbound.models import ChatBotAnswer, ChatBotSession, ChatWidget, InboundItem
from conversations import services
from conversations.models import Message
from tickets.models import Ticket


@pytest.fixture
def widget(db, pipeline):
    widget = ChatWidget.objects.create(
        name="Acme help",
        pipeline=pipeline,
        stage=pipeline.stages.first(),
        bot_enabled=True,
        handoff_keywords="person, human, 상담원, 真人",
    )
    ChatBotAnswer.objects.create(
        widget=widget,
        question="Delivery times",
        keywords="delivery, shipping, 배송",
        answer="Orders arrive in 2-3 working days.",
    )
    ChatBotAnswer.objects.create(
        widget=widget, question="Opening hours", keywords="open", answer="We are open 9-17."
    )
    return widget


def send(client, widget, capture, text, visitor=None, **extra):
    body = json.dumps({"text": text, "visitor": visitor, **extra})
    with capture(execute=True):
        response = client.post(
            f"/chat/{widget.key}/messages/", body, content_type="application/json"
        )
    assert response.status_code == 200, response.content
    return response.json()


def test_the_bot_answers_by_button_and_by_words_and_no_ticket_is_made(
    client, widget, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    hours = widget.bot_answers.get(question="Opening hours")
    first = send(client, widget, capture, "Opening hours", option=str(hours.pk))
    assert first["bot"] == ["We are open 9-17."] and not first["person"]
    visitor = first["visitor"]
    assert send(client, widget, capture, "How long does shipping take?", visitor)["bot"] == [
        "Orders arrive in 2-3 working days."
    ]
    # Words match whole words: "opener" is not "open".
    assert send(client, widget, capture, "My can opener broke", visitor)["bot"] == [
        widget.bot_fallback
    ]
    assert not Ticket.objects.exists() and not InboundItem.objects.exists()
    session = ChatBotSession.objects.get(visitor=visitor)
    assert len(session.transcript) == 6
    # A reloaded window gets the conversation back.
    polled = client.get(f"/chat/{widget.key}/messages/", {"visitor": visitor, "after": 0}).json()
    assert polled["messages"] == [] and len(polled["bot"]) == 6
    assert polled["bot"][0] == {"mine": True, "text": "Opening hours"}


def test_asking_for_a_person_makes_a_ticket_with_the_whole_conversation(
    client, widget, agent, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    visitor = send(client, widget, capture, "When is the delivery?", name="Lee")["visitor"]
    handoff = send(client, widget, capture, "Talk to a person", visitor, option="person")
    assert handoff["person"] and handoff["bot"] == [widget.handoff_reply]
    ticket = Ticket.objects.get()
    assert (ticket.name, ticket.source) == ("When is the delivery?", "chat")
    messages = list(ticket.messages.order_by("created_at", "id"))
    assert [(m.kind, m.direction, m.text) for m in messages] == [
        ("message", "inbound", "When is the delivery?"),
        ("bot", "outbound", "Orders arrive in 2-3 working days."),
        ("message", "inbound", "Talk to a person"),
        ("bot", "outbound", widget.handoff_reply),
    ]
    assert messages[0].from_name == "Lee" and messages[1].sender_display == "Chatbot"
    # The messages keep the times of the bot conversation.
    session = ChatBotSession.objects.get(visitor=visitor)
    assert messages[0].created_at.isoformat() == session.transcript[0]["at"]
    # The bot never counts as an agent's answer, and replies go to the visitor.
    assert services.latest_message(ticket).pk == messages[2].pk
    # From now on the visitor talks to people: messages join the ticket.
    assert "bot" not in send(client, widget, capture, "I am still here", visitor)
    assert ticket.messages.count() == 5 and Ticket.objects.count() == 1
    with capture(execute=True):
        services.reply_send(actor=agent, ticket=ticket, html="<p>Hi Lee!</p>", to=[])
    seen = client.get(f"/chat/{widget.key}/messages/", {"visitor": visitor, "after": 0}).json()
    assert [(m["mine"], m["name"], m["text"]) for m in seen["messages"]][1:2] == [
        (False, "Chatbot", "Orders arrive in 2-3 working days.")
    ]
    assert seen["messages"][-1]["text"] == "Hi Lee!" and "bot" not in seen


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("Can I talk to a human please", True),
        ("상담원 연결해 주세요", True),
        ("我要找真人客服", True),
        ("humanitarian aid", False),
        ("배송은 언제 되나요?", False),  # matches the delivery answer
    ],
)
def test_words_that_ask_for_a_person(widget, text, person):
    assert bot_answer(widget, text)[1] is person


def test_a_returning_visitor_after_a_closed_ticket_meets_the_bot_again(
    client, widget, pipeline, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    visitor = send(client, widget, capture, "human")["visitor"]
    ticket = Ticket.objects.get()
    closed = pipeline.stages.get(is_closed=True)
    Ticket.objects.filter(pk=ticket.pk).update(stage=closed, is_open=False)
    again = send(client, widget, capture, "Are you open on Sunday?", visitor)
    assert again["bot"] == ["We are open 9-17."]
    assert Ticket.objects.count() == 1
    assert ChatBotSession.objects.get(visitor=visitor).transcript[0]["text"] == (
        "Are you open on Sunday?"
    )


def test_without_the_bot_the_first_message_opens_a_ticket(
    client, widget, django_capture_on_commit_callbacks
):
    ChatWidget.objects.filter(pk=widget.pk).update(bot_enabled=False)
    widget.refresh_from_db()
    answer = send(client, widget, django_capture_on_commit_callbacks, "Delivery times?")
    assert "bot" not in answer and Ticket.objects.count() == 1


def test_a_damaged_transcript_still_makes_a_ticket_from_what_can_be_read(
    widget, django_capture_on_commit_callbacks
):
    from channels_inbound.ingest import inbound_process
    from channels_inbound.store import inbound_store

    payload = {
        "widget": widget.pk,
        "visitor": "a" * 32,
        "text": "Talk to a person",
        "transcript": [
            {"who": "visitor", "text": "Hi\x00 there", "at": "yesterday"},
            {"who": "mallory", "text": "<script>"},
            "nonsense",
            {"who": "bot", "text": "Hello!", "at": "2026-11-21T10:00:00+00:00"},
        ],
    }
    item, _new = inbound_store(source="chat", payload=json.dumps(payload).encode())
    assert inbound_process(item.pk) == "done"
    ticket = Ticket.objects.get()
    assert list(ticket.messages.values_list("kind", "text")) == [
        ("message", "Hi there"),
        ("bot", "Hello!"),
    ]
    # One time unreadable: the order of arrival is kept rather than half the times.
    assert Message.objects.get(kind="bot").created_at > timezone.now() - datetime.timedelta(
        minutes=1
    )


def test_old_bot_conversations_that_never_asked_for_a_person_are_purged(widget):
    old = ChatBotSession.objects.create(widget=widget, visitor="b" * 32)
    ChatBotSession.objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=31)
    )
    recent = ChatBotSession.objects.create(widget=widget, visitor="c" * 32)
    assert purge_sessions() == 1
    assert list(ChatBotSession.objects.all()) == [recent]

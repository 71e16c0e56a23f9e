"""Live chat: a visitor's messages open a ticket, agents answer into the chat
window, and one visitor never reads another's conversation (issue 4,
RELIABILITY 35 and 60)."""

import json

import pytest

from channels_inbound.models import ChatWidget, InboundItem
from conversations import services
from conversations.models import Message
from tickets.models import Ticket


@pytest.fixture
def widget(db, pipeline):
    return ChatWidget.objects.create(
        name="Acme help",
        pipeline=pipeline,
        stage=pipeline.stages.first(),
        allowed_origins="https://shop.example",
    )


def send(client, widget, capture, text, visitor=None, **extra):
    body = json.dumps({"text": text, "visitor": visitor, **extra})
    with capture(execute=True):
        return client.post(f"/chat/{widget.key}/messages/", body, content_type="application/json")


def poll(client, widget, visitor, after=0):
    response = client.get(f"/chat/{widget.key}/messages/", {"visitor": visitor, "after": after})
    return response.json()["messages"]


def test_a_visitors_first_message_opens_a_ticket_and_the_next_join_it(
    client, widget, django_capture_on_commit_callbacks
):
    first = send(
        client,
        widget,
        django_capture_on_commit_callbacks,
        "Where is my parcel?",
        name="Lee",
        email="lee@shop.example",
    )
    visitor = first.json()["visitor"]
    assert len(visitor) == 32
    send(client, widget, django_capture_on_commit_callbacks, "Order 5512", visitor=visitor)
    ticket = Ticket.objects.get()
    assert (ticket.name, ticket.source, ticket.stage) == (
        "Where is my parcel?",
        "chat",
        widget.stage,
    )
    messages = list(ticket.messages.order_by("id"))
    assert [m.text for m in messages] == ["Where is my parcel?", "Order 5512"]
    assert messages[0].contact is None and messages[0].from_email == "lee@shop.example"
    assert not ticket.contacts.exists()  # typing an email links nothing (RELIABILITY 35)
    assert [m["text"] for m in poll(client, widget, visitor)] == [
        "Where is my parcel?",
        "Order 5512",
    ]


def test_an_agent_reply_reaches_the_window_and_no_email_is_sent(
    client, widget, agent, django_capture_on_commit_callbacks, mailoutbox
):
    visitor = send(client, widget, django_capture_on_commit_callbacks, "Hello?").json()["visitor"]
    ticket = Ticket.objects.get()
    services.comment_add(actor=agent, ticket=ticket, html="<p>Internal note</p>")
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_send(
            actor=agent, ticket=ticket, html="<p>Hi, happy to help!</p>", to=[]
        )
    assert reply.thread.channel == "chat" and not hasattr(reply, "outbound")
    assert mailoutbox == []
    seen = poll(client, widget, visitor)
    assert [(m["mine"], m["text"]) for m in seen] == [
        (True, "Hello?"),
        (False, "Hi, happy to help!"),
    ]
    assert seen[1]["name"] == agent.first_name
    assert poll(client, widget, visitor, after=seen[-1]["id"]) == []


def test_the_agent_composer_for_a_chat_asks_for_no_addresses(
    client, widget, agent, django_capture_on_commit_callbacks
):
    send(client, widget, django_capture_on_commit_callbacks, "Hello?")
    client.force_login(agent)
    page = client.get(f"/views/all-open/tickets/{Ticket.objects.get().pk}/").content.decode()
    assert "appears in the visitor's chat window" in page
    assert 'name="to"' not in page


def test_visitors_only_read_their_own_conversation(
    client, widget, django_capture_on_commit_callbacks
):
    """RELIABILITY 60: another visitor's key, a tampered key, another widget."""
    alice = send(client, widget, django_capture_on_commit_callbacks, "Alice's secret").json()[
        "visitor"
    ]
    bob = send(client, widget, django_capture_on_commit_callbacks, "Bob here").json()["visitor"]
    assert [m["text"] for m in poll(client, widget, bob)] == ["Bob here"]
    assert poll(client, widget, alice[:-1] + ("0" if alice[-1] != "0" else "1")) == []
    assert poll(client, widget, "../" + alice) == []
    other = ChatWidget.objects.create(name="Other", pipeline=widget.pipeline, stage=widget.stage)
    assert poll(client, other, alice) == []
    # The key is the credential: 128 random bits that only the visitor's page holds.
    assert Ticket.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"[1, 2]", 400),
        (json.dumps({"text": "   "}).encode(), 400),
        (json.dumps({"text": "x" * 5001}).encode(), 400),
        (b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400),
    ],
)
def test_bad_chat_input_gets_a_clear_400(client, widget, body, status):
    response = client.post(f"/chat/{widget.key}/messages/", body, content_type="application/json")
    assert response.status_code == status and response.json()["error"]
    assert not InboundItem.objects.exists()


def test_a_resent_message_is_stored_once_and_floods_are_throttled(
    client, widget, settings, django_capture_on_commit_callbacks
):
    settings.HELPDESK_CHAT_RATE = 3
    visitor = send(
        client, widget, django_capture_on_commit_callbacks, "Hi", id="client-message-1"
    ).json()["visitor"]
    send(
        client,
        widget,
        django_capture_on_commit_callbacks,
        "Hi",
        visitor=visitor,
        id="client-message-1",
    )
    assert Message.objects.count() == 1
    send(client, widget, django_capture_on_commit_callbacks, "Two", visitor=visitor)
    flood = send(client, widget, django_capture_on_commit_callbacks, "Three", visitor=visitor)
    assert flood.status_code == 429


def test_the_widget_script_and_the_window_can_be_embedded_only_where_allowed(client, widget):
    script = client.get(f"/chat/{widget.key}/widget.js")
    assert script["Content-Type"].startswith("text/javascript")
    assert f"/chat/{widget.key}/" in script.content.decode()
    page = client.get(f"/chat/{widget.key}/")
    assert "frame-ancestors 'self' https://shop.example" in page["Content-Security-Policy"]
    assert "X-Frame-Options" not in page
    cross = client.post(
        f"/chat/{widget.key}/messages/",
        b'{"text": "x"}',
        content_type="application/json",
        HTTP_ORIGIN="https://evil.example",
    )
    assert cross.status_code == 403
    ChatWidget.objects.filter(pk=widget.pk).update(is_active=False)
    assert client.get(f"/chat/{widget.key}/").status_code == 404


def test_a_nameless_visitor_is_called_visitor_in_the_agents_language(
    client, widget, agent, django_capture_on_commit_callbacks
):
    from django.utils import translation

    send(client, widget, django_capture_on_commit_callbacks, "Hello?")
    message = Ticket.objects.get().messages.get()
    assert message.from_name == ""  # nothing stored in any language
    with translation.override("de"):
        assert message.sender_display == "Besucher"


@pytest.mark.parametrize(
    "extra",
    [{"text": "Hello \ud800 there"}, {"text": "Hi", "name": "Ana \udfff"}],
)
def test_text_that_cannot_be_stored_is_refused_at_the_door_with_the_reason(
    client, widget, django_capture_on_commit_callbacks, extra
):
    """A lone surrogate was accepted with 200, then crashed the worker."""
    body = json.dumps({"visitor": "a" * 32, **extra})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/chat/{widget.key}/messages/", body, content_type="application/json"
        )
    assert response.status_code == 400
    assert "characters" in response.json()["error"]
    assert not InboundItem.objects.exists()

"""Facebook Messenger: handshake, signatures, echoes and duplicates, and
replies through the Send API, against a local server that checks each
request (issue 4, RELIABILITY 28, 61, 62, 66)."""

import datetime
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine

from channels_inbound.models import InboundItem, MessengerOutbound, MessengerPage
from conversations import services
from tickets.models import Ticket

SECRET = "app-secret"


@pytest.fixture
def page(db, pipeline, settings, monkeypatch):
    settings.MESSENGER_APP_SECRETS = [SECRET]
    settings.MESSENGER_VERIFY_TOKEN = "verify-me"
    monkeypatch.setenv("ACME_PAGE_TOKEN", "page-token")
    return MessengerPage.objects.create(
        page_id="1001",
        name="Acme",
        pipeline=pipeline,
        stage=pipeline.stages.first(),
        access_token_env="ACME_PAGE_TOKEN",
    )


def event(text="Hello from Messenger", mid="m-1", sender="psid-7", page="1001", echo=False, age=0):
    message = {"mid": mid, "text": text}
    if echo:
        message["is_echo"] = True
    return {
        "object": "page",
        "entry": [
            {
                "id": page,
                "time": int(time.time() * 1000),
                "messaging": [
                    {
                        "sender": {"id": sender},
                        "recipient": {"id": page},
                        "timestamp": int((time.time() - age) * 1000),
                        "message": message,
                    }
                ],
            }
        ],
    }


def post(client, capture, payload, secret=SECRET):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    with capture(execute=True):
        return client.post(
            "/inbound/messenger/",
            body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=signature,
        )


def test_the_verify_handshake_answers_only_the_right_token_with_plain_text(client, page):
    ok = client.get(
        "/inbound/messenger/",
        {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "12345"},
    )
    assert (ok.status_code, ok.content, ok["Content-Type"]) == (200, b"12345", "text/plain")
    wrong = client.get(
        "/inbound/messenger/",
        {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
    )
    assert wrong.status_code == 403
    html = client.get(
        "/inbound/messenger/",
        {
            "hub.mode": "subscribe",
            "hub.verify_token": "verify-me",
            "hub.challenge": "<script>alert(1)</script>",
        },
    )
    assert html.status_code == 403 and html["Content-Type"] == "text/plain"


def test_messages_open_a_ticket_per_person_and_continue_it(
    client, page, django_capture_on_commit_callbacks
):
    assert post(client, django_capture_on_commit_callbacks, event()).status_code == 200
    post(client, django_capture_on_commit_callbacks, event("Second", mid="m-2"))
    post(
        client,
        django_capture_on_commit_callbacks,
        event("Someone else", mid="m-3", sender="psid-8"),
    )
    assert Ticket.objects.count() == 2
    ticket = Ticket.objects.get(name="Hello from Messenger")
    assert ticket.source == "messenger"
    assert list(ticket.messages.values_list("text", flat=True)) == [
        "Hello from Messenger",
        "Second",
    ]
    assert list(ticket.messages.values_list("joined_by", flat=True)) == ["new", "visitor"]


def test_bad_signatures_echoes_duplicates_and_old_events_store_no_messages(
    client, page, django_capture_on_commit_callbacks
):
    assert (
        post(client, django_capture_on_commit_callbacks, event(), secret="wrong").status_code == 403
    )
    assert not InboundItem.objects.exists()
    post(client, django_capture_on_commit_callbacks, event(mid="echo", echo=True))
    post(client, django_capture_on_commit_callbacks, event(mid="old", age=3 * 86400))
    post(client, django_capture_on_commit_callbacks, event(mid="dup"))
    payload = event(mid="dup")
    payload["entry"][0]["time"] += 1  # a retry: other bytes, same message id
    post(client, django_capture_on_commit_callbacks, payload)
    dispositions = list(InboundItem.objects.order_by("id").values_list("status", "disposition"))
    assert dispositions[0][0] == "ignored" and "echo" in dispositions[0][1]
    assert dispositions[1][0] == "ignored" and "older than a day" in dispositions[1][1]
    assert dispositions[2][0] == "done"
    assert dispositions[3][0] == "ignored" and "already stored" in dispositions[3][1]
    assert Ticket.objects.get().messages.count() == 1


def test_a_message_to_a_page_switched_off_waits_and_is_delivered_when_processed_again(
    client, page, super_admin, django_capture_on_commit_callbacks
):
    MessengerPage.objects.filter(pk=page.pk).update(is_active=False)
    post(client, django_capture_on_commit_callbacks, event("Is anyone there?"))
    item = InboundItem.objects.get()
    assert item.status == "failed" and "page Acme is switched off" in item.disposition
    assert not Ticket.objects.exists()
    # Two days later the page is back on: processed again, the message lands.
    MessengerPage.objects.filter(pk=page.pk).update(is_active=True)
    client.force_login(super_admin)
    later = time_machine.travel(datetime.timedelta(days=2))
    with later, django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/channels_inbound/inbounditem/",
            {"action": "process_again", "_selected_action": [item.pk]},
        )
    item.refresh_from_db()
    assert item.status == "done"
    assert Ticket.objects.get().messages.get().text == "Is anyone there?"


class SendApi(BaseHTTPRequestHandler):
    """Stands in for the Graph API: records each request and checks its shape."""

    received: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        SendApi.received.append((self.path, self.headers["Authorization"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"recipient_id": "psid-7", "message_id": "m-out"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def send_api(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), SendApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    SendApi.received = []
    settings.MESSENGER_API_URL = f"http://127.0.0.1:{server.server_port}/v21.0"
    yield SendApi.received
    server.shutdown()


def test_an_agent_reply_goes_out_through_the_send_api_once(
    client, page, agent, send_api, django_capture_on_commit_callbacks, mailoutbox
):
    from channels_inbound.messenger import messenger_send

    post(client, django_capture_on_commit_callbacks, event())
    ticket = Ticket.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_send(
            actor=agent, ticket=ticket, html="<p>Hi! How can we help?</p>", to=[]
        )
    assert send_api == [
        (
            "/v21.0/me/messages",
            "Bearer page-token",
            {
                "recipient": {"id": "psid-7"},
                "messaging_type": "RESPONSE",
                "message": {"text": "Hi! How can we help?"},
            },
        )
    ]
    outbound = MessengerOutbound.objects.get(message=reply)
    assert outbound.status == "sent" and mailoutbox == []
    assert messenger_send(outbound.pk) is False  # a redelivered task sends nothing
    assert len(send_api) == 1


def test_the_composer_says_the_reply_goes_to_messenger(
    client, page, agent, django_capture_on_commit_callbacks
):
    post(client, django_capture_on_commit_callbacks, event())
    client.force_login(agent)
    html = client.get(f"/views/all-open/tickets/{Ticket.objects.get().pk}/").content.decode()
    assert "Your reply is sent in Messenger." in html and 'name="to"' not in html


def test_a_reply_messenger_refuses_shows_not_sent_and_can_be_sent_again(
    client, page, agent, send_api, settings, django_capture_on_commit_callbacks, htmx
):
    """RELIABILITY 17 for Messenger: the agent sees the failure and resends."""
    from channels_inbound.messenger import SendFailed, messenger_send

    post(client, django_capture_on_commit_callbacks, event())
    ticket = Ticket.objects.get()
    working_api = settings.MESSENGER_API_URL
    settings.MESSENGER_API_URL = "http://127.0.0.1:9/v21.0"  # nothing listens there
    with django_capture_on_commit_callbacks(execute=False):
        reply = services.reply_send(actor=agent, ticket=ticket, html="<p>Hello</p>", to=[])
    outbound = MessengerOutbound.objects.get(message=reply)
    MessengerOutbound.objects.filter(pk=outbound.pk).update(attempts=6)
    with pytest.raises(SendFailed):
        messenger_send(outbound.pk)
    assert messenger_send(outbound.pk) is False  # the 8th try gives up
    outbound.refresh_from_db()
    assert outbound.status == "failed"
    client.force_login(agent)
    html = client.get(f"/views/all-open/tickets/{ticket.pk}/").content.decode()
    assert "Not sent" in html and "Send again" in html
    settings.MESSENGER_API_URL = working_api
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(f"/messages/{reply.pk}/resend/", headers=htmx())
    assert again.status_code == 200
    outbound.refresh_from_db()
    assert outbound.status == "sent" and len(send_api) == 1


def test_a_reply_to_a_page_no_longer_connected_says_so_in_the_editor(
    client, page, agent, django_capture_on_commit_callbacks
):
    """Issue 14: it failed with a server error htmx does not show."""
    post(client, django_capture_on_commit_callbacks, event())
    ticket = Ticket.objects.get()
    MessengerPage.objects.filter(pk=page.pk).delete()
    client.force_login(agent)
    response = client.post(
        f"/tickets/{ticket.pk}/reply/",
        {"html": "<p>Still there?</p>"},
        headers={"HX-Request": "true", "HX-Target": "composer-reply"},
    )
    assert response.status_code == 200 and response["HX-Retarget"] == "#composer-reply"
    page_html = response.content.decode()
    assert "no longer connected" in page_html and "Still there?" in page_html
    assert not ticket.messages.filter(direction="outbound").exists()


@pytest.mark.parametrize(
    ("text", "reason"),
    [("Hello \ud800 there", b"cannot be stored"), ("x" * 2_000_000, b"longer than")],
)
def test_messenger_text_that_cannot_be_stored_or_is_too_long_is_refused_with_the_reason(
    client, page, django_capture_on_commit_callbacks, text, reason
):
    response = post(client, django_capture_on_commit_callbacks, event(text=text))
    assert response.status_code == 400 and reason in response.content
    assert not InboundItem.objects.exists()

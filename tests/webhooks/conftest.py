"""A real HTTP receiver on 127.0.0.1 (a threaded http.server) that records
what it is sent and answers what the test tells it to, and the settings that
let the tests post to it (private addresses are refused otherwise)."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.factories import ContactFactory, TicketFactory
from webhooks import events
from webhooks.models import EventType, Subscription


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    # Answers to give, in order ((status, body, delay seconds)); then 200.
    answers: list[tuple[int, bytes, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, status: int, body: bytes = b"", delay: float = 0.0, times: int = 1):
        self.answers += [(status, body, delay)] * times

    def events(self) -> list[str]:
        import json

        return [json.loads(r.body)["type"] for r in self.received]


@pytest.fixture
def receiver():
    state: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            hub = state["receiver"]
            with hub.lock:
                hub.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status, text, delay = hub.answers.pop(0) if hub.answers else (200, b"ok", 0)
            if delay:
                time.sleep(delay)
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", hub.url + "elsewhere")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    hub = Receiver(f"http://127.0.0.1:{server.server_port}/hooks/")
    state["receiver"] = hub
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hub
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _allow_local(settings):
    """The tests' receiver is on loopback: allowed here, refused in production."""
    settings.HELPDESK_WEBHOOKS_ALLOW_PRIVATE = True
    settings.HELPDESK_WEBHOOK_CONNECT_TIMEOUT = 2
    settings.HELPDESK_WEBHOOK_READ_TIMEOUT = 2
    events._subscriptions_changed(None)
    yield
    events._subscriptions_changed(None)


@pytest.fixture
def subscription(db, receiver, ticket):
    """Subscribed to every event, after `ticket` was made (its creation is not sent)."""
    return Subscription.objects.create(
        name="Shop", url=receiver.url, events=[e.value for e in EventType]
    )


@pytest.fixture
def ticket(pipeline, team_a):
    return TicketFactory(pipeline=pipeline, team=team_a, contacts=[ContactFactory()])

"""The users of `make loadtest` (issue 22): agents working their views and an
inbound stream of mail through the Mailgun webhook. Started by
`manage.py loadtest`, which prepares the data, starts the servers and checks
the results; it passes what the users need in LOAD_* variables."""

import hashlib
import hmac
import itertools
import os
import random
import re
import time
import urllib.parse
from email.message import EmailMessage

from locust import HttpUser, between, constant_throughput, task

AGENTS = int(os.environ.get("LOAD_AGENTS", "40"))
INBOUND_USERS = int(os.environ.get("LOAD_INBOUND_USERS", "2"))
RATE = float(os.environ.get("LOAD_RATE", "20"))
PASSWORD = os.environ.get("LOAD_PASSWORD", "")
KEY = os.environ.get("LOAD_SIGNING_KEY", "")
STAMP = os.environ.get("LOAD_STAMP", "")
SEEDED = int(os.environ.get("LOAD_SEEDED", "0"))
STAGES = [s for s in os.environ.get("LOAD_STAGES", "").split(",") if s]
WORDS = ["invoice", "export", "password", "refund", "printer", "login", "report", "upgrade"]
TEXT = (
    "Hello, since this morning the export of our monthly report fails with an error. "
    "We tried again twice and cleared the browser cache. Could you have a look? "
)
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SEEN = re.compile(r'name="seen" value="(\d*)"')
TO = re.compile(r'id="reply-to-\d+" name="to" value="([^"]*)"')
TICKET_LINK = re.compile(r"/views/all-open/tickets/(\d+)/")

_agents = itertools.count()
_messages = itertools.count()


class Agent(HttpUser):
    """An agent with a seat: opens views and tickets, replies, comments,
    changes statuses and searches, pausing 1-4 s between actions."""

    fixed_count = AGENTS
    wait_time = between(1, 4)

    def on_start(self):
        self.number = next(_agents)
        page = self.client.get("/accounts/login/", name="sign-in page")
        token = CSRF_FIELD.search(page.text).group(1)
        self.client.post(
            "/accounts/login/",
            {
                "username": f"load-agent-{self.number}",
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
            },
            name="sign in",
        )
        self.tickets: list[str] = []
        self.view()

    def htmx(self, target: str = "workspace") -> dict:
        return {
            "HX-Request": "true",
            "HX-Target": target,
            "X-CSRFToken": self.client.cookies.get("csrftoken", ""),
        }

    def ticket(self) -> str | None:
        return random.choice(self.tickets) if self.tickets else None

    @task(4)
    def view(self):
        response = self.client.get("/views/all-open/", headers=self.htmx(), name="view all-open")
        self.tickets = TICKET_LINK.findall(response.text) or self.tickets

    @task(1)
    def full_page(self):
        self.client.get("/views/unassigned/", name="workspace page (full)")

    @task(6)
    def open_ticket(self):
        pk = self.ticket()
        if pk:
            self.client.get(
                f"/views/all-open/tickets/{pk}/",
                headers=self.htmx("detail-pane"),
                name="ticket pane",
            )

    @task(2)
    def reply(self):
        pk = self.ticket()
        if not pk:
            return
        pane = self.client.get(
            f"/views/all-open/tickets/{pk}/", headers=self.htmx("detail-pane"), name="ticket pane"
        )
        seen, to = SEEN.search(pane.text), TO.search(pane.text)
        if not (seen and to and to.group(1)):
            return
        self.client.post(
            f"/tickets/{pk}/reply/",
            {
                "html": f"<p>Thanks, we are on it ({time.time():.0f}).</p>",
                "to": to.group(1),
                "seen": seen.group(1),
            },
            headers=self.htmx("detail-pane"),
            name="reply",
        )

    @task(2)
    def comment(self):
        pk = self.ticket()
        if pk:
            self.client.post(
                f"/tickets/{pk}/comment/",
                {"html": "<p>Checked the logs, nothing unusual.</p>"},
                headers=self.htmx("detail-pane"),
                name="comment",
            )

    @task(1)
    def change_status(self):
        pk = self.ticket()
        if pk and STAGES:
            self.client.post(
                f"/tickets/{pk}/stage/",
                {"stage": random.choice(STAGES)},
                headers=self.htmx("detail-pane"),
                name="change status",
            )

    @task(2)
    def search(self):
        self.client.get(
            "/views/all-open/",
            params={"q": random.choice(WORDS)},
            headers=self.htmx(),
            name="search",
        )


class Inbound(HttpUser):
    """Customers writing in: RATE messages a second in all, through the
    signed Mailgun webhook; a third are replies to the seeded tickets."""

    fixed_count = INBOUND_USERS
    wait_time = constant_throughput(RATE / max(INBOUND_USERS, 1))

    @task
    def webhook(self):
        n = next(_messages)
        message = EmailMessage()
        message["From"] = f"Customer {n} <customer{n % 500}@load-customer{n % 50}.example>"
        message["To"] = "support@load.example"
        message["Message-ID"] = f"<load-{STAMP}-{n}@load.example>"
        if SEEDED and n % 3 == 0:
            seed = n % SEEDED
            message["Subject"] = f"Re: Load ticket {seed}"
            message["In-Reply-To"] = f"<load-seed-{seed}@load.example>"
        else:
            message["Subject"] = f"Load inbound {STAMP} {n}: {random.choice(WORDS)}"
        message.set_content(TEXT * 2)
        token, now = f"load-{STAMP}-{n}", str(int(time.time()))
        signature = hmac.new(KEY.encode(), f"{now}{token}".encode(), hashlib.sha256).hexdigest()
        body = urllib.parse.urlencode(
            {
                "body-mime": message.as_string(),
                "token": token,
                "timestamp": now,
                "signature": signature,
            }
        )
        self.client.post(
            "/inbound/email/mailgun/",
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            name="webhook (Mailgun)",
        )

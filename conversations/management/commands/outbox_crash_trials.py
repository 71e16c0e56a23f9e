"""RELIABILITY item 16: kill the sender at random points and count duplicates.

Each trial writes a reply to the outbox, forks a process that sends it, and
SIGKILLs that process after a random delay. Recovery is what production does:
the stale claim expires and the row is sent again. The mail "server" is a
directory; a message it accepted is a file named after the Message-ID.

A kill before the mail server accepted, or after the database recorded the
send, must never give a duplicate. A kill inside the accept-to-commit window
may give one, with the same Message-ID (mail clients show it once). No trial
may lose its reply.

    manage.py outbox_crash_trials --trials 500
"""

import datetime
import os
import random
import signal
import tempfile
import time
import uuid
from pathlib import Path
from unittest import mock

from django.core.mail.backends.base import BaseEmailBackend
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from conversations import outbox, services, tasks
from conversations.models import OutboundEmail
from tickets.models import Pipeline, Ticket

ESP_LATENCY = 0.004  # seconds the "ESP" takes before it accepts


class DirectoryBackend(BaseEmailBackend):
    """Accepts a message by writing it to OUTBOX_DIR, after a network-like pause."""

    def send_messages(self, messages):
        for message in messages:
            time.sleep(ESP_LATENCY)
            name = message.extra_headers["Message-ID"].strip("<>")
            path = Path(os.environ["OUTBOX_CRASH_DIR"]) / f"{name}.{uuid.uuid4().hex}.eml"
            path.write_bytes(message.message().as_bytes())
        return len(messages)


class Command(BaseCommand):
    help = "Kill the outbound sender at random points; report duplicates and losses."

    def add_arguments(self, parser):
        parser.add_argument("--trials", type=int, default=500)
        parser.add_argument("--seed", type=int, default=16)

    def handle(self, *args, trials: int, seed: int, **options):
        ticket = Ticket.objects.filter(pipeline__in=Pipeline.objects.all()).first()
        agent = User.objects.filter(is_active=True).first()
        if ticket is None or agent is None:
            raise CommandError("Needs a ticket and a user: run seed_demo first.")
        rng = random.Random(seed)
        directory = tempfile.mkdtemp(prefix="outbox-crash-")
        os.environ["OUTBOX_CRASH_DIR"] = directory
        backend = f"{__name__}.DirectoryBackend"
        results = {"before": [0, 0], "window": [0, 0], "after": [0, 0]}
        lost = 0
        # Each trial sends by hand; the usual after-commit task must not race it.
        no_task = mock.patch.object(tasks.send_outbound_email, "delay")
        with override_settings(EMAIL_BACKEND=backend), no_task:
            # Kill points spread over one and a half times a normal send here,
            # so trials land before, inside and after it however loaded the
            # machine is.
            span = 1.5 * self._send_duration(agent, ticket)
            for _trial in range(trials):
                message = services.reply_send(
                    actor=agent, ticket=ticket, html="<p>trial</p>", to=["crash@example.com"]
                )
                outbound_id = message.outbound.pk
                name = message.message_id.strip("<>")
                self._kill_during_send(outbound_id, delay=rng.uniform(0, span))
                status = OutboundEmail.objects.get(pk=outbound_id).status
                accepted = len(list(Path(directory).glob(f"{name}.*")))
                phase = "after" if status == "sent" else "window" if accepted else "before"
                self._recover(outbound_id)
                copies = len(list(Path(directory).glob(f"{name}.*")))
                results[phase][0] += 1
                results[phase][1] += max(0, copies - 1)
                lost += copies == 0
        for phase, (count, duplicates) in results.items():
            self.stdout.write(f"killed {phase:>6}: {count:4d} trials, {duplicates} duplicates")
        self.stdout.write(f"lost replies: {lost}")
        self.results = {"phases": results, "lost": lost}

    def _send_duration(self, agent, ticket) -> float:
        """Seconds from a forked sender's start to its commit, timed unkilled."""
        durations = []
        for _sample in range(5):
            message = services.reply_send(
                actor=agent, ticket=ticket, html="<p>timing</p>", to=["crash@example.com"]
            )
            connections.close_all()
            started = time.perf_counter()
            pid = os.fork()
            if pid == 0:
                try:
                    connections["default"].ensure_connection()
                    outbox.outbound_send(message.outbound.pk)
                finally:
                    os._exit(0)
            os.waitpid(pid, 0)
            durations.append(time.perf_counter() - started)
        return sorted(durations)[2]

    def _kill_during_send(self, outbound_id: int, delay: float) -> None:
        """Fork a sender, let it connect, then kill it `delay` seconds into the send."""
        connections.close_all()  # the child opens its own database connection
        ready, go = os.pipe()
        pid = os.fork()
        if pid == 0:  # the sender
            try:
                os.close(ready)
                connections["default"].ensure_connection()
                os.write(go, b"1")
                outbox.outbound_send(outbound_id)
            finally:
                os._exit(0)
        os.close(go)
        os.read(ready, 1)
        os.close(ready)
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)

    def _recover(self, outbound_id: int) -> None:
        """What production does after a crash: the sweep finds the row pending,
        or claimed longer ago than CLAIM_TIMEOUT, and sends it. A killed
        client's last statement may still commit on the server a moment later,
        so the sweep is repeated until the row is sent."""
        for _sweep in range(50):
            OutboundEmail.objects.filter(pk=outbound_id, status="sending").update(
                claimed_at=timezone.now() - outbox.CLAIM_TIMEOUT - datetime.timedelta(seconds=1)
            )
            outbox.outbound_send(outbound_id)
            if OutboundEmail.objects.filter(pk=outbound_id, status="sent").exists():
                return
            time.sleep(0.01)

"""RELIABILITY item A1: kill the web process while it takes a webhook, replay
the ESP's retry, and count what was lost or stored twice.

Each trial forks a "web process" that answers one signed Mailgun webhook and
is SIGKILLed either right after the inbound row committed and before the 2xx
was written (the case A1 names), or at a random moment of the request. The
ESP saw no answer, so it sends the same request again, until one is
answered. Then the rows are processed as the worker would. Every trial must
end with exactly one row and one message.

    manage.py inbound_crash_trials --trials 200

With --attachment-bytes over store.FILE_PAYLOAD_OVER each payload is kept in
a file: the trials then also count inbound rows whose file is missing (must
be none) and files no row points at (a kill between the file and the commit
leaves one; they cost disk, never a delivery).
"""

import hashlib
import hmac
import os
import random
import signal
import time
from email.message import EmailMessage
from unittest import mock

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.test import Client, override_settings

from channels_inbound import ingest, store
from channels_inbound.models import EmailChannel, InboundItem
from conversations.models import Message

KEY = "crash-trial-key"


class Command(BaseCommand):
    help = "Kill the webhook's web process mid-request; replay; report losses and duplicates."

    def add_arguments(self, parser):
        parser.add_argument("--trials", type=int, default=200)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--attachment-bytes", type=int, default=0)

    def handle(self, *args, trials: int, seed: int, attachment_bytes: int, **options):
        channel = EmailChannel.objects.filter(is_active=True).select_related("address").first()
        if channel is None:
            raise CommandError("Needs an active email channel: run seed_demo first.")
        rng = random.Random(seed)
        self.attachment = rng.randbytes(attachment_bytes)
        run = f"{time.time_ns():x}"
        counts = {"after commit, before the answer": 0, "at a random moment": 0}
        retries = lost = duplicates = 0
        # The rows are processed below, as the worker would, not inside the killed request.
        with (
            override_settings(ANYMAIL={"MAILGUN_WEBHOOK_SIGNING_KEY": KEY}),
            mock.patch.object(store, "enqueue"),
        ):
            span = 1.5 * self._request_duration(channel, run)
            for trial in range(trials):
                body = self._webhook(channel, f"{run}-{trial}")
                after_commit = trial % 2 == 0
                counts[
                    "after commit, before the answer" if after_commit else "at a random moment"
                ] += 1
                self._killed_request(body, after_commit, rng.uniform(0, span))
                # The ESP got no answer: it retries until one comes.
                for _retry in range(20):
                    retries += 1
                    if self._request(body) == 200:
                        break
                else:
                    raise CommandError("The webhook never answered 200.")
            for pk in InboundItem.objects.filter(
                event_id__startswith=f"crash-{run}-", status="pending"
            ).values_list("pk", flat=True):
                ingest.inbound_process(pk)
        for trial in range(trials):
            rows = InboundItem.objects.filter(event_id=f"crash-{run}-{trial}").count()
            messages = Message.objects.filter(
                message_id=f"<crash-{run}-{trial}@trial.example>"
            ).count()
            lost += rows == 0 or messages == 0
            duplicates += max(0, rows - 1) + max(0, messages - 1)
        for phase, count in counts.items():
            self.stdout.write(f"killed {phase}: {count} trials")
        self.stdout.write(f"requests the ESP retried: {retries}")
        self.stdout.write(f"lost: {lost}, stored twice: {duplicates}")
        self.results = {"trials": trials, "lost": lost, "duplicates": duplicates}
        if attachment_bytes:
            self.results.update(self._files(run))
            self.stdout.write(
                f"rows without their file: {self.results['rows_without_file']}, "
                f"files without a row: {self.results['files_without_row']}"
            )

    def _files(self, run: str) -> dict:
        """Rows of this run whose payload file is missing or short, and
        payload files no row points at (this run's or older)."""
        rows = InboundItem.objects.filter(event_id__startswith=f"crash-{run}-").exclude(
            event_id__contains="-timing-"
        )
        files = list(rows.exclude(payload_file="").values_list("payload_file", flat=True))
        broken = sum(
            not default_storage.exists(name) or default_storage.size(name) < len(self.attachment)
            for name in files
        )
        referenced = set(
            InboundItem.objects.exclude(payload_file="").values_list("payload_file", flat=True)
        )
        root = default_storage.path("")
        found = {
            os.path.relpath(os.path.join(folder, name), root)
            for folder, _dirs, names in os.walk(default_storage.path("inbound"))
            for name in names
        }
        return {
            "rows_in_files": len(files),
            "rows_without_file": broken,
            "files_without_row": len(found - referenced),
        }

    def _webhook(self, channel, name: str) -> dict:
        message = EmailMessage()
        message["From"] = f"Customer <{name}@customer.example>"
        message["To"] = channel.address.email
        message["Subject"] = f"Crash trial {name}"
        message["Message-ID"] = f"<crash-{name}@trial.example>"
        message.set_content("Does this survive?")
        if self.attachment:
            message.add_attachment(self.attachment, "application", "octet-stream", filename="a.bin")
        token, stamp = f"crash-{name}", str(int(time.time()))
        signature = hmac.new(KEY.encode(), f"{stamp}{token}".encode(), hashlib.sha256)
        return {
            "body-mime": message.as_string(),
            "token": token,
            "timestamp": stamp,
            "signature": signature.hexdigest(),
        }

    def _request(self, body: dict) -> int:
        return Client(SERVER_NAME="localhost").post("/inbound/email/mailgun/", body).status_code

    def _request_duration(self, channel, run: str) -> float:
        """Seconds one webhook takes here, timed unkilled (its row is processed
        with the others)."""
        durations = []
        for sample in range(5):
            started = time.perf_counter()
            self._request(self._webhook(channel, f"{run}-timing-{sample}"))
            durations.append(time.perf_counter() - started)
        return sorted(durations)[2]

    def _killed_request(self, body: dict, after_commit: bool, delay: float) -> None:
        """Fork a web process for one request and kill it: right after the
        row is stored, or `delay` seconds into the request."""
        connections.close_all()  # the child opens its own database connection
        ready, go = os.pipe()
        pid = os.fork()
        if pid == 0:  # the web process
            try:
                os.close(ready)
                # Never the parent's socket: a transaction this process leaves
                # open when killed would stay open in the parent's session and
                # hold the row the retry must insert (CI hung on exactly that).
                # The old object is kept so no finalizer ends the parent's session.
                self._parents = connections["default"].connection
                connections["default"].connection = None
                connections["default"].ensure_connection()
                os.write(go, b"1")
                if after_commit:
                    inbound_store = store.inbound_store

                    def store_then_die(**kwargs):
                        inbound_store(**kwargs)
                        os.kill(os.getpid(), signal.SIGKILL)

                    with mock.patch("channels_inbound.webhooks.inbound_store", store_then_die):
                        self._request(body)
                else:
                    self._request(body)
            finally:
                os._exit(0)
        os.close(go)
        os.read(ready, 1)
        os.close(ready)
        if not after_commit:
            time.sleep(delay)
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        connections.close_all()  # whatever the killed process left open ends here

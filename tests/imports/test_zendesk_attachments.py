"""A Zendesk export's comment attachments come along: each content_url is
downloaded through the SSRF-guarded client (following Zendesk's redirect to
its file host), capped by the attachment size setting, stored like an inbound
mail's file and linked to the imported message. A file that cannot be had is
listed on the job's errors and the import goes on; a second run fetches only
what the first one missed.

The recorded export is tests/fixtures/zendesk_attachments/export.json; its
files are served by a local HTTP server standing in for Zendesk (no network)."""

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from conversations.models import Attachment, Message
from imports.models import ImportJob
from tickets.models import Ticket
from webhooks import safehttp

from .conftest import run

FIXTURES = Path(__file__).parent.parent / "fixtures" / "zendesk_attachments"
RECORDED_HOST = "https://acme.zendesk.com"


class Zendesk:
    """A stand-in for Zendesk's attachment URLs: /attachments/token/<t>/?name=<file>
    redirects to /files/<file> (as Zendesk redirects to its file host), which
    serves the recorded file; token "Gone0000" is a deleted file (404)."""

    def __init__(self):
        self.requests: list[str] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                hub.requests.append(self.path)
                parts = urlsplit(self.path)
                if parts.path.startswith("/attachments/token/") and "Gone0000" not in parts.path:
                    name = parse_qs(parts.query)["name"][0]
                    self.send_response(302)
                    self.send_header("Location", f"{hub.url}/files/{name}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                path = FIXTURES / "files" / parts.path.removeprefix("/files/")
                if not parts.path.startswith("/files/") or not path.is_file():
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def export(self) -> bytes:
        """The recorded export with its attachment host pointing here."""
        text = (FIXTURES / "export.json").read_text()
        return text.replace(RECORDED_HOST, self.url).encode()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def zendesk(settings, monkeypatch):
    """Zendesk on loopback: that one address is let through the SSRF check,
    every other private address is still refused."""
    settings.HELPDESK_WEBHOOKS_ALLOW_PRIVATE = False
    settings.HELPDESK_ATTACHMENT_MAX_BYTES = 20 * 2**20
    allowed = safehttp.allowed_address
    monkeypatch.setattr(safehttp, "allowed_address", lambda a: a == "127.0.0.1" or allowed(a))
    server = Zendesk()
    yield server
    server.close()


def files_of(message: Message) -> list[tuple[str, str, int, bytes]]:
    found = []
    for attachment in message.attachments.order_by("id"):
        with attachment.file.open("rb") as handle:
            found.append(
                (attachment.filename, attachment.content_type, attachment.size, handle.read())
            )
    return found


def fixture_file(name: str) -> bytes:
    return (FIXTURES / "files" / name).read_bytes()


def test_comment_attachments_are_downloaded_and_linked_to_their_messages(upload, pipeline, zendesk):
    job = run(upload(ImportJob.Kind.ZENDESK, zendesk.export(), name="export.json"))
    assert (job.created, job.skipped) == (2, 0)
    ticket = Ticket.objects.get(external_id="41001")
    first, comment, files_only = ticket.messages.order_by("created_at", "id")
    assert files_of(first) == [
        ("blank-export.png", "image/png", 73, fixture_file("blank-export.png")),
        ("console.log", "application/octet-stream", 233, fixture_file("console.log")),
    ]
    # A comment that is only a file is kept, with its file.
    assert files_of(files_only) == [
        (
            "invoice-2024-03.pdf",
            "application/octet-stream",
            142,
            fixture_file("invoice-2024-03.pdf"),
        )
    ]
    assert {a.ticket_id for a in Attachment.objects.all()} == {ticket.pk}
    assert Attachment.objects.get(filename="console.log").external_id == "7702"
    stored = Attachment.objects.get(filename="console.log").file.name
    assert "console" not in stored  # our storage key, not the sender's name
    # The internal comment's files all failed: it is stored without them.
    assert comment.kind == Message.Kind.COMMENT and not comment.attachments.exists()
    assert Ticket.objects.get(external_id="41002").messages.count() == 1


def test_failed_downloads_are_listed_on_the_job_and_do_not_stop_it(upload, pipeline, zendesk):
    job = run(upload(ImportJob.Kind.ZENDESK, zendesk.export(), name="export.json"))
    assert job.status == ImportJob.Status.DONE
    assert job.error_count == 3
    problems = {
        message.split(":")[0].split(" is larger")[0]: (line, column)
        for line, column, message in job.errors
    }
    assert problems == {
        "“screen-recording.mov”": (1, "attachments"),
        "“server-notes.txt” could not be downloaded": (1, "attachments"),
        "“metadata.json” could not be downloaded": (1, "attachments"),
    }
    messages = {m for _l, _c, m in job.errors}
    assert "“screen-recording.mov” is larger than 20.0\xa0MB and was not imported." in messages
    assert "“server-notes.txt” could not be downloaded: the server answered 404." in messages
    assert (
        "“metadata.json” could not be downloaded: its address points to a private network."
        in messages
    )
    # The file over the limit was never asked for; the metadata address never reached.
    assert not [p for p in zendesk.requests if "screen-recording" in p]
    assert not [p for p in zendesk.requests if "meta-data" in p]


def test_a_file_longer_than_its_declared_size_is_cut_off_at_the_limit(
    upload, pipeline, zendesk, settings
):
    settings.HELPDESK_ATTACHMENT_MAX_BYTES = 200  # console.log (233 bytes) says 233
    data = zendesk.export().replace(b'"size": 233', b'"size": 100')
    job = run(upload(ImportJob.Kind.ZENDESK, data, name="export.json"))
    assert not Attachment.objects.filter(filename="console.log").exists()
    assert [m for _l, _c, m in job.errors if "console.log" in m] == [
        "“console.log” is larger than 200\xa0bytes and was not imported."
    ]
    assert Attachment.objects.filter(filename="blank-export.png").exists()


def test_running_again_fetches_only_the_missing_files_and_duplicates_nothing(
    upload, pipeline, zendesk
):
    run(upload(ImportJob.Kind.ZENDESK, zendesk.export(), name="export.json"))
    assert Attachment.objects.count() == 3
    zendesk.requests.clear()
    again = run(upload(ImportJob.Kind.ZENDESK, zendesk.export(), name="export.json"))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Ticket.objects.count() == 2 and Message.objects.count() == 4
    assert Attachment.objects.count() == 3
    # Only the file that answered 404 was asked for again.
    assert zendesk.requests == ["/attachments/token/Gone0000/?name=server-notes.txt"]


def test_an_export_without_attachments_makes_no_request(upload, pipeline, zendesk):
    document = json.loads(zendesk.export())
    for event in document["ticket_events"]:
        for child in event["child_events"]:
            child["attachments"] = []
    run(upload(ImportJob.Kind.ZENDESK, json.dumps(document).encode(), name="export.json"))
    assert zendesk.requests == []
    assert not Attachment.objects.exists()


class WorkerDied(BaseException):
    """A killed worker: nothing after it runs."""


def test_a_resumed_import_fetches_the_files_its_last_batch_missed(
    upload, pipeline, zendesk, monkeypatch
):
    from imports import services

    monkeypatch.setattr(services, "BATCH", 1)
    monkeypatch.setattr(services, "enqueue", lambda *args: True)
    real = services.attachments_import

    def dies_while_downloading(batch, **kwargs):
        raise WorkerDied

    job = upload(ImportJob.Kind.ZENDESK, zendesk.export(), name="export.json")
    assert services.job_check(job) == []
    assert services.job_start(job)
    monkeypatch.setattr(services, "attachments_import", dies_while_downloading)
    with pytest.raises(WorkerDied):
        services.job_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.batches_done) == ("running", 1)
    assert not Attachment.objects.exists()  # the first ticket is stored, not its files

    monkeypatch.setattr(services, "attachments_import", real)
    later = timezone.now() + datetime.timedelta(minutes=11)
    assert services.jobs_recover_stale(later) == 1
    services.job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.created, job.skipped) == (2, 0)
    assert Attachment.objects.count() == 3
    assert job.error_count == 3 and len(job.errors) == 3

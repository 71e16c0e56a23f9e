"""Structured JSON logs with request IDs (issue 22): the ID of each request in
its response, on every line written meanwhile and in the tasks it queues; one
JSON object per line in production."""

import io
import json
import logging
import os
import subprocess
import sys

import pytest
from celery import Celery
from celery.app.task import Context
from django.http import HttpResponse
from django.test import RequestFactory

from helpdesk import logs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def json_lines():
    """The root logger's lines as the production handler writes them (its
    formatter and filter), read back as dicts."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def serve(view, **headers):
    """`view` behind the middleware, as one request to /tickets/."""
    request = RequestFactory().get("/tickets/", headers=headers)
    return logs.RequestLogMiddleware(view)(request)


def test_a_sane_request_id_is_kept_and_returned(json_lines):
    response = serve(lambda request: HttpResponse("ok"), **{"X-Request-ID": "lb-7f3a.1:2"})
    assert response["X-Request-ID"] == "lb-7f3a.1:2"
    assert json_lines()[-1]["request_id"] == "lb-7f3a.1:2"


@pytest.mark.parametrize("given", ["", "two words", "line\nbreak", "x" * 65, 'quote"d', "<script>"])
def test_an_insane_or_missing_request_id_is_replaced_by_a_new_one(given):
    response = serve(lambda request: HttpResponse("ok"), **{"X-Request-ID": given})
    made = response["X-Request-ID"]
    assert made != given and len(made) == 32 and int(made, 16) >= 0


def test_every_page_answers_with_its_request_id(client, db):
    response = client.get("/", headers={"X-Request-ID": "edge-1"})
    assert response["X-Request-ID"] == "edge-1"


def test_each_request_gets_its_own_id():
    first = serve(lambda request: HttpResponse("ok"))["X-Request-ID"]
    second = serve(lambda request: HttpResponse("ok"))["X-Request-ID"]
    assert first != second


def test_lines_written_during_a_request_carry_its_id_and_the_request_has_its_own_line(
    json_lines,
):
    def view(request):
        logging.getLogger("tickets.views").warning("Ticket %s is locked", 42)
        return HttpResponse("no", status=409)

    serve(view, **{"X-Request-ID": "req-42"})
    logging.getLogger("tickets.views").warning("after the request")
    during, request_line, after = json_lines()
    assert during == {
        "timestamp": during["timestamp"],
        "level": "WARNING",
        "logger": "tickets.views",
        "message": "Ticket 42 is locked",
        "request_id": "req-42",
    }
    assert during["timestamp"].endswith("+00:00") and "T" in during["timestamp"]
    assert request_line["logger"] == "helpdesk.requests"
    assert request_line["request_id"] == "req-42"
    assert (request_line["method"], request_line["path"], request_line["status"]) == (
        "GET",
        "/tickets/",
        409,
    )
    assert isinstance(request_line["duration_ms"], float) and request_line["duration_ms"] >= 0
    assert after["request_id"] is None and "method" not in after


def test_an_exception_is_one_line_with_its_traceback(json_lines):
    try:
        raise ValueError("broken")
    except ValueError:
        logging.getLogger("x").exception("Failed to send")
    (line,) = json_lines()
    assert line["message"] == "Failed to send" and line["level"] == "ERROR"
    assert "Traceback" in line["exception"] and "ValueError: broken" in line["exception"]


def test_a_task_queued_by_a_request_carries_its_id_into_the_worker():
    producer = Celery(broker="memory://", set_as_current=False)

    def view(request):
        producer.send_task("webhooks.tasks.deliver", args=[1])
        return HttpResponse("queued")

    serve(view, **{"X-Request-ID": "req-queue-1"})
    with producer.connection_for_read() as connection:
        message = connection.SimpleQueue("celery").get(timeout=2)
        message.ack()
    assert message.headers["request_id"] == "req-queue-1"

    # The worker: the task's lines carry it while it runs, and not after.
    class Task:
        request = Context(message.headers)

    logs.task_started(task=Task)
    try:
        assert logs.current_request_id() == "req-queue-1"
    finally:
        logs.task_finished(task=Task)
    assert logs.current_request_id() is None


def test_a_task_queued_outside_a_request_has_no_id():
    producer = Celery(broker="memory://", set_as_current=False)
    producer.send_task("webhooks.tasks.deliver", args=[2])
    with producer.connection_for_read() as connection:
        message = connection.SimpleQueue("celery").get(timeout=2)
        message.ack()
    assert "request_id" not in message.headers


def settings_in_a_process(**env) -> dict:
    """settings.LOGGING's console handler as a fresh process reads it from `env`."""
    code = (
        "import json, django; from django.conf import settings; django.setup();"
        "print(json.dumps(settings.LOGGING['handlers']['console']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "example.com"}


def test_production_logs_json_and_development_text_unless_log_format_says():
    assert settings_in_a_process(**PRODUCTION, LOG_FORMAT="")["formatter"] == "json"
    assert settings_in_a_process(DEBUG="true", LOG_FORMAT="")["formatter"] == "text"
    assert settings_in_a_process(DEBUG="true", LOG_FORMAT="json")["formatter"] == "json"
    assert settings_in_a_process(**PRODUCTION, LOG_FORMAT="text")["formatter"] == "text"


def test_text_lines_name_the_request_or_a_dash():
    formatter = logs.TextFormatter("%(levelname)s [%(request_id)s] %(message)s")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    assert formatter.format(record) == "INFO [-] hello you"
    record.request_id = "req-9"
    assert formatter.format(record) == "INFO [req-9] hello you"

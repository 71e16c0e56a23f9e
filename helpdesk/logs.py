"""Structured logs with request IDs (issue 22).

Every request gets an ID: the caller's X-Request-ID when it is sane (a load
balancer's or a client's, so one ID follows a request through every system),
else a new one. It is returned in the response's X-Request-ID header, put on
each log line written while the request runs, and carried into the Celery
tasks the request queues (a message header, `request_id`), whose log lines
then carry it too. One line per request says its method, path, status and
duration.

With LOG_FORMAT=json (the default when DEBUG is off) every line is one JSON
object: timestamp (UTC, ISO 8601), level, logger, message, request_id, and
the request's fields on its own line; a traceback goes in `exception`. The
standard library's logging does it all: a Formatter and a Filter, named in
settings.LOGGING.
"""

import datetime
import json
import logging
import re
import time
import uuid
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# What we accept from outside: short, printable, nothing a log reader or a
# header could be fooled by (no spaces, quotes or line breaks).
SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# The name of the Celery message header that carries the ID into a task.
TASK_HEADER = "request_id"

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
requests_log = logging.getLogger("helpdesk.requests")

# Fields a request's own line carries (set as `extra` by RequestLogMiddleware).
REQUEST_FIELDS = ("method", "path", "status", "duration_ms")


def current_request_id() -> str | None:
    """The ID of the request or task this code runs for, None outside one."""
    return _request_id.get()


def request_id_for(given: str | None) -> str:
    """`given` when it is a sane ID, else a new one (32 hex digits)."""
    return given if given and SANE_ID.match(given) else uuid.uuid4().hex


class RequestLogMiddleware:
    """Gives each request its ID (request.request_id, the X-Request-ID
    response header, every log line written meanwhile) and logs one line
    when it is answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request.request_id = request_id_for(request.headers.get(HEADER))  # type: ignore[attr-defined]
        token = _request_id.set(request.request_id)  # type: ignore[attr-defined]
        try:
            response = self.get_response(request)
            response[HEADER] = request.request_id  # type: ignore[attr-defined]
            duration = round((time.perf_counter() - started) * 1000, 1)
            requests_log.info(
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                duration,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration,
                },
            )
            return response
        finally:
            _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request's ID on every record (None outside one), for
    the formatters; a record that has one already keeps it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class TextFormatter(logging.Formatter):
    """settings.LOGGING's text lines (a %-style format); "-" where no request
    runs. The record is left as it is, for the other handlers."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is not None:
            return super().formatMessage(record)
        return self._style._fmt % {**record.__dict__, "request_id": "-"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, message,
    request_id; a request's line adds method, path, status, duration_ms."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "timestamp": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        for name in REQUEST_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


# Celery: the ID travels with the task (connected in HelpdeskConfig.ready).


def add_request_id_header(headers: dict | None = None, **kwargs) -> None:
    """before_task_publish: a task queued while a request (or a task) runs
    carries its ID in the message headers."""
    request_id = current_request_id()
    if headers is not None and request_id and TASK_HEADER not in headers:
        headers[TASK_HEADER] = request_id


def task_started(task=None, **kwargs) -> None:
    """task_prerun: the task's log lines carry the ID it was queued with.
    A task run inline (eager) keeps its caller's."""
    if task is None or getattr(task.request, "is_eager", False):
        return
    headers = task.request.headers or {}
    _request_id.set(getattr(task.request, TASK_HEADER, None) or headers.get(TASK_HEADER))


def task_finished(task=None, **kwargs) -> None:
    """task_postrun: the worker's next task starts without an ID."""
    if task is None or getattr(task.request, "is_eager", False):
        return
    _request_id.set(None)

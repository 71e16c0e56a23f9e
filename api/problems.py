"""Errors as RFC 9457 problem details (application/problem+json).

Every error the API answers has a `type` (a link to its explanation in the
reference page), a `title`, the `status`, a `detail` for people, the request's
`request_id`, and for invalid input `errors`: one entry per field, with a JSON
pointer into the request body (or the query parameter's name) and a message.
"""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

CONTENT_TYPE = "application/problem+json"

# slug: (title, status)
PROBLEMS: dict[str, tuple[Any, int]] = {
    "invalid-request": (_("The request is not valid."), 400),
    "unauthenticated": (_("Authentication is required."), 401),
    "scope-missing": (_("The token's scope does not allow this."), 403),
    "csrf-failed": (_("The CSRF check failed."), 403),
    "forbidden": (_("You may not do this."), 403),
    "not-found": (_("Not found."), 404),
    "method-not-allowed": (_("Method not allowed."), 405),
    "idempotency-key-in-use": (_("A request with this Idempotency-Key is in progress."), 409),
    "edit-conflict": (_("Someone changed the ticket since you read it."), 412),
    "validation-error": (_("Some fields are not valid."), 422),
    "idempotency-key-reused": (_("This Idempotency-Key was used for another request."), 422),
    "rate-limited": (_("Too many requests."), 429),
    "server-error": (_("Something went wrong on our side."), 500),
}


def type_uri(slug: str) -> str:
    return f"/api/v1/reference/#problem-{slug}"


def problem(
    request: HttpRequest | None,
    slug: str,
    detail: str = "",
    *,
    status: int | None = None,
    errors: list[dict] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    title, default_status = PROBLEMS[slug]
    body: dict[str, Any] = {
        "type": type_uri(slug),
        "title": str(title),
        "status": status or default_status,
    }
    if detail:
        body["detail"] = str(detail)
    if request is not None:
        body["instance"] = request.path
        if getattr(request, "request_id", None):
            body["request_id"] = request.request_id
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, default=str),
        status=body["status"],
        content_type=CONTENT_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def field_errors(messages: dict[str, list[str]] | list[str], prefix: str = "") -> list[dict]:
    """Django ValidationError messages as problem `errors` entries."""
    if isinstance(messages, list):
        return [{"pointer": prefix or "", "detail": str(m)} for m in messages]
    found = []
    for field, items in messages.items():
        pointer = "" if field == "__all__" else f"{prefix}/{field}"
        found += [{"pointer": pointer, "detail": str(m)} for m in items]
    return found

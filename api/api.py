"""The REST API, version 1 (S34, issue 18), on django-ninja: typed schemas, the
OpenAPI 3.1 document at /api/v1/openapi.json, and every error as a problem
details answer (api.problems)."""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from .auth import READ, ApiError
from .endpoints import conversations, directory, records, tickets
from .problems import field_errors, problem

log = logging.getLogger("api.requests")

NAMESPACE = "api-v1"

api = NinjaAPI(
    title="Help desk API",
    version="1",
    description=(
        "Tickets, conversations, contacts and companies of this help desk. "
        "Authenticate with a personal access token (`Authorization: Bearer hd_…`, "
        "made in the account menu) or, from the help desk's own pages, the session "
        "with its CSRF token. A token sees exactly what its user sees."
    ),
    auth=READ,
    urls_namespace=NAMESPACE,
    openapi_url="/openapi.json",
    docs_url=None,
)
api.add_router("", tickets.router)
api.add_router("", conversations.router)
api.add_router("", records.router)
api.add_router("", directory.router)

STATUS_SLUGS = {
    400: "invalid-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "idempotency-key-in-use",
    412: "edit-conflict",
    422: "validation-error",
    429: "rate-limited",
}


def _pointer(loc) -> dict:
    """Where a pydantic error points: a JSON pointer into the body, or the
    query parameter or header's name."""
    source, *rest = loc
    if source == "body":
        path = rest[1:] if rest and rest[0] == "payload" else rest
        return {"pointer": "/" + "/".join(str(p) for p in path)}
    return {"parameter": str(rest[-1]) if rest else str(source)}


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc: NinjaValidationError):
    errors = [{**_pointer(e.get("loc", ("body",))), "detail": e.get("msg", "")} for e in exc.errors]
    return problem(request, "validation-error", _("Correct the fields listed."), errors=errors)


@api.exception_handler(DjangoValidationError)
def _invalid_model(request, exc: DjangoValidationError):
    messages = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
    errors = field_errors(messages)
    detail = errors[0]["detail"] if len(errors) == 1 else _("Correct the fields listed.")
    return problem(request, "validation-error", detail, errors=errors)


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    headers = {"WWW-Authenticate": "Bearer"} if exc.slug == "unauthenticated" else None
    return problem(request, exc.slug, exc.detail, headers=headers, **exc.extra)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return problem(
        request,
        "unauthenticated",
        _("Send a personal access token: Authorization: Bearer hd_…"),
        headers={"WWW-Authenticate": "Bearer"},
    )


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem(request, "not-found")


@api.exception_handler(PermissionDenied)
def _denied(request, exc):
    return problem(request, "forbidden")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    slug = STATUS_SLUGS.get(exc.status_code, "invalid-request")
    return problem(request, slug, str(exc), status=exc.status_code)


@api.exception_handler(Exception)
def _server_error(request, exc: Exception):
    log.exception("API error, request_id=%s", getattr(request, "request_id", ""))
    return problem(request, "server-error", _("Quote the request ID when reporting this."))

"""What every API request goes through before and after its endpoint: a
request ID (taken from X-Request-ID when the caller sends a sane one), the
caller found once (token or session), the per-caller rate limit (429 with
Retry-After), Idempotency-Key replay for POSTs, ETags and 304 Not Modified
for GETs (api.conditional), and one log line per request.

The log line names the token by its id and visible prefix, never its secret;
the Authorization header is never logged.
"""

import hashlib
import logging
import re
import time

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_inbound.public import count_hit
from helpdesk.logs import request_id_for

from . import tokens
from .conditional import conditional_get
from .models import AccessToken, IdempotentRequest
from .problems import problem

log = logging.getLogger("api.requests")

PREFIX = "/api/"
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
RATE_WINDOW = 60


def bearer(request: HttpRequest) -> str | None:
    """The secret of an `Authorization: Bearer` header, or None without one."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def resolve_caller(request: HttpRequest) -> None:
    """Set request.api_token (the token, False for a bad one, None without one)
    and request.api_caller ("t<id>", "u<id>" for a session, or "ip:<address>")."""
    request.api_address = get_client_ip_address(request) or ""
    secret = bearer(request)
    request.api_token = None
    if secret is not None:
        request.api_token = tokens.authenticate(secret) or False
    if request.api_token:
        request.api_caller = f"t{request.api_token.pk}"
    elif secret is None and request.user.is_authenticated:
        request.api_caller = f"u{request.user.pk}"
    else:
        request.api_caller = f"ip:{request.api_address}"


class ApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        started = time.perf_counter()
        # Set by helpdesk.logs.RequestLogMiddleware for every request.
        request.request_id = getattr(request, "request_id", None) or request_id_for(
            request.headers.get("X-Request-ID")
        )
        resolve_caller(request)
        response = self.limited(request) or self.answer(request)
        response["X-Request-ID"] = request.request_id
        token = request.api_token
        log.info(
            "%s %s %s %.1fms request_id=%s caller=%s%s",
            request.method,
            request.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
            request.request_id,
            request.api_caller,
            f" token={token.prefix}…" if isinstance(token, AccessToken) else "",
        )
        return response

    def limited(self, request: HttpRequest) -> HttpResponse | None:
        """The 429 answer when the caller is over its limit, else None; sets the
        X-RateLimit headers' values on the request for answer()."""
        limit = settings.HELPDESK_API_RATE
        now = int(time.time())
        window = now // RATE_WINDOW
        count = count_hit(f"api-rate:{request.api_caller}:{window}", RATE_WINDOW)
        reset = RATE_WINDOW - now % RATE_WINDOW
        request.api_rate = (limit, max(0, limit - count), reset)
        if count <= limit:
            return None
        return problem(
            request,
            "rate-limited",
            _("At most %(limit)d requests a minute. Try again in %(seconds)d seconds.")
            % {"limit": limit, "seconds": reset},
            headers={"Retry-After": str(reset), **self.rate_headers(request)},
        )

    def rate_headers(self, request: HttpRequest) -> dict[str, str]:
        limit, remaining, reset = request.api_rate
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset),
        }

    def answer(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or key is None or request.api_caller.startswith("ip:"):
            response = self.get_response(request)
        else:
            response = self.idempotent(request, key)
        for name, value in self.rate_headers(request).items():
            response[name] = value
        return conditional_get(request, self.as_problem(request, response))

    def as_problem(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """Django's own answers under /api/ (no such route, wrong method, a
        body over the size limit) as problem details too."""
        if response.status_code < 400 or response.get("Content-Type", "").startswith(
            ("application/problem+json", "application/json")
        ):
            return response
        slugs = {404: "not-found", 405: "method-not-allowed", 413: "invalid-request"}
        slug = slugs.get(
            response.status_code,
            "server-error" if response.status_code >= 500 else "invalid-request",
        )
        answer = problem(request, slug, status=response.status_code)
        for header in ("Allow", *self.rate_headers(request)):
            if header in response:
                answer[header] = response[header]
        return answer

    def idempotent(self, request: HttpRequest, key: str) -> HttpResponse:
        """The first answer for this caller's key, or the request answered and
        its answer kept (for HELPDESK_API_IDEMPOTENCY_HOURS)."""
        if not IDEMPOTENCY_KEY.match(key):
            return problem(
                request,
                "invalid-request",
                _("An Idempotency-Key is 1 to 255 printable ASCII characters."),
            )
        fingerprint = hashlib.sha256(
            b"\0".join([request.method.encode(), request.get_full_path().encode(), request.body])
        ).hexdigest()
        caller = request.api_caller
        now = timezone.now()
        IdempotentRequest.objects.filter(caller=caller, key=key, expires_at__lte=now).delete()
        try:
            with transaction.atomic():
                kept = IdempotentRequest.objects.create(
                    caller=caller,
                    key=key,
                    fingerprint=fingerprint,
                    expires_at=now
                    + timezone.timedelta(hours=settings.HELPDESK_API_IDEMPOTENCY_HOURS),
                )
        except IntegrityError:
            kept = IdempotentRequest.objects.filter(caller=caller, key=key).first()
            if kept is None:  # expired and removed in between: answer afresh
                return self.get_response(request)
            if kept.fingerprint != fingerprint:
                return problem(
                    request,
                    "idempotency-key-reused",
                    _("Send a new Idempotency-Key for a different request."),
                )
            if kept.status is None:
                return problem(
                    request,
                    "idempotency-key-in-use",
                    _("Wait for the first request's answer, then retry."),
                    headers={"Retry-After": "1"},
                )
            response = HttpResponse(
                bytes(kept.body), status=kept.status, content_type=kept.content_type
            )
            if kept.location:
                response["Location"] = kept.location
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = self.get_response(request)
        except BaseException:
            kept.delete()
            raise
        # Kept: what the endpoint answered. Not kept (a retry runs again): an
        # unauthenticated request or one without its CSRF token, a conflict of
        # the moment, the rate limit, or a server error.
        retry_runs = response.status_code in (401, 409, 412, 429) or (
            response.status_code == 403 and b"#problem-csrf-failed" in response.content
        )
        if retry_runs or response.status_code >= 500:
            kept.delete()
            return response
        kept.status = response.status_code
        kept.content_type = response.get("Content-Type", "")
        kept.location = response.get("Location", "")[:500]
        kept.body = response.content
        kept.save(update_fields=["status", "content_type", "location", "body"])
        return response

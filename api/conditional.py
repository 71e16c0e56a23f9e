"""Conditional GET (RFC 9110 sections 8.8.3 and 13.1.2): every JSON answer to
a GET carries an ETag, and a GET whose If-None-Match names the current one is
answered 304 Not Modified without a body.

An endpoint may set its own ETag (a ticket's names its timeline position, for
If-Match, and a digest of everything else it shows); otherwise the ETag is a
digest of the body's bytes, so it changes whenever anything the caller would
read changes, including what depends on the time (an SLA turning due soon).
The comparison is the weak one RFC 9110 prescribes for If-None-Match: W/"x"
matches "x". A 304 is only ever given where the endpoint answered 200 to this
caller, so it says nothing an outsider's 404 would not."""

import hashlib
import json
import re

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified

# One entity-tag (RFC 9110 8.8.3): an optional W/ and a quoted opaque tag,
# which may hold commas, then the end of the list or the comma before the
# next member. Empty members (", ,") are skipped, as the list rule allows.
ENTITY_TAG = re.compile(r'(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*(?:,|$)')

# The headers a 200 would have carried that a 304 must carry too (RFC 9110
# 15.4.5), with the API's own request and rate headers.
KEPT_HEADERS = (
    "Cache-Control",
    "Content-Location",
    "Date",
    "ETag",
    "Expires",
    "Vary",
    "X-Request-ID",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
)


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def representation_digest(body: dict) -> str:
    """A digest of a JSON body's content, the same for the same content
    whatever the order of its keys."""
    raw = json.dumps(body, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return digest(raw.encode())


def _skip(value: str, position: int) -> int:
    """The position after any commas and spaces from `position`."""
    while position < len(value) and value[position] in ", \t":
        position += 1
    return position


def opaque_tags(header: str) -> list[str] | None:
    """The opaque tags an entity-tag list names (W/ dropped: the weak
    comparison ignores it), or None when the value is malformed, which RFC
    9110 lets a server treat as if the header were absent."""
    value = header.strip()
    tags: list[str] = []
    position = _skip(value, 0)
    while position < len(value):
        match = ENTITY_TAG.match(value, position)
        if match is None:
            return None
        tags.append(match[1])
        position = _skip(value, match.end())
    return tags or None


def none_match(header: str, etag: str) -> bool:
    """Whether If-None-Match `header` names `etag` by the weak comparison;
    a bare `*` names any current representation (a quoted "*" does not)."""
    current = opaque_tags(etag)
    if not current:
        return False
    if header.strip() == "*":
        return True
    return current[0] in (opaque_tags(header) or ())


def _cacheable(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and not response.streaming
        and response.get("Content-Type", "").startswith("application/json")
    )


def conditional_get(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The answer with its ETag, or 304 Not Modified when the request's
    If-None-Match names it."""
    if not _cacheable(request, response):
        return response
    if not response.has_header("ETag"):
        response["ETag"] = f'"{digest(response.content)}"'
    header = request.headers.get("If-None-Match")
    if header is None or not none_match(header, response["ETag"]):
        return response
    unchanged = HttpResponseNotModified()
    for name in KEPT_HEADERS:
        if response.has_header(name):
            unchanged[name] = response[name]
    unchanged.cookies = response.cookies
    return unchanged

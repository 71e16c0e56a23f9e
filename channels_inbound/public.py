"""What the public pages (web forms, the chat window) share: the rate limit per
client address, a CSP that lets only the listed sites frame them, and the
check that text from outside can be stored at all."""

import datetime
import random
import re

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

# Now and then a count removes the rows of windows long past.
PURGE_CHANCE = 0.01
# The longest chat or Messenger message we take (Messenger's own limit is 2,000).
MAX_TEXT = 5000
# A UTF-16 half without its other half: JSON can carry one ("\ud800"), no
# database column can store it.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def unstorable(*values: str) -> bool:
    """Whether any of `values` holds a character no text column can store;
    checked at the door, so a request is refused rather than accepted and
    then failed by the worker."""
    return any(LONE_SURROGATE.search(value) for value in values)


def rate_limited(request, bucket: str = "form") -> bool:
    """At most HELPDESK_FORM_RATE form submissions (HELPDESK_CHAT_RATE chat
    messages) per address per minute, and ten times that per hour
    (RELIABILITY 67), counted where every web process sees the count: in
    Redis when there is one, else in the database."""
    address = client_address(request)
    per_minute = {
        "chat": settings.HELPDESK_CHAT_RATE,
        "vote": settings.HELPDESK_VOTE_RATE,  # the help center's "Was this helpful?"
    }.get(bucket, settings.HELPDESK_FORM_RATE)
    return over_limit(f"{bucket}-rate", address, ((60, per_minute), (3600, per_minute * 10)))


def client_address(request) -> str:
    """The client's address as login throttling sees it (PROXY_COUNT proxies trusted)."""
    return get_client_ip_address(request) or ""


def over_limit(bucket: str, key: str, limits: tuple[tuple[int, int], ...]) -> bool:
    """Count one hit of `key` (a client address, an email address) in each
    (window in seconds, limit) of `limits`; True when any window is over its
    limit."""
    return any(count_hit(f"{bucket}:{window}:{key}", window) > limit for window, limit in limits)


def count_hit(key: str, window: int) -> int:
    """Add one hit to the counter `key` and return its count in the current
    window of `window` seconds: the store every web process shares (Redis when
    there is one, else the database). The API's per-token limit counts here too."""
    count = _redis_count if "redis" in settings.CACHES["default"]["BACKEND"].lower() else _db_count
    return count(key, window)


def _redis_count(key: str, window: int) -> int:
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


def _db_count(key: str, window: int) -> int:
    """One statement adds the hit, starting a new window when the old one has
    passed, and returns the count: atomic across processes. The clock is this
    process's (the window only needs to be about right)."""
    from .models import RateCounter

    now = timezone.now()
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, count, expires_at) VALUES (%s, 1, %s) "
            f"ON CONFLICT (key) DO UPDATE SET "
            f"count = CASE WHEN {table}.expires_at <= %s THEN 1 ELSE {table}.count + 1 END, "
            f"expires_at = CASE WHEN {table}.expires_at <= %s "
            f"THEN excluded.expires_at ELSE {table}.expires_at END "
            f"RETURNING count",
            [key, now + datetime.timedelta(seconds=window), now, now],
        )
        count = cursor.fetchone()[0]
    if random.random() < PURGE_CHANCE:
        RateCounter.objects.filter(expires_at__lt=now).delete()
    return count


def frameable(response, origins: list[str], *, scripts: bool):
    """Our own strict policy, framable by `origins` only; scripts from our
    origin when the page needs them."""
    ancestors = " ".join(["'self'", *origins])
    script = "'self'" if scripts else "'none'"
    response["Content-Security-Policy"] = (
        f"default-src 'self'; script-src {script}; style-src 'self'; img-src 'self' data:; "
        f"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
    )
    return response

"""What the public pages (web forms, the chat window) share: the rate limit per
client address, a CSP that lets only the listed sites frame them, and the
check that text from outside can be stored at all."""

import re

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache

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
    (RELIABILITY 67)."""
    # The same client address as login throttling (PROXY_COUNT proxies trusted).
    address = get_client_ip_address(request) or ""
    per_minute = settings.HELPDESK_CHAT_RATE if bucket == "chat" else settings.HELPDESK_FORM_RATE
    for window, limit in ((60, per_minute), (3600, per_minute * 10)):
        key = f"{bucket}-rate:{window}:{address}"
        cache.add(key, 0, window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)
            count = 1
        if count > limit:
            return True
    return False


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

"""Who else has a ticket open, and who is writing (the collision notice's
"show" half; the "prevent" half is services.Collision).

Each open ticket pings every few seconds; a ping lives for PRESENCE_TTL in the
shared cache (Redis in production), so closed tabs disappear by themselves.
"""

import time

from django.core.cache import cache

PRESENCE_TTL = 15
STATES = ("viewing", "reply", "comment")


def _key(ticket_id: int) -> str:
    return f"presence:{ticket_id}"


def presence_ping(*, ticket_id: int, user, state: str) -> list[dict]:
    """Record that `user` is on the ticket (and what they do); return the others."""
    state = state if state in STATES else "viewing"
    now = time.time()
    entries = {
        uid: entry
        for uid, entry in (cache.get(_key(ticket_id)) or {}).items()
        if entry["until"] > now
    }
    entries[user.pk] = {"name": user.display_name, "state": state, "until": now + PRESENCE_TTL}
    cache.set(_key(ticket_id), entries, PRESENCE_TTL)
    return [
        {"name": entry["name"], "state": entry["state"]}
        for uid, entry in sorted(entries.items())
        if uid != user.pk
    ]

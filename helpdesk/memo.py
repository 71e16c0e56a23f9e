"""Settings that rarely change, kept in the memory of a process between
inbound messages (issue 22): channels, our own addresses, blocked senders,
pipelines, the help desk inbox, the SLA switch; and between the requests of
the ticket pane: property definitions, statuses, teams, sending addresses,
the sidebar layout and the ticket settings.

Nothing may assume one process (ARCHITECTURE): every write to a watched
table changes ConfigVersion in the same transaction (a trigger on
PostgreSQL, helpdesk/migrations/0002; the post_save and post_delete signals
elsewhere), and the worker reads that number with the inbound row, once per
message (the ticket pane, with the ticket). Values are kept only inside
`checked(version)`: a web request or a task that did not read the number
loads from the database as before, so nothing outside ingestion can read a
stale setting. A value loaded after the number was read is at least as new
as it, so it may be kept under that number.
"""

import contextlib
import secrets
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import Subquery
from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")

# The version read for the work going on in this context, None outside one.
_version: ContextVar[int | None] = ContextVar("memo_version", default=None)
_lock = threading.Lock()
_kept: dict[str, Any] = {}
_kept_version: int | None = None


def version_subquery() -> Subquery:
    """The current version, to annotate a query that runs anyway (no round trip of its own)."""
    from .models import ConfigVersion

    return Subquery(ConfigVersion.objects.filter(pk=1).values("value")[:1])


def read() -> int | None:
    """The current version, in a query of its own: for a request that reads
    several settings and has no query of its own to carry it (the table)."""
    from .models import ConfigVersion

    return ConfigVersion.objects.filter(pk=1).values_list("value", flat=True).first()


@contextlib.contextmanager
def checked(version: int | None) -> Iterator[None]:
    """Within this block, `remembered` keeps values for `version` (None: it
    keeps nothing: the row is missing, so nothing can be trusted)."""
    token = _version.set(version)
    try:
        yield
    finally:
        _version.reset(token)


def current() -> int | None:
    """The version checked for the work going on here, None outside one."""
    return _version.get()


def checking(version: int | None) -> contextlib.AbstractContextManager[None]:
    """`checked(version)`, unless the work around this already checked one
    (an inbound message running its rules): that one holds, so a change made
    inside (bump()) still stops the outer work from keeping anything."""
    if current() is not None:
        return contextlib.nullcontext()
    return checked(version)


def remembered(key: str, load: Callable[[], T]) -> T:
    """The value kept under `key` for the checked version, else `load()`
    (kept for later messages when a version was checked). Callers must not
    change what they get: the next message gets the same object."""
    global _kept_version
    version = _version.get()
    if version is None:
        return load()
    with _lock:
        if _kept_version != version:
            _kept.clear()
            _kept_version = version
        if key in _kept:
            return _kept[key]
    value = load()
    with _lock:
        # Not when loading changed a watched setting (bump(): not committed).
        if _kept_version == version and _version.get() == version:
            _kept[key] = value
    return value


def bump(**kwargs) -> None:
    """A watched setting changed: every process loads its settings again
    from its next message on (the number commits with the change), and this
    context keeps nothing more: what it reads now is not committed, and may
    never be.

    On PostgreSQL a trigger on each watched table changes the number (every
    write, even a QuerySet.update(); migration 0002); elsewhere this does,
    with a random number: a change rolled back must never give its number
    back to other settings, as value + 1 would."""
    from .models import ConfigVersion

    _version.set(None)
    connection = connections[router.db_for_write(ConfigVersion)]
    if connection.vendor == "postgresql":
        return
    value = secrets.randbits(62)
    if not ConfigVersion.objects.filter(pk=1).update(value=value):
        ConfigVersion.objects.update_or_create(pk=1, defaults={"value": value})


def restore() -> None:
    """Put the version row back when it is missing (a flushed database): until
    then nothing is kept, so each message reads its settings."""
    from .models import ConfigVersion

    ConfigVersion.objects.get_or_create(pk=1, defaults={"value": secrets.randbits(62)})


def watch(*models) -> None:
    """Bump the version whenever one of `models` is saved or deleted; for
    the table of a many-to-many field (`field.through`), whenever it changes."""
    for model in models:
        uid = f"helpdesk.memo.{model._meta.label}"
        post_save.connect(bump, sender=model, dispatch_uid=f"{uid}.save", weak=False)
        post_delete.connect(bump, sender=model, dispatch_uid=f"{uid}.delete", weak=False)
        m2m_changed.connect(bump, sender=model, dispatch_uid=f"{uid}.m2m", weak=False)

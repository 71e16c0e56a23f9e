"""Django's database sessions, read with a query compiled once per process.

Every request an agent makes starts by reading its session: Django built and
compiled that one-row query each time (helpdesk.prepared, issue 22). The
same rows, the same expiry rule, checked on the row read. The version of the
settings kept in memory (helpdesk.memo) comes with the row, for the pages
that keep settings: no query of its own."""

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from helpdesk import memo
from helpdesk.prepared import Prepared

from . import backends

SESSION = Prepared(
    lambda key: Session.objects.filter(session_key=key).annotate(
        config_version=memo.version_subquery()
    ),
    str,
)
_UNREAD = object()


class SessionStore(db.SessionStore):
    config_version: object = _UNREAD  # read with the row in this request

    def load(self) -> dict:
        return backends.renamed(super().load())

    def _get_session_from_db(self):
        key = self.session_key
        session = SESSION.first(key) if key else None
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        self.config_version = session.config_version
        return session


def settings_version(request) -> int | None:
    """The version of the kept settings for this request (memo.checked):
    read with its session when the session was read from the database (a
    signed-in agent's always is, before the view), else in a query of its
    own. Read before anything the request keeps, so what it loads is at
    least as new."""
    version = getattr(request.session, "config_version", _UNREAD)
    return memo.read() if version is _UNREAD else version  # type: ignore[return-value]

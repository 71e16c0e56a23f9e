"""Django's database sessions, read with a query compiled once per process.

Every request an agent makes starts by reading its session: Django built and
compiled that one-row query each time (helpdesk.prepared, issue 22). The
same rows, the same expiry rule, checked on the row read."""

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from helpdesk.prepared import Prepared

SESSION = Prepared(lambda key: Session.objects.filter(session_key=key), str)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        key = self.session_key
        session = SESSION.first(key) if key else None
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        return session

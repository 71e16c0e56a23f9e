"""Django's ModelBackend, with the signed-in user read by a query compiled
once per process (helpdesk.prepared).

Every request an agent makes reads its user after its session: Django built
and compiled that one-row query each time, for longer than PostgreSQL took
to answer it (issue 22). The same row and the same rule (an inactive user is
signed out) as Django's."""

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.backends import ModelBackend

from helpdesk.prepared import Prepared

from .models import User

USER = Prepared(lambda pk: User._default_manager.filter(pk=pk), int)
# Sessions signed in before this backend name Django's: they stay signed in
# (accounts.sessions reads them as this one's).
DJANGOS = "django.contrib.auth.backends.ModelBackend"
PATH = f"{__name__}.UserBackend"


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            user = USER.first(int(user_id))
        except (TypeError, ValueError):
            return None
        return user if user is not None and self.user_can_authenticate(user) else None


def renamed(data: dict) -> dict:
    """A session's data with Django's backend named as ours."""
    if data.get(BACKEND_SESSION_KEY) == DJANGOS:
        data[BACKEND_SESSION_KEY] = PATH
    return data

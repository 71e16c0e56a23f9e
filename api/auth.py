"""Who is calling: a personal access token (`Authorization: Bearer hd_…`) or
the browser's session, which must send its CSRF token on unsafe methods
exactly as the workspace's forms do (no CSRF exemption).

Either way the caller acts as a user and sees what that user sees; a token's
scope can only narrow that. The middleware found the caller already
(request.api_token); these classes decide whether it may call the endpoint.
"""

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer

from accounts.models import User

from . import tokens
from .middleware import resolve_caller
from .models import AccessToken, Scope


class ApiError(Exception):
    """Answered as the problem `slug` (api.problems) by the API's handler."""

    def __init__(self, slug: str, detail: str = "", **extra):
        self.slug, self.detail, self.extra = slug, detail, extra
        super().__init__(slug)


def _caller(request: HttpRequest) -> None:
    if not hasattr(request, "api_token"):
        resolve_caller(request)


class TokenAuth(HttpBearer):
    """A personal access token with at least `scope`."""

    openapi_description = "A personal access token (account menu, API tokens)."

    def __init__(self, scope: str = Scope.READ):
        self.scope = scope
        super().__init__()

    def __call__(self, request: HttpRequest):
        _caller(request)
        if request.api_token is None:
            return None  # no bearer header: the session may answer
        if request.api_token is False:
            raise ApiError("unauthenticated", _("The token is unknown, expired or revoked."))
        return self.authenticate(request, "")

    def authenticate(self, request: HttpRequest, token: str):
        found: AccessToken = request.api_token
        if not found.allows(self.scope):
            raise ApiError(
                "scope-missing",
                _("This needs a token with the “%(needed)s” scope; this one has “%(scope)s”.")
                % {"needed": self.scope, "scope": found.scope},
            )
        if self.scope == Scope.ADMIN and not found.user.is_super_admin:
            raise ApiError("forbidden", _("Only super admins may do this."))
        tokens.touch(found, request.api_address)
        request.user = found.user
        return found


class SessionAuth(APIKeyCookie):
    """The signed-in browser, same origin, with the CSRF token on unsafe methods."""

    openapi_description = "The browser session; unsafe methods need the X-CSRFToken header."

    def __init__(self, scope: str = Scope.READ):
        self.scope = scope
        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=False)  # checked below, as CsrfViewMiddleware would

    def __call__(self, request: HttpRequest):
        _caller(request)
        if request.api_token is not None:
            return None  # a bearer header was sent: the token decides
        user: User = request.user
        if not user.is_authenticated or not user.is_active:
            return None
        reason = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if reason is not None:
            raise ApiError("csrf-failed", _("Send the CSRF token in the X-CSRFToken header."))
        if self.scope == Scope.ADMIN and not user.is_super_admin:
            raise ApiError("forbidden", _("Only super admins may do this."))
        return user

    def authenticate(self, request: HttpRequest, key):  # pragma: no cover - __call__ decides
        return None


def auth(scope: str = Scope.READ) -> list:
    return [TokenAuth(scope), SessionAuth(scope)]


READ = auth(Scope.READ)
WRITE = auth(Scope.WRITE)
ADMIN = auth(Scope.ADMIN)

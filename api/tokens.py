"""Making, finding and revoking personal access tokens.

A token's secret is `hd_` and 43 random URL-safe characters; only its SHA-256
digest is kept, so a copy of the database gives nobody a usable token. The
secret never reaches a log: callers get it back once, from token_create().
"""

import datetime
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from .models import AccessToken, Scope

PREFIX = "hd_"
SHOWN_CHARACTERS = 10
# The last use is written at most this often per token (and whenever the
# address changes): a busy integration does not write on every request.
TOUCH_EVERY = datetime.timedelta(minutes=1)
EXPIRY_DAYS = (7, 30, 90, 365)
MAX_TOKENS = 50


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def scopes_for(user: User) -> list[str]:
    """The scopes `user` may give a token: admin only to admins."""
    scopes = [Scope.READ, Scope.WRITE]
    if user.is_super_admin:
        scopes.append(Scope.ADMIN)
    return [str(s) for s in scopes]


def token_create(
    *, user: User, name: str, scope: str, expires_in_days: int | None
) -> tuple[AccessToken, str]:
    """A new token for `user` and its secret, which is not stored anywhere."""
    name = " ".join(name.split())[:100]
    errors = {}
    if not name:
        errors["name"] = _("Give the token a name.")
    if scope not in scopes_for(user):
        errors["scope"] = _("Choose one of the scopes offered.")
    if expires_in_days is not None and expires_in_days not in EXPIRY_DAYS:
        errors["expires"] = _("Choose one of the expiry times offered.")
    if errors:
        raise ValidationError(errors)
    if AccessToken.objects.filter(user=user).usable().count() >= MAX_TOKENS:
        raise ValidationError(
            _("You have %(count)d active tokens. Revoke one before making another.")
            % {"count": MAX_TOKENS}
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    token = AccessToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:SHOWN_CHARACTERS],
        digest=digest(secret),
        scope=scope,
        expires_at=timezone.now() + datetime.timedelta(days=expires_in_days)
        if expires_in_days
        else None,
    )
    return token, secret


def token_revoke(*, user: User, token: AccessToken) -> None:
    """Revoke one of `user`'s own tokens; it stops working at once."""
    if token.user_id != user.pk:
        raise PermissionDenied
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def authenticate(secret: str) -> AccessToken | None:
    """The usable token whose secret this is, with its active user, or None."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    token = (
        AccessToken.objects.usable()
        .select_related("user", "user__main_team")
        .filter(digest=digest(secret), user__is_active=True)
        .first()
    )
    return token


def touch(token: AccessToken, address: str | None) -> None:
    """Record the token's last use (time and address), at most once a minute."""
    now = timezone.now()
    address = address or None
    if (
        token.last_used_at
        and now - token.last_used_at < TOUCH_EVERY
        and token.last_used_ip == address
    ):
        return
    AccessToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=address)
    token.last_used_at, token.last_used_ip = now, address

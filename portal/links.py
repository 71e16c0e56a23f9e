"""One-time sign-in links (the portal has no passwords).

A link is the id and nonce of a SignInLink row, signed with the SECRET_KEY
and a timestamp (django.core.signing): a changed character fails the
signature, a link older than LINK_AGE fails its timestamp and the row's
creation time, and using it sets `used_at` in one conditional UPDATE, so it
works once. A link signs in the contact it was made for, and only while
that contact still has the address it was sent to.
"""

import datetime

from django.core import signing
from django.db import transaction
from django.utils import timezone

from crm.models import Contact
from helpdesk.queue import enqueue

from .models import SignInLink

LINK_AGE = datetime.timedelta(minutes=15)
SALT = "portal.sign-in-link"
SEND = "portal.tasks.send_sign_in_email"


def link_request(email: str, *, language: str) -> SignInLink | None:
    """Make a link for the contact with `email`, emailed by the worker after
    commit; None when no contact has that address (the page says the same
    either way, so it tells nobody who our customers are)."""
    contact = Contact.objects.oldest_with_email(email.strip())
    if contact is None:
        return None
    with transaction.atomic():
        link = SignInLink.objects.create(
            contact=contact, email=contact.email, language=language[:10]
        )
        transaction.on_commit(lambda: enqueue(SEND, link.pk))
    return link


def link_token(link: SignInLink) -> str:
    return signing.dumps([link.pk, link.nonce], salt=SALT)


def _unsigned(token: str) -> tuple[int, str] | None:
    try:
        pk, nonce = signing.loads(token, salt=SALT, max_age=LINK_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(pk, int) or not isinstance(nonce, str):
        return None
    return pk, nonce


def _usable(pk: int, nonce: str, now: datetime.datetime):
    return SignInLink.objects.filter(
        pk=pk, nonce=nonce, used_at__isnull=True, created_at__gt=now - LINK_AGE
    )


def link_is_usable(token: str) -> bool:
    """Whether `token` would sign someone in now (the page before the button:
    opening a link uses nothing, so a mail scanner that fetches it does not
    spend it)."""
    unsigned = _unsigned(token)
    return unsigned is not None and _usable(*unsigned, timezone.now()).exists()


def link_use(token: str) -> Contact | None:
    """The contact `token` signs in, spending the link; None when the link
    is forged, expired, used, or its contact's address has changed."""
    unsigned = _unsigned(token)
    if unsigned is None:
        return None
    now = timezone.now()
    with transaction.atomic():
        if not _usable(*unsigned, now).update(used_at=now):
            return None
        link = SignInLink.objects.select_related("contact").get(pk=unsigned[0])
    contact = link.contact
    if contact.email.lower() != link.email.lower():
        return None
    return contact


def links_purge(now: datetime.datetime | None = None) -> int:
    """Remove links a day past their use by (the beat, daily)."""
    now = now or timezone.now()
    deleted, _ = SignInLink.objects.filter(
        created_at__lt=now - LINK_AGE - datetime.timedelta(days=1)
    ).delete()
    return deleted

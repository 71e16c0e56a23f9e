from django.conf import settings
from django.db import transaction

from .models import User


def user_set_preferences(*, user: User, language: str | None = None) -> None:
    """Save the user's UI language ("" follows the browser's Accept-Language)."""
    if language is not None:
        if language and language not in dict(settings.LANGUAGES):
            raise ValueError(f"unsupported language {language!r}")
        user.language = language
        user.save(update_fields=["language"])


def user_set_availability(*, user: User, availability: str) -> bool:
    """Available or Away, as the agent sets it in the account menu. Returns
    whether it changed. The row is locked first: routing reads availability
    under the same lock (routing/services.py), so a ticket routed while the
    agent goes Away is decided before or after, never half-way."""
    if availability not in User.Availability.values:
        raise ValueError(f"unknown availability {availability!r}")
    with transaction.atomic():
        before = (
            User.objects.select_for_update()
            .filter(pk=user.pk)
            .values_list("availability", flat=True)
            .first()
        )
        user.availability = availability
        if before == availability:
            return False
        User.objects.filter(pk=user.pk).update(availability=availability)
    return True

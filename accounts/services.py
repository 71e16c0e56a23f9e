from django.conf import settings

from .models import User


def user_set_preferences(*, user: User, language: str | None = None) -> None:
    """Save the user's UI language ("" follows the browser's Accept-Language)."""
    if language is not None:
        if language and language not in dict(settings.LANGUAGES):
            raise ValueError(f"unsupported language {language!r}")
        user.language = language
        user.save(update_fields=["language"])

"""Rating links: the survey's id signed with the SECRET_KEY (no expiry in the
signature: the survey's own deadline decides, so an admin's change of it
holds for links already sent)."""

from django.core import signing

from .models import Survey

SALT = "surveys.rating-link"


def rating_token(survey: Survey) -> str:
    return signing.dumps(survey.pk, salt=SALT)


def survey_for_token(token: str) -> Survey | None:
    """The sent survey a rating link names; None for a forged or changed link."""
    try:
        pk = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(pk, int):
        return None
    return (
        Survey.objects.select_related("ticket", "ticket__owner")
        .filter(pk=pk, status=Survey.Status.SENT)
        .first()
    )

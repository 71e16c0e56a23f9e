"""The ticket table's satisfaction filters (issue 21): when the ticket's
survey was sent, its rating and when it was given. A ticket's survey is its
latest one sent (Survey.objects.current()), so the three read one survey and
the reports' drill-downs show exactly the tickets a number counts."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tickets.filters import VALUELESS, Condition, FilterError, Property, date_condition

from .models import RATING_GROUPS, Survey

RATINGS = {
    "good": _("Good"),
    "neutral": _("Neutral"),
    "bad": _("Bad"),
}


def _tickets(surveys) -> Q:
    return Q(pk__in=surveys.values("ticket_id"))


def _sent(prop: Property, condition: Condition) -> Q:
    surveys = Survey.objects.current()
    if condition.operator in VALUELESS:
        found = _tickets(surveys)
        return found if condition.operator == "known" else ~found
    return _tickets(surveys.filter(date_condition("sent_at", condition, prop)))


def _rated(prop: Property, condition: Condition) -> Q:
    rated = Survey.objects.current().filter(rated_at__isnull=False)
    if condition.operator in VALUELESS:
        found = _tickets(rated)
        return found if condition.operator == "known" else ~found
    return _tickets(rated.filter(date_condition("rated_at", condition, prop)))


def _rating(prop: Property, condition: Condition) -> Q:
    rated = Survey.objects.current().filter(rated_at__isnull=False)
    if condition.operator in VALUELESS:
        found = _tickets(rated)
        return found if condition.operator == "known" else ~found
    answers: set[str] = set()
    for value in condition.values:
        if value not in RATING_GROUPS:
            raise FilterError(
                _("“%(value)s” is not a value of %(property)s.")
                % {"value": value, "property": prop.label}
            )
        answers |= RATING_GROUPS[value]
    matched = _tickets(rated.filter(rating__in=answers))
    return matched if condition.operator == "any_of" else ~matched


SURVEY_SENT = Property("survey_sent_at", _("Survey sent"), "date", where=_sent)
RATED_AT = Property("rated_at", _("Rated"), "date", where=_rated)
RATING = Property(
    "rating",
    _("Satisfaction rating"),
    "choice",
    choices=lambda: [(key, str(label)) for key, label in RATINGS.items()],
    where=_rating,
)

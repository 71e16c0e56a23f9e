"""The ticket table's satisfaction filters (surveys.filters): a ticket's
rating is that of its latest survey sent."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import SurveyFactory, TicketFactory
from tickets import filters
from tickets.models import Ticket


@pytest.fixture
def rated(pipeline):
    now = timezone.now()
    good = TicketFactory(pipeline=pipeline, name="good")
    SurveyFactory(ticket=good, rating="5", scale="five")
    neutral = TicketFactory(pipeline=pipeline, name="neutral")
    SurveyFactory(ticket=neutral, rating="3", scale="five")
    changed = TicketFactory(pipeline=pipeline, name="changed")
    SurveyFactory(ticket=changed, rating="good", sent_at=now - datetime.timedelta(days=20))
    SurveyFactory(ticket=changed, rating="bad")  # asked again after a reopening
    unanswered = TicketFactory(pipeline=pipeline, name="unanswered")
    SurveyFactory(ticket=unanswered)
    TicketFactory(pipeline=pipeline, name="never asked")
    return now


def names(*conditions: str) -> set[str]:
    state = filters.ListState([filters.Condition.decode(c) for c in conditions])
    return set(filters.apply(Ticket.objects.all(), state, None).values_list("name", flat=True))


def test_rating_reads_each_tickets_latest_survey(rated):
    assert names("rating:any_of:good") == {"good"}
    assert names("rating:any_of:bad,neutral") == {"neutral", "changed"}
    assert names("rating:is_not:good") == {"neutral", "changed", "unanswered", "never asked"}


def test_known_and_unknown_ratings(rated):
    assert names("rating:known") == {"good", "neutral", "changed"}
    assert names("rating:unknown") == {"unanswered", "never asked"}
    assert names("survey_sent_at:unknown") == {"never asked"}


def test_dates_of_sending_and_rating(rated):
    assert names("survey_sent_at:last_days:7") == {"good", "neutral", "changed", "unanswered"}
    assert names("rated_at:last_days:7", "rating:any_of:bad") == {"changed"}


def test_an_unknown_rating_is_refused(rated):
    with pytest.raises(filters.FilterError):
        names("rating:any_of:meh")

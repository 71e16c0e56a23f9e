"""Answering a survey by its signed link (issue 20): no sign-in, one click,
the answer can change until the deadline, the same answer twice changes
nothing, a changed or forged link is a 404; the rating shows on the ticket
(header badge and timeline), a bad one tells the owner and can reopen the
ticket."""

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from conversations.models import Notification
from surveys.models import Survey
from surveys.tokens import SALT, rating_token
from tests.factories import TicketFactory
from tickets import services as ticket_services
from tickets.models import TicketEvent

from .helpers import closed_ticket, sent_survey, settings_for


@pytest.fixture
def ticket(pipeline, agent):
    ticket = closed_ticket(pipeline)
    return ticket_services.ticket_update(actor=None, ticket=ticket, owner=agent)


def url(survey, rating=""):
    path = reverse("surveys:rate", args=[rating_token(survey)])
    return f"{path}?rating={rating}" if rating else path


def rate(client, survey, rating, comment=None):
    data = {"rating": rating, "with_comment": "0" if comment is None else "1"}
    if comment is not None:
        data["comment"] = comment
    return client.post(url(survey), data)


def test_the_link_opens_a_page_that_sends_its_answer_by_script(client, ticket):
    survey = sent_survey(ticket)
    page = client.get(url(survey, "good"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "data-autosubmit" in body and 'value="good" checked' in body
    survey.refresh_from_db()
    assert survey.rating == ""  # opening alone answers nothing: a scanner fetches links too
    assert rate(client, survey, "good").status_code == 302
    survey.refresh_from_db()
    assert survey.rating == "good" and survey.rated_at is not None
    # Once saved, the same link shows the answer and does not send it again.
    assert "data-autosubmit" not in client.get(url(survey, "good")).content.decode()


def test_the_same_answer_twice_changes_nothing(client, ticket):
    survey = sent_survey(ticket)
    rate(client, survey, "good")
    rated_at = Survey.objects.get(pk=survey.pk).rated_at
    rate(client, survey, "good")
    assert Survey.objects.get(pk=survey.pk).rated_at == rated_at
    assert TicketEvent.objects.filter(ticket=ticket, kind="rated").count() == 1


def test_an_answer_can_change_and_take_a_comment_until_the_deadline(client, ticket, time_machine):
    time_machine.move_to("2026-12-04 10:00:00+00:00")
    survey = sent_survey(ticket, days=7)
    rate(client, survey, "good")
    rate(client, survey, "bad", comment="Took a week.")
    survey.refresh_from_db()
    assert (survey.rating, survey.comment) == ("bad", "Took a week.")
    rate(client, survey, "bad")  # the one-click post keeps the comment
    assert Survey.objects.get(pk=survey.pk).comment == "Took a week."
    events = TicketEvent.objects.filter(ticket=ticket, kind="rated").order_by("id")
    assert [(e.old_value, e.new_value) for e in events] == [("", "good"), ("good", "bad")]
    time_machine.move_to("2026-12-11 10:00:01+00:00")
    late = rate(client, survey, "good")
    assert late.status_code == 410
    assert client.get(url(survey, "good")).status_code == 410
    assert Survey.objects.get(pk=survey.pk).rating == "bad"


def test_a_changed_or_forged_link_is_a_404(client, ticket):
    survey = sent_survey(ticket)
    other = sent_survey(closed_ticket(ticket.pipeline))
    token = rating_token(survey)
    _payload, signature = token.split(":", 1)
    forged = [
        f"{signing.b64_encode(str(other.pk).encode()).decode()}:{signature}",
        token[:-1] + ("A" if not token.endswith("A") else "B"),
        signing.dumps(survey.pk, salt="portal.sign-in-link"),
        signing.dumps(str(survey.pk), salt=SALT),
        "nonsense",
    ]
    for token_ in forged:
        path = reverse("surveys:rate", args=[token_])
        assert client.get(path).status_code == 404, token_
        assert client.post(path, {"rating": "bad"}).status_code == 404, token_
    assert not Survey.objects.exclude(rating="").exists()


def test_a_survey_not_sent_has_no_page(client, ticket):
    survey = sent_survey(ticket)
    Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.SKIPPED)
    assert client.get(url(survey)).status_code == 404


def test_an_answer_outside_the_scale_is_refused(client, ticket):
    survey = sent_survey(ticket)
    response = rate(client, survey, "7")
    assert response.status_code == 400
    assert "Choose one of the answers." in response.content.decode()
    assert Survey.objects.get(pk=survey.pk).rating == ""
    five = sent_survey(ticket, scale="five")
    assert rate(client, five, "good").status_code == 400
    assert rate(client, five, "4").status_code == 302


def test_a_long_comment_is_refused_and_kept_on_the_page(client, ticket):
    survey = sent_survey(ticket)
    response = rate(client, survey, "good", comment="x" * 5001)
    assert response.status_code == 400 and "x" * 5001 in response.content.decode()
    assert Survey.objects.get(pk=survey.pk).rating == ""


def test_a_bad_rating_tells_the_owner_once(client, ticket, agent):
    survey = sent_survey(ticket)
    rate(client, survey, "bad")
    rate(client, survey, "bad", comment="Still broken")
    notes = Notification.objects.filter(user=agent, ticket=ticket)
    assert [n.detail for n in notes] == ["The customer rated the support as bad."]
    rate(client, survey, "good")
    assert notes.count() == 1


def test_a_bad_rating_reopens_the_ticket_where_the_pipeline_says_so(client, ticket, pipeline):
    settings_for(pipeline, reopen_on_bad=True)
    survey = sent_survey(ticket)
    rate(client, survey, "good")
    ticket.refresh_from_db()
    assert not ticket.is_open
    rate(client, survey, "bad")
    ticket.refresh_from_db()
    assert ticket.is_open


def test_a_bad_rating_leaves_the_ticket_closed_by_default(client, ticket):
    rate(client, sent_survey(ticket), "bad")
    ticket.refresh_from_db()
    assert not ticket.is_open


def test_the_rating_shows_on_the_ticket_header_and_timeline(client, ticket, agent):
    survey = sent_survey(ticket)
    rate(client, survey, "bad", comment="Slow")
    client.force_login(agent)
    body = client.get(reverse("tickets:ticket_open", args=[ticket.pk]), follow=True)
    html = body.content.decode()
    assert 'class="csat-badge is-bad"' in html and "Rated bad" in html
    assert "The customer rated the support: bad" in html


def test_a_ticket_never_rated_has_no_badge(client, pipeline, agent):
    ticket = TicketFactory(pipeline=pipeline)
    client.force_login(agent)
    html = client.get(reverse("tickets:ticket_open", args=[ticket.pk]), follow=True).content
    assert b"csat-badge" not in html


def test_rating_a_survey_after_its_deadline_never_reached_the_database(ticket):
    from surveys.services import SurveyClosed, survey_rate

    survey = sent_survey(ticket)
    Survey.objects.filter(pk=survey.pk).update(answer_until=timezone.now())
    with pytest.raises(SurveyClosed):
        survey_rate(survey=survey, rating="good")

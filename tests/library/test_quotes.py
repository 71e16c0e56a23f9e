"""Quotes (S18): line items on a deal with a total in Decimal, shown on a
signed public page where the customer accepts once, before expiry."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from conversations.inserts import inserts_for
from library.composer import quote_link
from library.models import Quote
from library.services import quote_accept
from library.tokens import link_token
from tests.factories import QuoteFactory
from tickets.models import TicketEvent


def _path(url: str) -> str:
    return url.removeprefix("https://help.example.com")


@pytest.fixture
def quote(agent, deal):
    return QuoteFactory(
        title="Annual plan",
        owner=agent,
        deal=deal,
        lines=[("Seats", "3", "19.99"), ("Onboarding", "1", "0.10"), ("Tax", "0.5", "0.01")],
    )


def test_the_total_is_summed_in_decimal_and_rounded_half_up(quote):
    # 59.97 + 0.10 + 0.005: floats would give 60.074999…; Decimal rounds to 60.08.
    assert quote.total == Decimal("60.08")
    assert isinstance(quote.total, Decimal)
    quote.currency = "KRW"
    assert quote.total == Decimal("60")


def test_the_public_page_shows_lines_and_total(client, quote, ticket):
    response = client.get(_path(quote_link(quote, ticket.pk)))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Annual plan" in page and "Onboarding" in page and "60.08 EUR" in page
    assert response["Cache-Control"] == "private, no-store"
    assert "Accept the quote" in page


def test_the_customer_accepts_once_and_the_ticket_says_so(client, quote, ticket):
    url = _path(quote_link(quote, ticket.pk))
    response = client.post(url, {"name": "Emma Wilson"})
    assert response.status_code == 302
    quote.refresh_from_db()
    accepted_at = quote.accepted_at
    assert (quote.accepted_by, quote.accepted_ticket) == ("Emma Wilson", ticket)
    assert accepted_at is not None
    # A second accept changes nothing.
    assert client.post(url, {"name": "Someone else"}).status_code == 302
    assert quote_accept(quote=quote, name="Again", ticket_id=ticket.pk) is False
    quote.refresh_from_db()
    assert (quote.accepted_by, quote.accepted_at) == ("Emma Wilson", accepted_at)
    events = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.QUOTE_ACCEPTED)
    assert list(events.values_list("old_value", "new_value")) == [("Emma Wilson", "Annual plan")]
    assert "Accepted by Emma Wilson" in client.get(url).content.decode()


def test_the_agent_sees_the_accepted_state(client, quote, ticket, agent):
    client.post(_path(quote_link(quote, ticket.pk)), {"name": "Emma Wilson"})
    client.force_login(agent)
    assert "Emma Wilson" in client.get("/library/quotes/").content.decode()
    page = client.get(f"/library/quotes/{quote.pk}/").content.decode()
    assert "Accepted by Emma Wilson" in page
    assert (
        "Emma Wilson accepted the quote “Annual plan”"
        in client.get(f"/tickets/{ticket.pk}/activity/").content.decode()
    )


def test_an_expired_quote_refuses_accept(client, quote, ticket):
    url = _path(quote_link(quote, ticket.pk))
    with time_machine.travel(timezone.now() + datetime.timedelta(days=31)):
        assert "has expired" in client.get(url).content.decode()
        assert client.post(url, {"name": "Emma"}).status_code == 410
    quote.refresh_from_db()
    assert quote.accepted_at is None
    assert not TicketEvent.objects.filter(kind=TicketEvent.Kind.QUOTE_ACCEPTED).exists()


def test_the_last_valid_day_still_accepts(client, quote, ticket):
    with time_machine.travel(timezone.now() + datetime.timedelta(days=29)):
        assert client.post(_path(quote_link(quote, ticket.pk)), {"name": "E"}).status_code == 302


def test_accepting_needs_a_name(client, quote, ticket):
    response = client.post(_path(quote_link(quote, ticket.pk)), {"name": "  "})
    assert response.status_code == 400
    quote.refresh_from_db()
    assert quote.accepted_at is None


def test_accept_is_a_post_with_csrf(quote, ticket):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.post(_path(quote_link(quote, ticket.pk)), {"name": "E"}).status_code == 403
    quote.refresh_from_db()
    assert quote.accepted_at is None


@pytest.mark.parametrize("token", ["nonsense", "WzEsMV0:forged"])
def test_a_bad_token_is_a_404(client, quote, token):
    assert client.get(f"/q/{token}/").status_code == 404
    assert client.post(f"/q/{token}/", {"name": "E"}).status_code == 404


def test_a_document_token_does_not_open_a_quote(client, quote):
    assert client.get(f"/q/{link_token('document', quote.pk, None)}/").status_code == 404


def test_agents_write_a_quote_with_lines_from_the_deal(client, agent, deal):
    client.force_login(agent)
    page = client.get(f"/library/quotes/new/?deal={deal.pk}").content.decode()
    assert "Quote for Northwind renewal" in page
    response = client.post(
        "/library/quotes/new/",
        {
            "title": "Renewal 2027",
            "deal": deal.pk,
            "currency": "PLN",
            "expires_on": "2099-01-31",
            "note": "",
            "sharing": "private",
            "lines-TOTAL_FORMS": "3",
            "lines-INITIAL_FORMS": "0",
            "lines-0-description": "Licences",
            "lines-0-quantity": "12",
            "lines-0-unit_price": "99.99",
            "lines-1-description": "Support",
            "lines-1-quantity": "1",
            "lines-1-unit_price": "250",
            "lines-2-description": "",
        },
    )
    quote = Quote.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/library/quotes/{quote.pk}/"
    assert (quote.owner, quote.deal, quote.currency) == (agent, deal, "PLN")
    assert [line.description for line in quote.lines.all()] == ["Licences", "Support"]
    assert quote.total == Decimal("1449.88")


def test_a_quote_without_lines_or_with_half_a_line_is_refused(client, agent, deal):
    client.force_login(agent)
    form = {
        "title": "Empty",
        "deal": deal.pk,
        "currency": "EUR",
        "expires_on": "2099-01-31",
        "sharing": "private",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-description": "",
    }
    assert "Add at least one line." in client.post("/library/quotes/new/", form).content.decode()
    form["lines-0-description"] = "Seats"
    assert "Enter a unit price." in client.post("/library/quotes/new/", form).content.decode()
    assert not Quote.objects.exists()


def test_an_accepted_quote_no_longer_changes(client, quote, ticket, agent):
    quote_accept(quote=quote, name="Emma", ticket_id=ticket.pk)
    client.force_login(agent)
    client.post(
        f"/library/quotes/{quote.pk}/",
        {
            "title": "Cheaper",
            "deal": quote.deal_id,
            "currency": "EUR",
            "expires_on": "2099-01-31",
            "sharing": "private",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-description": "Seats",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "1",
        },
    )
    quote.refresh_from_db()
    assert quote.title == "Annual plan" and quote.total == Decimal("60.08")


def test_insert_quote_offers_the_tickets_deal_quotes_and_a_new_one(ticket, agent, quote):
    results = [r for r in inserts_for(ticket, agent, "") if r["kind"] in {"quote", "new_quote"}]
    assert [r["kind"] for r in results] == ["quote", "new_quote"]
    assert quote_link(quote, ticket.pk) in results[0]["html"]
    assert "60.08 EUR" in results[0]["html"]
    assert results[1]["url"] == f"/library/quotes/new/?deal={ticket.deals.get().pk}"


def test_quotes_of_other_deals_are_not_offered(ticket, agent):
    QuoteFactory(title="Elsewhere", owner=agent)
    assert not [r for r in inserts_for(ticket, agent, "") if r["kind"] == "quote"]


def test_the_quotes_author_is_notified_of_the_acceptance(quote, ticket, agent, outsider):
    from conversations.models import Notification

    quote_accept(quote=quote, name="Emma Wilson", ticket_id=ticket.pk)
    [notification] = Notification.objects.filter(user=agent)
    assert notification.ticket == ticket
    assert notification.detail == "Emma Wilson accepted the quote “Annual plan”"
    # An author who can no longer see the ticket is not told about it.
    other = QuoteFactory(owner=outsider, deal=quote.deal)
    quote_accept(quote=other, name="Emma Wilson", ticket_id=ticket.pk)
    assert not Notification.objects.filter(user=outsider).exists()

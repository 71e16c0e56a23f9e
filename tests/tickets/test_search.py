"""Search over ticket name, ID, description and associated contacts (S28).

Each case runs on the database the suite runs on (PostgreSQL in CI, where the
tsvector and its GIN index answer; SQLite matches the same lexemes as text).
"""

import pytest

from tests.factories import CompanyFactory, ContactFactory, TicketFactory
from tickets import filters, queries, search
from tickets.models import Ticket


def found(user, text, view="all-open", **state):
    page = queries.tickets_for_table(
        user, queries.get_view_for_user(user, view), filters.ListState(search=text, **state)
    )
    return [t.pk for t in page.tickets]


@pytest.fixture
def emma(db):
    company = CompanyFactory(name="Nordlicht Logistik")
    return ContactFactory(
        first_name="Emma",
        last_name="Wilson",
        email="emma.wilson@example.com",
        phone="+358 40 123 4567",
        mobile="050-765 4321",
        company=company,
    )


@pytest.fixture
def tickets(pipeline, emma):
    minjun = ContactFactory(first_name="민준", last_name="김", email="minjun@example.kr")
    return {
        "emma": TicketFactory(pipeline=pipeline, name="Cannot log in", contacts=[emma]),
        "refund": TicketFactory(
            pipeline=pipeline,
            name="Question about an order",
            description="Please refund the second invoice.",
        ),
        "refund_name": TicketFactory(pipeline=pipeline, name="Refund request"),
        "korean": TicketFactory(
            pipeline=pipeline, name="결제 오류", description="환불을 요청합니다", contacts=[minjun]
        ),
        "chinese": TicketFactory(pipeline=pipeline, name="發票登入問題"),
        "polish": TicketFactory(pipeline=pipeline, name="Zgłoszenie: zamówienie nie dotarło"),
        "german": TicketFactory(pipeline=pipeline, name="Lieferung an Herrn Müller"),
        "finnish": TicketFactory(pipeline=pipeline, name="Pääkäyttäjän salasana"),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Emma", "emma"),
        ("wilson", "emma"),
        ("emma.wil", "emma"),  # the start of an address
        ("wilson@example", "emma"),  # from a part of it
        ("example.com", "emma"),  # the domain
        ("+358 40 123 4567", "emma"),
        ("040 123 4567", "emma"),  # national form, with spaces
        ("401234567", "emma"),
        ("050-765-4321", "emma"),  # the mobile, with dashes
        ("Nordlicht", "emma"),  # the contact's company
        ("환불", "korean"),  # a word inside "환불을", no space between
        ("결제", "korean"),
        ("민준", "korean"),  # the contact's Korean first name
        ("登入", "chinese"),  # inside a run of Chinese with no spaces
        ("zgłoszenie", "polish"),
        ("zgloszenie", "polish"),  # diacritics not typed
        ("zamowienie", "polish"),
        ("muller", "german"),
        ("Müller", "german"),
        ("paakayttajan", "finnish"),
        ("Pääkäyttäjän", "finnish"),
        ("salas", "finnish"),  # a word's beginning
    ],
)
def test_search_finds_each_field(agent, tickets, text, expected):
    assert found(agent, text) == [tickets[expected].pk]


def test_search_ranks_number_then_name_then_the_rest(agent, tickets):
    number = tickets["refund"].pk
    TicketFactory(pipeline=tickets["refund"].pipeline, name=f"Order {number}")
    by_words = found(agent, "refund")
    assert by_words == [tickets["refund_name"].pk, tickets["refund"].pk]
    assert found(agent, f"#{number}")[0] == number
    assert found(agent, str(number))[0] == number


def test_every_term_must_match(agent, tickets):
    assert found(agent, "refund invoice") == [tickets["refund"].pk]
    assert found(agent, "refund nothing-like-this") == []


def test_search_respects_visibility(owned_agent, tickets):
    assert found(owned_agent, "Emma") == []


def test_contact_edit_reaches_the_tickets_search(agent, tickets, emma):
    emma.last_name = "Virtanen"
    emma.email = "emma@virtanen.fi"
    emma.save()
    assert found(agent, "virtanen") == [tickets["emma"].pk]
    assert found(agent, "wilson") == []


def test_renaming_and_dissociating_update_search(agent, tickets, emma):
    from tickets import services

    services.ticket_update(actor=agent, ticket=tickets["emma"], name="Password reset")
    assert found(agent, "password") == [tickets["emma"].pk]
    services.ticket_dissociate(actor=agent, ticket=tickets["emma"], record=emma)
    assert found(agent, "wilson") == []


def test_search_pages_continue_across_ranks(agent, pipeline, settings):
    settings.HELPDESK_TABLE_PAGE_SIZE = 2
    in_name = [TicketFactory(pipeline=pipeline, name=f"Printer {i}") for i in range(3)]
    in_text = [TicketFactory(pipeline=pipeline, description="the printer jams") for _ in range(2)]
    pages = [pk for n in (1, 2, 3) for pk in found(agent, "printer", page=n)]
    assert pages == [t.pk for t in reversed(in_name)] + [t.pk for t in reversed(in_text)]


def test_highlight_marks_matched_words():
    query = search.parse("refund 환불 muller")
    html = search.highlight("Refund <b> for Müller: 환불을 요청", query)
    assert html == (
        "<mark>Refund</mark> &lt;b&gt; for <mark>Müller</mark>: <mark>환불</mark>을 요청"
    )


def test_query_parsing_limits_and_garbage():
    assert not search.parse("   ")
    assert not search.parse("!!! ???")
    assert search.parse("x" * 5000).text == "x" * 200
    assert search.parse("#42").ticket_id == 42


def test_saved_vector_survives_a_later_save(agent, tickets):
    ticket = Ticket.objects.get(pk=tickets["emma"].pk)
    ticket.save()
    assert found(agent, "wilson") == [ticket.pk]

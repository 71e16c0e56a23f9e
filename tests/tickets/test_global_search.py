"""The top bar's search (issue 19): its operators and phrases, the type-ahead
and the results page, over every ticket the agent may see and no other."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import ContactFactory, TeamFactory, TicketFactory, UserFactory
from tickets import queries, search, services
from tickets.models import WorkspacePreference

# The parser ----------------------------------------------------------------------


def test_operators_are_read_and_the_rest_are_words():
    query = search.parse(
        'status:open owner:me tag:refund from:ana@acme.example team:"Support A" '
        'priority:high is:unassigned "printer jam" toner'
    )
    assert query.statuses == ("open",)
    assert query.owners == ("me",)
    assert query.tags == ("refund",)
    assert query.senders == ("ana@acme.example",)
    assert query.teams == ("Support A",)
    assert query.priorities == ("high",)
    assert query.flags == ("unassigned",)
    assert query.phrases == ("printer jam",)
    assert [t.alternatives[0][0] for t in query.terms] == ["printer", "jam", "toner"]
    assert query.ticket_id is None


def test_operator_names_ignore_case_and_repeat_as_alternatives():
    query = search.parse("STATUS:New status:Waiting status:new Tag:vip")
    assert query.statuses == ("New", "Waiting", "new")  # as typed; matched folded
    assert query.tags == ("vip",)


def test_an_unknown_operator_is_words_and_an_empty_one_nothing():
    query = search.parse("colour:red")
    assert [t.alternatives[0][0] for t in query.terms] == ["colour", "red"]
    assert not search.parse("status: tag:")
    assert search.parse("#42").ticket_id == 42
    assert search.parse('"42"').ticket_id is None


def test_an_unclosed_quote_is_words():
    query = search.parse('"printer jam')
    assert query.phrases == ()
    assert [t.alternatives[0][0] for t in query.terms] == ["printer", "jam"]


# Applying it ----------------------------------------------------------------------


def found(user, text):
    with translation.override("en"):
        page = queries.search_everywhere(user, search.parse(text))
        return {t.name for t in page.tickets}, [str(p) for p in page.problems]


@pytest.fixture
def desk(pipeline, agent, team_a, team_b):
    ana = ContactFactory(first_name="Ana", last_name="Virtanen", email="ana@acme.example")
    bob = ContactFactory(first_name="Bob", last_name="Stone", email="bob@other.example")
    waiting = pipeline.stages.filter(is_closed=False).order_by("position")[1]
    closed = pipeline.stages.filter(is_closed=True).first()
    tickets = {
        "printer": TicketFactory(
            pipeline=pipeline, team=team_a, owner=agent, name="Printer jam", contacts=[ana]
        ),
        "jam": TicketFactory(
            pipeline=pipeline, team=team_a, name="Jam in the printer", contacts=[bob]
        ),
        "toner": TicketFactory(
            pipeline=pipeline, team=team_b, priority="high", name="Toner empty", contacts=[ana]
        ),
        "closed": TicketFactory(
            pipeline=pipeline,
            team=team_b,
            name="Old invoice",
            stage=closed,
            category="billing_issue",
        ),
    }
    services.ticket_set_stage(actor=agent, ticket=tickets["jam"], stage=waiting)
    services.ticket_tag(actor=agent, ticket=tickets["toner"], add=["refund"])
    return tickets | {"waiting": waiting}


def test_each_operator_narrows(agent, desk):
    assert found(agent, "owner:me") == ({"Printer jam"}, [])
    assert found(agent, "is:unassigned printer") == ({"Jam in the printer"}, [])
    assert found(agent, "status:closed") == ({"Old invoice"}, [])
    assert found(agent, "status:open tag:refund") == ({"Toner empty"}, [])
    waiting = desk["waiting"].name.lower()  # "waiting on contact"
    assert found(agent, f'status:"{waiting}"')[0] == {"Jam in the printer"}
    assert found(agent, "priority:HIGH") == ({"Toner empty"}, [])
    assert found(agent, 'team:"support b"')[0] == {"Toner empty", "Old invoice"}
    assert found(agent, "from:ana@acme.example")[0] == {"Printer jam", "Toner empty"}
    assert found(agent, "from:acme.example toner")[0] == {"Toner empty"}
    assert found(agent, "from:bob")[0] == {"Jam in the printer"}
    assert found(agent, '"printer jam"')[0] == {"Printer jam"}
    assert found(agent, "printer jam")[0] == {"Printer jam", "Jam in the printer"}


def test_a_value_that_names_nothing_finds_nothing_and_says_why(agent, desk):
    assert found(agent, "status:nosuch") == (set(), ["No status is called “nosuch”."])
    assert found(agent, "team:nowhere printer")[1] == ["No team is called “nowhere”."]
    assert found(agent, "priority:whenever")[0] == set()
    assert found(agent, "is:weird")[1] == ["“is:weird” is not a search operator."]


def test_the_search_covers_only_what_the_agent_may_see(team_agent, owned_agent, desk):
    assert found(team_agent, "printer")[0] == {"Printer jam", "Jam in the printer"}
    assert found(team_agent, "toner")[0] == set()  # team B's
    assert found(team_agent, 'team:"Support B"')[0] == set()
    assert found(owned_agent, "printer")[0] == set()


def test_a_collaborator_searches_every_ticket_they_may_see(pipeline, team_a, team_b, client):
    from accounts.models import User

    sam = UserFactory(
        username="sam",
        role=User.Role.COLLABORATOR,
        main_team=team_a,
        visibility=User.Visibility.TEAMS,
    )
    TicketFactory(pipeline=pipeline, team=team_a, name="Printer jam")
    TicketFactory(pipeline=pipeline, team=team_b, name="Printer secret")
    client.force_login(sam)
    response = client.get(reverse("tickets:search"), {"q": "printer"})
    assert response.status_code == 200
    assert [t.name for t in response.context["results"].tickets] == ["Printer jam"]


# The pages -----------------------------------------------------------------------


def test_the_type_ahead_shows_the_best_tickets_and_their_contacts(
    client, agent, desk, django_assert_max_num_queries
):
    client.force_login(agent)
    url = reverse("tickets:search_suggest")
    client.get(url, {"q": "ana"})
    # Session, user, how many match (up to the cap), tickets named, other tickets, contacts.
    with django_assert_max_num_queries(6):
        body = client.get(url, {"q": "ana"}).content.decode()
    assert "Printer jam" in body and "Toner empty" in body and "Jam in the printer" not in body
    assert "Ana Virtanen" in body and "ana@acme.example" in body
    assert f"#{desk['printer'].pk}" in body
    assert reverse("tickets:search") + "?q=ana" in body


def test_the_type_ahead_shows_at_most_eight_tickets(client, agent, pipeline):
    TicketFactory.create_batch(12, pipeline=pipeline, name="Printer jam")
    client.force_login(agent)
    body = client.get(reverse("tickets:search_suggest"), {"q": "printer"}).content.decode()
    assert len(re.findall(r"id=\"suggest-t\d", body)) == queries.SUGGESTED_TICKETS


def test_the_results_page_remembers_the_search_and_keeps_its_queries_constant(
    client, agent, pipeline, django_assert_max_num_queries
):
    client.force_login(agent)
    url = reverse("tickets:search")
    TicketFactory.create_batch(3, pipeline=pipeline, name="Printer jam")
    client.get(url, {"q": "printer status:open"})
    with django_assert_max_num_queries(30) as few:
        client.get(url, {"q": "printer status:open"})
    TicketFactory.create_batch(20, pipeline=pipeline, name="Printer jam")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, {"q": "printer status:open"})
    assert len(response.context["results"].tickets) == 23
    assert response.context["total"] == 23
    assert WorkspacePreference.for_user(agent).recent_searches == ["printer status:open"]


def test_recent_searches_keep_the_latest_eight_once_each(client, agent):
    client.force_login(agent)
    for n in range(10):
        client.get(reverse("tickets:search"), {"q": f"search {n}"})
    client.get(reverse("tickets:search"), {"q": "search 5"})
    recent = WorkspacePreference.objects.get(user=agent).recent_searches
    assert recent == [f"search {n}" for n in (5, 9, 8, 7, 6, 4, 3, 2)]
    body = client.get(reverse("tickets:search_suggest"), {"q": ""}).content.decode()
    assert "Recent searches" in body and "search 9" in body
    # Another agent's are their own.
    other = UserFactory(main_team=TeamFactory())
    client.force_login(other)
    body = client.get(reverse("tickets:search_suggest"), {"q": ""}).content.decode()
    assert "search 9" not in body


def test_bad_input_to_the_results_page_is_harmless(client, agent, pipeline):
    TicketFactory(pipeline=pipeline, name="Printer jam")
    client.force_login(agent)
    url = reverse("tickets:search")
    for params in ({"q": "printer", "page": "x"}, {"q": "printer", "page": "-3"}, {}):
        response = client.get(url, params)
        assert response.status_code == 200
    assert client.get(url, {"q": "\x00" * 500 + "printer"}).status_code == 200
    empty = client.get(url, {"q": ""})
    assert WorkspacePreference.for_user(agent).recent_searches == ["printer"]
    assert "Search operators" in empty.content.decode()


def test_the_results_pages_follow_each_other(client, agent, pipeline, monkeypatch):
    from tickets.views import search as views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    made = [TicketFactory(pipeline=pipeline, name=f"Printer {n}") for n in range(5)]
    client.force_login(agent)
    url = reverse("tickets:search")
    seen = []
    for page in (1, 2, 3):
        response = client.get(url, {"q": "printer", "page": page})
        seen += [t.pk for t in response.context["results"].tickets]
    assert seen == [t.pk for t in reversed(made)]
    assert 'rel="next"' not in response.content.decode()


def test_the_search_box_is_in_the_top_bar(client, agent):
    client.force_login(agent)
    body = client.get(reverse("tickets:view_tickets", args=["all-open"])).content.decode()
    assert 'role="search"' in body and reverse("tickets:search_suggest") in body

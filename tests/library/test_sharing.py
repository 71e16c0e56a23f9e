"""Documents and quotes are shared as templates, custom views and macros are
(S18, S27): private to the owner, with chosen teams, or with everyone; only the
owner (or a super admin) changes them."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from conversations.inserts import inserts_for
from library import services
from library.models import Document
from library.queries import documents_for_user, quotes_for_user
from tests.factories import DocumentFactory, QuoteFactory


@pytest.fixture
def shelf(agent, team_a, team_b, outsider, deal):
    return {
        "private": DocumentFactory(name="Agent's notes", owner=agent, sharing="private"),
        "team_a": DocumentFactory(
            name="Team A guide", owner=agent, sharing="teams", teams=[team_a]
        ),
        "team_b": DocumentFactory(
            name="Team B guide", owner=outsider, sharing="teams", teams=[team_b]
        ),
        "everyone": DocumentFactory(name="Price list", owner=outsider, sharing="everyone"),
        "quote_private": QuoteFactory(
            title="Outsider's draft", owner=outsider, deal=deal, sharing="private"
        ),
        "quote_team_a": QuoteFactory(
            title="Team A offer", owner=agent, deal=deal, sharing="teams", teams=[team_a]
        ),
    }


def test_each_agent_sees_their_own_and_what_is_shared_with_them(shelf, agent, team_agent, outsider):
    assert set(documents_for_user(agent).values_list("name", flat=True)) == {
        "Agent's notes",
        "Team A guide",
        "Price list",
    }
    assert set(documents_for_user(team_agent).values_list("name", flat=True)) == {
        "Team A guide",
        "Price list",
    }
    assert set(documents_for_user(outsider).values_list("name", flat=True)) == {
        "Team B guide",
        "Price list",
    }
    assert list(quotes_for_user(team_agent).values_list("title", flat=True)) == ["Team A offer"]
    assert list(quotes_for_user(outsider).values_list("title", flat=True)) == ["Outsider's draft"]


def test_the_insert_menu_offers_only_what_the_agent_may_see(shelf, ticket, team_agent, outsider):
    labels = {
        r["label"]
        for r in inserts_for(ticket, team_agent, "")
        if r["kind"] in {"document", "quote"}
    }
    assert labels == {"Team A guide", "Price list", "Team A offer"}
    labels = {
        r["label"] for r in inserts_for(ticket, outsider, "") if r["kind"] in {"document", "quote"}
    }
    assert labels == {"Team B guide", "Price list", "Outsider's draft"}


def test_a_team_shared_item_appears_once_for_a_member_of_several_teams(agent, team_a, team_b):
    agent.teams.add(team_b)
    agent = type(agent).objects.get(pk=agent.pk)
    DocumentFactory(name="Both", owner=agent, sharing="teams", teams=[team_a, team_b])
    assert list(documents_for_user(agent).values_list("name", flat=True)) == ["Both"]


def test_agents_share_only_with_their_own_teams(agent, team_a, team_b):
    upload = SimpleUploadedFile("g.pdf", b"%PDF-1.4")
    with pytest.raises(ValidationError) as error:
        services.document_save(
            actor=agent, name="G", sharing="teams", teams=[team_b], upload=upload
        )
    assert "teams" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.document_save(actor=agent, name="G", sharing="teams", teams=[], upload=upload)
    document = services.document_save(
        actor=agent, name="G", sharing="teams", teams=[team_a], upload=upload
    )
    assert list(document.teams.all()) == [team_a]
    assert Document.objects.count() == 1


def test_only_the_owner_edits_a_shared_document(client, shelf, agent, outsider, super_admin):
    price_list = shelf["everyone"]
    url = f"/library/documents/{price_list.pk}/"
    client.force_login(agent)
    assert client.get(url).status_code == 403
    assert client.post(f"{url}delete/").status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 200
    client.force_login(super_admin)
    assert client.get(url).status_code == 200


def test_a_document_not_shared_with_the_agent_is_a_404(client, shelf, team_agent):
    client.force_login(team_agent)
    assert client.get(f"/library/documents/{shelf['private'].pk}/").status_code == 404
    assert client.get(f"/library/quotes/{shelf['quote_private'].pk}/").status_code == 404
    assert client.post(f"/library/quotes/{shelf['quote_private'].pk}/delete/").status_code == 404


def test_collaborators_without_a_seat_have_no_library(client, collaborator):
    client.force_login(collaborator)
    assert client.get("/library/documents/").status_code == 403
    assert client.get("/library/quotes/").status_code == 403


def test_the_library_pages_need_sign_in_and_the_right_method(client, agent):
    assert client.get("/library/documents/").status_code == 302
    client.force_login(agent)
    assert client.post("/library/documents/").status_code == 405
    assert client.get("/library/documents/1/delete/").status_code == 405

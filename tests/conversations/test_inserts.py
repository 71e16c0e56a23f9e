import pytest
from django.urls import reverse

from conversations.inserts import fill_placeholders, inserts_for
from conversations.models import KnowledgeArticle, MeetingLink, ReplyTemplate, Snippet
from tests.factories import CompanyFactory, ContactFactory, TicketFactory


@pytest.fixture
def ticket(pipeline, team_a):
    contact = ContactFactory(
        first_name="Emma", last_name="Wilson", company=CompanyFactory(name="Northwind")
    )
    return TicketFactory(pipeline=pipeline, team=team_a, name="Refund", contacts=[contact])


@pytest.fixture
def library(db):
    Snippet.objects.create(name="Thanks", shortcut="thanks", body="Thanks for waiting.")
    ReplyTemplate.objects.create(
        name="Refund confirmed",
        body="Hi {contact_first_name},\nRefund for {ticket_number} at {company_name}. {unknown}\n{agent_name}",
    )
    KnowledgeArticle.objects.create(
        title="Reset password", body="Use the link.", url="https://help.example.com/reset"
    )
    MeetingLink.objects.create(name="Book a call", url="https://meet.example.com/30")


def test_templates_are_filled_for_the_ticket(ticket, agent, library):
    [template] = [r for r in inserts_for(ticket, agent, "refund") if r["kind"] == "template"]
    assert template["html"] == (
        f"<p>Hi Emma,</p><p>Refund for #{ticket.pk} at Northwind. {{unknown}}</p>"
        f"<p>{agent.display_name}</p>"
    )


def test_placeholder_values_are_escaped_never_executed():
    html = fill_placeholders(
        "<p>Hi {contact_first_name} {{ 7|add:1 }}</p>", {"contact_first_name": "<script>x</script>"}
    )
    assert html == "<p>Hi &lt;script&gt;x&lt;/script&gt; {{ 7|add:1 }}</p>"


def test_a_hash_searches_snippet_shortcuts_only(ticket, agent, library):
    results = inserts_for(ticket, agent, "#tha")
    assert [(r["kind"], r["html"]) for r in results] == [("snippet", "<p>Thanks for waiting.</p>")]


def test_articles_insert_a_link_or_their_text(ticket, agent, library):
    [article] = [r for r in inserts_for(ticket, agent, "password") if r["kind"] == "article"]
    assert 'href="https://help.example.com/reset"' in article["html"]
    assert article["text_html"].startswith("<p>Use the link.</p>")


def test_the_insert_menu_view(client, agent, outsider, ticket, library):
    url = reverse("conversations:insert_search", args=[ticket.pk])
    client.force_login(agent)
    body = client.get(url, {"q": "book"}).content.decode()
    assert "Book a call" in body and "https://meet.example.com/30" in body
    assert "Nothing to insert matches." in client.get(url, {"q": "zzz"}).content.decode()
    assert client.post(url).status_code == 405
    client.force_login(outsider)
    assert client.get(url).status_code == 404

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


@pytest.fixture
def price_list(db, settings, tmp_path):
    from django.core.files.base import ContentFile

    from conversations.models import Document

    settings.MEDIA_ROOT = tmp_path
    settings.HELPDESK_BASE_URL = "https://help.example.com"
    document = Document(
        name="Price list 2027",
        filename="prices.pdf",
        content_type="application/octet-stream",
        size=8,
    )
    document.file.save("prices", ContentFile(b"%PDF-1.4"))
    return document


def test_documents_insert_a_share_link(ticket, agent, price_list):
    [document] = [r for r in inserts_for(ticket, agent, "price") if r["kind"] == "document"]
    assert document["html"] == (
        f'<p><a href="https://help.example.com/d/{price_list.token}/" '
        'rel="noopener noreferrer nofollow">Price list 2027</a></p>'
    )
    assert len(price_list.token) >= 32


def test_a_share_link_downloads_without_sign_in_and_dies_with_a_new_token(client, price_list):
    from conversations.models import document_token

    response = client.get(f"/d/{price_list.token}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    old = price_list.token
    price_list.token = document_token()
    price_list.save()
    assert client.get(f"/d/{old}/").status_code == 404
    assert client.get("/d//").status_code == 404
    assert client.post(f"/d/{price_list.token}/").status_code == 405


def test_admins_upload_documents_with_names_and_types_decided_by_us(
    client, super_admin, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from conversations.models import Document

    settings.MEDIA_ROOT = tmp_path
    client.force_login(super_admin)
    response = client.post(
        "/admin/conversations/document/add/",
        {
            "name": "Guide",
            "file": SimpleUploadedFile("../../guide.html", b"<script>x</script>", "text/html"),
        },
    )
    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.filename, document.content_type, document.size) == (
        "guide.html",
        "application/octet-stream",
        18,
    )
    assert document.file.name.startswith("documents/") and "guide" not in document.file.name

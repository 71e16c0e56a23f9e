"""Documents (S18): uploaded once in the workspace, inserted as a signed link
that names the ticket; the customer's opens are counted there."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conversations.inserts import inserts_for
from library.composer import document_link
from library.models import Document, DocumentOpen
from library.tokens import link_token
from tests.factories import DocumentFactory
from tickets.models import TicketEvent


def _path(url: str) -> str:
    return url.removeprefix("https://help.example.com")


@pytest.fixture
def guide(agent):
    return DocumentFactory(name="Setup guide", owner=agent)


def test_the_insert_menu_offers_a_link_signed_for_this_ticket(ticket, agent, guide):
    [result] = [r for r in inserts_for(ticket, agent, "setup") if r["kind"] == "document"]
    url = document_link(guide, ticket.pk)
    assert result["html"] == (
        f'<p><a href="{url}" rel="noopener noreferrer nofollow">Setup guide</a></p>'
    )
    assert url.startswith("https://help.example.com/l/")
    assert url == document_link(guide, ticket.pk)  # inserting twice gives one link


def test_opening_the_link_records_the_open_and_serves_the_file(client, ticket, guide):
    url = _path(document_link(guide, ticket.pk))
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 guide"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["X-Content-Type-Options"] == "nosniff"
    opened = DocumentOpen.objects.get(document=guide, ticket=ticket)
    assert opened.open_count == 1
    first = opened.first_opened_at
    client.get(url)
    opened.refresh_from_db()
    assert (opened.open_count, opened.first_opened_at) == (2, first)
    assert opened.last_opened_at >= first
    # One timeline line for the first open only.
    events = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.OPENED)
    assert list(events.values_list("new_value", flat=True)) == ["Setup guide"]


def test_the_agent_sees_opened_on_the_timeline_and_in_the_library(client, ticket, guide, agent):
    client.get(_path(document_link(guide, ticket.pk)))
    client.force_login(agent)
    page = client.get(f"/tickets/{ticket.pk}/activity/").content.decode()
    assert "The customer opened the document “Setup guide”" in page
    page = client.get("/library/documents/").content.decode()
    assert "1 × on 1 ticket" in page


def test_an_agent_checking_the_link_is_not_counted(client, ticket, guide, agent):
    client.force_login(agent)
    assert client.get(_path(document_link(guide, ticket.pk))).status_code == 200
    assert not DocumentOpen.objects.exists()


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "WzEsMV0:forged",
        link_token("quote", 1, 1),  # a quote's link is not a document's
    ],
)
def test_a_bad_token_is_a_404_and_records_nothing(client, ticket, guide, token):
    assert client.get(f"/l/{token}/").status_code == 404
    assert not DocumentOpen.objects.exists()


def test_a_changed_ticket_id_breaks_the_signature(client, ticket, guide):
    token = link_token("document", guide.pk, ticket.pk)
    payload, rest = token.split(":", 1)
    other = link_token("document", guide.pk, ticket.pk + 1).split(":", 1)[0]
    assert client.get(f"/l/{other}:{rest}/").status_code == 404
    assert client.get(f"/l/{payload}:{rest}/").status_code == 200


def test_deleting_the_document_ends_its_links(client, ticket, guide, agent):
    url = _path(document_link(guide, ticket.pk))
    client.force_login(agent)
    assert client.post(f"/library/documents/{guide.pk}/delete/").status_code == 302
    client.logout()
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 405


def test_agents_upload_documents_with_names_and_types_decided_by_us(client, agent):
    client.force_login(agent)
    response = client.post(
        "/library/documents/new/",
        {
            "name": "Guide",
            "file": SimpleUploadedFile("../../guide.html", b"<script>x</script>", "text/html"),
            "sharing": "everyone",
        },
    )
    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.owner, document.filename, document.content_type, document.size) == (
        agent,
        "guide.html",
        "application/octet-stream",
        18,
    )
    assert document.file.name.startswith("documents/") and "guide" not in document.file.name


def test_an_upload_without_a_file_says_so_next_to_the_field(client, agent):
    client.force_login(agent)
    response = client.post("/library/documents/new/", {"name": "Guide", "sharing": "private"})
    assert response.status_code == 200
    assert "Choose a file to upload." in response.content.decode()
    assert not Document.objects.exists()


def test_documents_are_too_big_past_the_limit(client, agent, settings):
    settings.HELPDESK_DOCUMENT_MAX_BYTES = 4
    client.force_login(agent)
    response = client.post(
        "/library/documents/new/",
        {"name": "Big", "file": SimpleUploadedFile("b.bin", b"12345"), "sharing": "private"},
    )
    assert "larger than" in response.content.decode()
    assert not Document.objects.exists()


def test_links_sent_before_tracking_still_download(client, db):
    document = DocumentFactory(token="legacy-token-of-enough-length-000000")
    response = client.get("/d/legacy-token-of-enough-length-000000/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 guide"
    assert client.get("/d/other/").status_code == 404
    assert document.opens.count() == 0


def test_a_link_inserted_into_a_comment_is_the_same_tracked_link(client, ticket, guide, agent):
    """Comments (S24) take the same inserts; the link names the ticket either way."""
    client.force_login(agent)
    body = client.get(f"/tickets/{ticket.pk}/inserts/", {"q": "setup"}).content.decode()
    assert "/l/" in body and "Setup guide" in body

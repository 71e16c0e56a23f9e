"""Messages, replies, comments and attachments through the API."""

from django.core.files.uploadedfile import SimpleUploadedFile

from conversations.models import Attachment, Message, OutboundEmail
from tests.factories import ContactFactory, inbound_message

JSON = "application/json"


def test_messages_are_listed_newest_first_in_pages(agent, api, ticket_a):
    contact = ContactFactory()
    made = [inbound_message(ticket_a, contact=contact, text=f"n{n}") for n in range(3)]
    client = api(agent, "read")
    import api.endpoints.conversations as endpoint

    endpoint.PAGE, saved = 2, endpoint.PAGE
    try:
        first = client.get(f"/api/v1/tickets/{ticket_a.pk}/messages").json()
        second = client.get(first["next"]).json()
    finally:
        endpoint.PAGE = saved
    assert [m["id"] for m in first["items"] + second["items"]] == [m.pk for m in reversed(made)]
    assert second["next"] is None
    assert first["items"][0]["direction"] == "inbound"


def test_reply_by_email_goes_to_the_customer(agent, api, ticket_a):
    contact = ContactFactory(email="customer@example.com")
    inbound_message(ticket_a, contact=contact)
    response = api(agent).post(
        f"/api/v1/tickets/{ticket_a.pk}/replies",
        {"html": "<p>We are on it.</p>"},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["direction"] == "outbound" and body["to"] == ["customer@example.com"]
    message = Message.objects.get(pk=body["id"])
    assert message.author == agent
    assert OutboundEmail.objects.filter(message=message).exists()


def test_an_empty_reply_is_a_422(agent, api, ticket_a):
    inbound_message(ticket_a)
    response = api(agent).post(
        f"/api/v1/tickets/{ticket_a.pk}/replies", {"html": "<p> </p>"}, content_type=JSON
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/html"


def test_comment_with_an_uploaded_file(agent, api, ticket_a):
    client = api(agent)
    upload = client.post(
        f"/api/v1/tickets/{ticket_a.pk}/attachments",
        {"file": SimpleUploadedFile("log.txt", b"trace", content_type="text/plain")},
    )
    assert upload.status_code == 201, upload.content
    file_id = upload.json()["id"]
    response = client.post(
        f"/api/v1/tickets/{ticket_a.pk}/comments",
        {"html": "<p>See the log</p>", "attachments": [file_id]},
        content_type=JSON,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "comment"
    assert [a["id"] for a in body["attachments"]] == [file_id]
    content = client.get(body["attachments"][0]["url"])
    assert b"".join(content.streaming_content) == b"trace"


def test_a_file_over_the_limit_is_refused(agent, api, ticket_a, settings):
    settings.HELPDESK_ATTACHMENT_MAX_BYTES = 10
    response = api(agent).post(
        f"/api/v1/tickets/{ticket_a.pk}/attachments",
        {"file": SimpleUploadedFile("big.bin", b"x" * 11)},
    )
    assert response.status_code == 422
    assert "big.bin" in response.json()["detail"]
    assert not Attachment.objects.exists()


def test_someone_elses_pending_upload_cannot_be_attached(agent, api, ticket_a, super_admin):
    upload = api(super_admin).post(
        f"/api/v1/tickets/{ticket_a.pk}/attachments",
        {"file": SimpleUploadedFile("a.txt", b"a")},
    )
    pending = upload.json()
    assert api(agent).get(pending["url"]).status_code == 404
    response = api(agent).post(
        f"/api/v1/tickets/{ticket_a.pk}/comments",
        {"html": "<p>x</p>", "attachments": [pending["id"]]},
        content_type=JSON,
    )
    assert response.json()["attachments"] == []

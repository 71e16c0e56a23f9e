"""A team-scoped token cannot read, count or find another team's ticket by
any endpoint: each answers 404 (or leaves it out) exactly as for a ticket
that does not exist."""

import pytest
from django.urls import reverse

from api.api import api as ninja_api
from tests.factories import ContactFactory, TicketFactory, inbound_message

JSON = "application/json"


@pytest.fixture
def hidden(pipeline, team_b, agent):
    """Team B's ticket, with a contact, a message and a file."""
    ticket = TicketFactory(pipeline=pipeline, team=team_b, name="Team B secret zebra")
    contact = ContactFactory(email="zed@example.com")
    ticket.contacts.add(contact)
    message = inbound_message(ticket, contact=contact, text="zebra")
    from django.core.files.base import ContentFile

    from conversations.models import Attachment

    attachment = Attachment.objects.create(
        ticket=ticket,
        message=message,
        file=ContentFile(b"secret", name="secret.txt"),
        filename="secret.txt",
        content_type="text/plain",
        size=6,
    )
    return ticket, contact, attachment


def test_every_ticket_endpoint_answers_404_for_another_teams_ticket(
    team_agent, api, hidden, ticket_a
):
    ticket, _contact, attachment = hidden
    client = api(team_agent)
    pk = ticket.pk
    calls = [
        ("get", f"/api/v1/tickets/{pk}", None),
        ("patch", f"/api/v1/tickets/{pk}", {"priority": "low"}),
        ("delete", f"/api/v1/tickets/{pk}", None),
        ("post", f"/api/v1/tickets/{pk}/restore", None),
        ("post", f"/api/v1/tickets/{pk}/merge", {"into": ticket_a.pk}),
        ("get", f"/api/v1/tickets/{pk}/sla", None),
        ("get", f"/api/v1/tickets/{pk}/timeline", None),
        ("get", f"/api/v1/tickets/{pk}/related", None),
        ("get", f"/api/v1/tickets/{pk}/messages", None),
        ("post", f"/api/v1/tickets/{pk}/replies", {"html": "<p>hi</p>", "to": ["a@b.c"]}),
        ("post", f"/api/v1/tickets/{pk}/comments", {"html": "<p>hi</p>"}),
        ("get", f"/api/v1/attachments/{attachment.pk}/content", None),
    ]
    for method, url, body in calls:
        kwargs = {"data": body, "content_type": JSON} if body is not None else {}
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code == 404, (method, url, response.status_code)
        assert response["Content-Type"] == "application/problem+json"
    # Merging a visible ticket into the hidden one is refused as not found too.
    into = client.post(f"/api/v1/tickets/{ticket_a.pk}/merge", {"into": pk}, content_type=JSON)
    assert into.status_code == 422
    upload = client.post(f"/api/v1/tickets/{pk}/attachments", {"file": _file()})
    assert upload.status_code == 404
    ticket.refresh_from_db()
    assert ticket.priority == "" and ticket.deleted_at is None and ticket.merged_into_id is None
    assert ticket.messages.count() == 1


def _file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("a.txt", b"hello", content_type="text/plain")


def test_lists_counts_searches_and_views_leave_it_out(team_agent, api, hidden, ticket_a):
    ticket, contact, _attachment = hidden
    client = api(team_agent, "read")
    for params in ({}, {"q": "zebra"}, {"q": f"#{ticket.pk}"}, {"f": "name:contains:zebra"}):
        listed = client.get("/api/v1/tickets", params).json()["items"]
        assert ticket.pk not in [t["id"] for t in listed], params
        counted = client.get("/api/v1/tickets/count", params).json()
        assert counted["count"] == (0 if params else 1), params
    for slug in ("all", "all-open", "unassigned"):
        run = client.get(f"/api/v1/views/{slug}/tickets").json()["items"]
        assert ticket.pk not in [t["id"] for t in run]
    by_contact = client.get(f"/api/v1/contacts/{contact.pk}/tickets").json()["items"]
    assert by_contact == []
    company_less = client.get("/api/v1/tickets", {"f": "contact:is:zed@example.com"})
    assert company_less.json()["items"] == []


def test_the_agent_who_sees_everything_gets_it(agent, api, hidden):
    ticket, contact, attachment = hidden
    client = api(agent, "read")
    assert client.get(f"/api/v1/tickets/{ticket.pk}").status_code == 200
    assert client.get(f"/api/v1/contacts/{contact.pk}/tickets").json()["items"][0]["id"] == (
        ticket.pk
    )
    assert client.get(f"/api/v1/attachments/{attachment.pk}/content").status_code == 200


def test_the_visibility_test_covers_every_ticket_route():
    """A new route under /tickets/{pk} must be added to the list above."""
    covered = {
        "ticket_get",
        "ticket_update",
        "ticket_delete",
        "ticket_restore",
        "ticket_merge",
        "ticket_sla",
        "ticket_timeline",
        "ticket_related",
        "message_list",
        "reply_send",
        "comment_add",
        "attachment_upload",
        "attachment_content",
    }
    routes = {
        op.url_name
        for router in (r for _prefix, r in ninja_api._routers)
        for path, view in router.path_operations.items()
        for op in view.operations
        if "pk}" in path and (path.startswith("/tickets/") or path.startswith("/attachments/"))
    }
    assert routes == covered
    assert reverse("api-v1:ticket_get", args=[1]) == "/api/v1/tickets/1"

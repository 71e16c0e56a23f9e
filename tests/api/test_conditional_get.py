"""Conditional GET: If-None-Match naming the current ETag is a 304 without a
body (RFC 9110 13.1.2, weak comparison), for a ticket and for lists, and the
ETag changes with anything the body shows, timeline line or not."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from api.conditional import none_match, opaque_tags
from crm import services as crm_services
from tests.factories import ContactFactory, TicketFactory
from tickets import services
from tickets.models import Tag, Ticket


def url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}"


def test_matching_if_none_match_is_a_304_without_a_body(agent, api, ticket_a):
    client = api(agent, "read")
    first = client.get(url(ticket_a))
    etag = first["ETag"]
    again = client.get(url(ticket_a), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["X-Request-ID"]
    assert "X-RateLimit-Remaining" in again


@pytest.mark.parametrize(
    "header",
    [
        "W/{etag}",  # weak comparison: W/ is ignored
        '"other", {etag}',
        '"other",,  W/{etag} ,',
        "*",
    ],
)
def test_weak_comparison_and_lists_match(agent, api, ticket_a, header):
    client = api(agent, "read")
    etag = client.get(url(ticket_a))["ETag"]
    response = client.get(url(ticket_a), headers={"If-None-Match": header.format(etag=etag)})
    assert response.status_code == 304


@pytest.mark.parametrize("header", ['"other"', '"*"', "{bare}", "{etag} junk", ""])
def test_another_or_malformed_tag_answers_the_body(agent, api, ticket_a, header):
    client = api(agent, "read")
    etag = client.get(url(ticket_a))["ETag"]
    given = header.format(etag=etag, bare=etag.strip('"'))
    response = client.get(url(ticket_a), headers={"If-None-Match": given})
    assert response.status_code == 200
    assert response.json()["id"] == ticket_a.pk


def test_an_outsider_with_the_etag_still_gets_404(agent, api, outsider, ticket_a):
    etag = api(agent, "read").get(url(ticket_a))["ETag"]
    for header in (etag, "*"):
        response = api(outsider, "read").get(url(ticket_a), headers={"If-None-Match": header})
        assert response.status_code == 404


def test_etag_changes_with_a_change_on_the_timeline(agent, api, ticket_a):
    client = api(agent, "read")
    etag = client.get(url(ticket_a))["ETag"]
    services.ticket_update(actor=agent, ticket=ticket_a, priority="urgent")
    response = client.get(url(ticket_a), headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.json()["priority"] == "urgent"
    assert response["ETag"] != etag


def test_etag_changes_with_what_leaves_no_timeline_line(agent, api, ticket_a):
    """A tag's colour, the owner's or a contact's name change the body without
    a line on the ticket's timeline: the ETag must change all the same."""
    client = api(agent, "read")
    contact = ContactFactory(first_name="Ada", last_name="Lovelace")
    services.ticket_associate(actor=agent, ticket=ticket_a, record=contact)
    services.ticket_update(actor=agent, ticket=ticket_a, owner=agent)
    services.ticket_tag(actor=agent, ticket=ticket_a, add=["hardware"])
    seen = {client.get(url(ticket_a))["ETag"]}

    tag = Tag.objects.get(name="hardware")
    tag.colour = next(c for c in Tag.Colour.values if c != tag.colour)
    tag.save(update_fields=["colour"])
    seen.add(client.get(url(ticket_a))["ETag"])
    crm_services.contact_save(contact, {"first_name": "Augusta"})
    seen.add(client.get(url(ticket_a))["ETag"])
    agent.first_name = "Renamed"
    agent.save(update_fields=["first_name"])
    seen.add(client.get(url(ticket_a))["ETag"])

    assert len(seen) == 4


def test_etag_changes_when_the_sla_turns_due_soon(agent, api, ticket_a):
    due = timezone.now() + datetime.timedelta(hours=2)
    Ticket.objects.filter(pk=ticket_a.pk).update(sla_close_due=due, sla_due_soon_minutes=60)
    client = api(agent, "read")
    etag = client.get(url(ticket_a))["ETag"]
    assert client.get(url(ticket_a), headers={"If-None-Match": etag}).status_code == 304
    with time_machine.travel(due - datetime.timedelta(minutes=30)):
        later = client.get(url(ticket_a), headers={"If-None-Match": etag})
    assert later.status_code == 200
    assert later.json()["sla"]["state"] == "due_soon"


def test_the_new_etag_still_works_in_if_match(agent, api, ticket_a):
    client = api(agent)
    etag = client.get(url(ticket_a))["ETag"]
    ok = client.patch(
        url(ticket_a),
        {"priority": "low"},
        content_type="application/json",
        headers={"If-Match": etag},
    )
    assert ok.status_code == 200
    # An ETag of the earlier form (ticket and timeline position only) too.
    version = etag.strip('"').rsplit(".", 1)[0]
    again = client.patch(
        url(ticket_a),
        {"name": "Renamed"},
        content_type="application/json",
        headers={"If-Match": f'"{version}"'},
    )
    assert again.status_code == 200


def test_a_list_answers_304_until_a_ticket_on_it_changes(agent, api, pipeline, team_a):
    ticket = TicketFactory(pipeline=pipeline, team=team_a, name="Disk full")
    client = api(agent, "read")
    first = client.get("/api/v1/tickets")
    etag = first["ETag"]
    assert client.get("/api/v1/tickets", headers={"If-None-Match": etag}).status_code == 304
    # Another filter is another representation, with its own ETag.
    assert (
        client.get("/api/v1/tickets?priority=low", headers={"If-None-Match": etag}).status_code
        == 200
    )
    services.ticket_update(actor=agent, ticket=ticket, name="Disk still full")
    changed = client.get("/api/v1/tickets", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_other_lists_and_records_answer_304_too(agent, api, ticket_a):
    contact = ContactFactory()
    client = api(agent, "read")
    for path in ("/api/v1/contacts", f"/api/v1/contacts/{contact.pk}", "/api/v1/pipelines"):
        etag = client.get(path)["ETag"]
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304, path


def test_if_none_match_does_not_touch_writes_or_errors(agent, api, ticket_a):
    client = api(agent)
    etag = client.get(url(ticket_a))["ETag"]
    patched = client.patch(
        url(ticket_a),
        {"priority": "high"},
        content_type="application/json",
        headers={"If-None-Match": etag},
    )
    assert patched.status_code == 200
    missing = client.get("/api/v1/tickets/999999", headers={"If-None-Match": "*"})
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        ('"a"', ["a"]),
        ('W/"a", "b"', ["a", "b"]),
        ('"a,b"', ["a,b"]),  # a comma inside the quotes belongs to the tag
        (' , "a" ,, ', ["a"]),
        ('"a" "b"', None),
        ("a", None),
        ('"a', None),
        ("", None),
    ],
)
def test_entity_tag_lists_parse_as_rfc_9110_writes_them(header, tags):
    assert opaque_tags(header) == tags


def test_weak_comparison_ignores_w_on_both_sides():
    assert none_match('W/"x"', '"x"')
    assert none_match('"x"', 'W/"x"')
    assert not none_match('"y"', '"x"')
    assert not none_match('"x"', "")

"""Who sees what in the portal (issue 20): a contact sees their own
tickets, and their company's only where the company shares them; never
another contact's or company's ticket, an internal comment or a comment's
file, nor a deleted or spam ticket, by any URL of the portal: all 404."""

import pytest
from django.urls import reverse

from conversations.models import Attachment, Message
from portal.access import get_attachment_for_contact, visible_tickets_for_contact
from portal.models import SharedCompany
from tests.factories import CompanyFactory, ContactFactory, TicketFactory
from tickets import services as ticket_services

from .helpers import conversation, sign_in


@pytest.fixture
def world(db, pipeline, agent):
    shared, private = CompanyFactory(name="Shared Oy"), CompanyFactory(name="Private AG")
    SharedCompany.objects.create(company=shared)
    people = {
        "ann": ContactFactory(company=shared),
        "ann_colleague": ContactFactory(company=shared),
        "bob": ContactFactory(company=private),
        "bob_colleague": ContactFactory(company=private),
        "cat": ContactFactory(company=None),
    }
    tickets = {}
    for name, contact in people.items():
        tickets[name] = TicketFactory(pipeline=pipeline, contacts=[contact])
    tickets["shared_company"] = TicketFactory(pipeline=pipeline, companies=[shared])
    tickets["private_company"] = TicketFactory(pipeline=pipeline, companies=[private])
    deleted = TicketFactory(pipeline=pipeline, contacts=[people["ann"]])
    tickets["ann_deleted"] = ticket_services.ticket_delete(actor=agent, ticket=deleted)
    spam = TicketFactory(pipeline=pipeline, contacts=[people["ann"]])
    tickets["ann_spam"] = ticket_services.ticket_mark_spam(actor=agent, ticket=spam)
    for ticket in tickets.values():
        conversation(ticket, ticket.contacts.first() or people["cat"], agent=agent)
    return people, tickets


SEES = {
    "ann": {"ann", "ann_colleague", "shared_company"},
    "ann_colleague": {"ann", "ann_colleague", "shared_company"},
    "bob": {"bob"},
    "bob_colleague": {"bob_colleague"},
    "cat": {"cat"},
}


def test_the_one_filter_gives_each_contact_exactly_their_tickets(world):
    people, tickets = world
    for person, contact in people.items():
        seen = set(visible_tickets_for_contact(contact).values_list("pk", flat=True))
        assert seen == {tickets[name].pk for name in SEES[person]}, person
    assert not visible_tickets_for_contact(None).exists()


@pytest.mark.parametrize("person", sorted(SEES))
def test_every_portal_url_of_a_ticket_out_of_sight_is_a_404(world, client, person):
    people, tickets = world
    sign_in(client, people[person])
    for name, ticket in tickets.items():
        visible = name in SEES[person]
        page = client.get(reverse("portal:ticket", args=[ticket.pk]))
        assert page.status_code == (200 if visible else 404), (person, name)
        files = Attachment.objects.filter(ticket=ticket).select_related("message")
        for attachment in files:
            public = attachment.message.kind != Message.Kind.COMMENT
            response = client.get(reverse("portal:attachment", args=[attachment.pk]))
            assert response.status_code == (200 if visible and public else 404), (
                person,
                name,
                attachment.filename,
            )
        if not visible:
            before = Message.objects.filter(ticket=ticket).count()
            reply = client.post(reverse("portal:reply", args=[ticket.pk]), {"text": "Let me in"})
            close = client.post(reverse("portal:close", args=[ticket.pk]))
            assert (reply.status_code, close.status_code) == (404, 404)
            assert Message.objects.filter(ticket=ticket).count() == before
            ticket.refresh_from_db()
            assert ticket.is_open or name == "ann_deleted"


def test_a_visible_ticket_shows_its_public_messages_and_never_a_comment(world, client):
    people, tickets = world
    sign_in(client, people["ann"])
    body = client.get(reverse("portal:ticket", args=[tickets["ann"].pk])).content.decode()
    assert f"Customer words {tickets['ann'].pk}" in body
    assert f"Agent answer {tickets['ann'].pk}" in body
    assert "Secret internal note" not in body
    assert "note.png" not in body
    assert "answer.png" in body and "customer.png" in body
    listing = client.get(reverse("portal:home")).content.decode()
    assert tickets["ann_colleague"].name in listing
    assert tickets["bob"].name not in listing
    assert "Secret internal note" not in listing


def test_a_comments_file_is_out_of_reach_even_on_the_contacts_own_ticket(world):
    people, tickets = world
    note = Attachment.objects.get(ticket=tickets["ann"], filename="note.png")
    with pytest.raises(Exception) as raised:
        get_attachment_for_contact(people["ann"], note.pk)
    assert raised.type.__name__ == "Http404"


def test_ids_that_are_not_numbers_or_do_not_exist_are_404(world, client):
    people, _tickets = world
    sign_in(client, people["cat"])
    assert client.get("/portal/requests/999999999/").status_code == 404
    assert client.get("/portal/files/999999999/").status_code == 404
    assert client.get("/portal/requests/abc/").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(world, client):
    _people, tickets = world
    for url in (
        reverse("portal:home"),
        reverse("portal:ticket", args=[tickets["ann"].pk]),
        reverse("portal:new"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("portal:sign_in")
    attachment = Attachment.objects.filter(ticket=tickets["ann"]).first()
    assert client.get(reverse("portal:attachment", args=[attachment.pk])).status_code == 302


def test_when_a_company_stops_sharing_its_contacts_see_their_own_again(world):
    people, tickets = world
    SharedCompany.objects.all().delete()
    seen = set(visible_tickets_for_contact(people["ann"]).values_list("pk", flat=True))
    assert seen == {tickets["ann"].pk}

"""BCC recipients show on the sent message in the thread, to agents only
(issue 19): the contact's copy, the other recipients' copies and the portal
never carry them."""

import pytest
from django.core import mail
from django.urls import reverse

from conversations import services
from conversations.models import Message
from tests.factories import ContactFactory, TicketFactory, inbound_message
from tests.portal.helpers import sign_in

AUDIT = "audit@customer.example"


@pytest.fixture
def sent(agent, pipeline, team_a, settings, django_capture_on_commit_callbacks):
    """A ticket of team A whose contact got a reply with a CC and a BCC."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    contact = ContactFactory(email="mira@customer.example")
    ticket = TicketFactory(pipeline=pipeline, team=team_a, owner=agent, contacts=[contact])
    first = inbound_message(ticket, contact=contact)
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_send(
            actor=agent,
            ticket=ticket,
            html="<p>Done.</p>",
            to=[contact.email],
            cc=["manager@customer.example"],
            bcc=[AUDIT],
            reply_to=first,
        )
    return {"ticket": ticket, "contact": contact, "reply": reply}


def test_a_sent_message_shows_its_bcc_to_agents_and_collaborators(
    client, agent, collaborator, sent
):
    for user, view in ((agent, "all-open"), (collaborator, "my-tickets")):
        client.force_login(user)
        page = client.get(f"/views/{view}/tickets/{sent['ticket'].pk}/").content.decode()
        assert f"CC: manager@customer.example · BCC: {AUDIT}" in page, user


def test_the_recipients_copies_never_name_the_bcc(sent):
    [email] = mail.outbox
    assert AUDIT in email.recipients()  # delivered to, all the same
    raw = email.message().as_bytes()
    assert AUDIT.encode() not in raw and b"Bcc" not in raw
    assert b"manager@customer.example" in raw  # a CC is meant to be seen


def test_the_portal_never_shows_the_bcc(client, sent):
    sign_in(client, sent["contact"])
    page = client.get(reverse("portal:ticket", args=[sent["ticket"].pk]))
    assert page.status_code == 200
    assert "Done." in page.content.decode() and AUDIT not in page.content.decode()


def test_showing_bcc_costs_no_query_per_message(client, agent, sent, django_assert_max_num_queries):
    """BCC was deferred with the thread's large columns: each message showing
    it loaded it in a query of its own."""
    client.force_login(agent)
    url = f"/views/all-open/tickets/{sent['ticket'].pk}/"
    client.get(url)
    with django_assert_max_num_queries(60) as few:
        client.get(url)
    reply = sent["reply"]
    for n in range(4):
        Message.objects.create(
            thread=reply.thread,
            ticket=reply.ticket,
            direction=Message.Direction.OUTBOUND,
            author=agent,
            to=[sent["contact"].email],
            bcc=[f"copy{n}@customer.example"],
            html=f"<p>Follow-up {n}</p>",
            text=f"Follow-up {n}",
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "BCC: copy3@customer.example" in page

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from conversations import queries, services
from conversations.models import Channel, Message, Thread
from conversations.services import help_desk_inbox
from crm.models import Contact
from tests.factories import ContactFactory, TicketFactory, inbound_message
from tickets.models import Ticket


@pytest.fixture
def chat(pipeline, team_a):
    """A chat ticket from a visitor who gave no email yet."""
    ticket = TicketFactory(pipeline=pipeline, team=team_a, source="chat")
    thread = Thread.objects.create(ticket=ticket, inbox=help_desk_inbox(), channel=Channel.CHAT)
    messages = [
        Message.objects.create(
            thread=thread,
            ticket=ticket,
            direction="inbound",
            from_name="Visitor 4821",
            html=f"<p>{t}</p>",
            text=t,
        )
        for t in ("Hi, is anyone there?", "My order is late")
    ]
    return ticket, messages


def test_linking_to_an_existing_contact_moves_the_visitors_messages(agent, chat):
    ticket, (first, _second) = chat
    emma = ContactFactory(first_name="Emma", last_name="Wilson")
    services.visitor_associate(actor=agent, message=first, contact=emma)
    assert set(Message.objects.values_list("contact", flat=True)) == {emma.pk}
    assert list(ticket.contacts.all()) == [emma]
    assert Ticket.objects.get(pk=ticket.pk).contact_name == "Emma Wilson"
    assert ticket.events.filter(kind="associated", field="contact").exists()


def test_linking_to_a_new_contact_creates_it(agent, chat):
    _ticket, (first, _second) = chat
    contact = services.visitor_associate(
        actor=agent, message=first, new_contact={"first_name": "Ada", "email": "ada@x.example"}
    )
    assert Contact.objects.get() == contact and contact.email == "ada@x.example"


def test_a_message_that_has_a_contact_cannot_be_relinked(agent, pipeline):
    ticket = TicketFactory(pipeline=pipeline)
    message = inbound_message(ticket)
    with pytest.raises(ValidationError):
        services.visitor_associate(actor=agent, message=message, contact=ContactFactory())


def test_the_views(client, agent, outsider, chat):
    ticket, (first, _second) = chat
    client.force_login(agent)
    page = client.get(reverse("tickets:ticket_detail", args=["all-open", ticket.pk]))
    assert f'data-toggle-visitor="{first.pk}"' in page.content.decode()
    link = reverse("conversations:visitor_associate", args=[first.pk])
    bad = client.post(link, {"email": "not-an-email"}, headers={"HX-Request": "true"})
    assert bad["HX-Retarget"] == f"#visitor-{first.pk}"
    assert "Enter a valid email address." in bad.content.decode()
    empty = client.post(link, {}, headers={"HX-Request": "true"})
    assert "Give the contact a name or an email address." in empty.content.decode()
    assert not Contact.objects.exists()
    emma = ContactFactory(first_name="Emma", email="emma@northwind.example")
    results = client.get(reverse("conversations:visitor_search", args=[first.pk]), {"q": "north"})
    assert "Emma" in results.content.decode()
    done = client.post(link, {"contact": emma.pk}, headers={"HX-Request": "true"})
    assert done["HX-Retarget"] == "#detail-pane"
    assert list(ticket.contacts.all()) == [emma]
    assert client.post(link, {"contact": emma.pk}).status_code == 404  # already linked

    client.force_login(outsider)
    other = chat[1][1]
    assert client.get(reverse("conversations:visitor_search", args=[other.pk])).status_code == 404
    assert (
        client.post(
            reverse("conversations:visitor_associate", args=[other.pk]), {"contact": emma.pk}
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("full", "first", "last"),
    [
        ("Anna", "Anna", ""),
        ("Anna Krüger", "Anna", "Krüger"),
        ("Anna Maria  Krüger", "Anna Maria", "Krüger"),
        ("김민준", "김민준", ""),
        ("김 민준", "민준", "김"),
        ("陳慧玲", "陳慧玲", ""),
        ("", "", ""),
    ],
)
def test_a_visitors_full_name_splits_as_people_write_it(full, first, last):
    """S22: one word is a first name; CJK names start with the family name and
    stay whole without a space."""
    from conversations.templatetags.conversation_tags import split_name

    assert split_name(full) == (first, last)


def test_the_new_contact_form_offers_the_visitors_name_split(client, agent, chat):
    _ticket, (first, _second) = chat
    Message.objects.filter(pk=first.pk).update(from_name="Anna Maria Krüger")
    client.force_login(agent)
    url = reverse("conversations:visitor_search", args=[first.pk])
    page = client.get(url, {"panel": 1}).content.decode()
    assert (
        'name="first_name" placeholder="First name" aria-label="First name" value="Anna Maria"'
        in page
    )
    assert 'name="last_name" placeholder="Last name" aria-label="Last name" value="Krüger"' in page


def test_earlier_chat_messages_show_the_contacts_name_once_linked(client, agent, chat):
    ticket, (first, _second) = chat
    Thread.objects.filter(pk=first.thread_id).update(visitor_key="widget:abc")
    emma = ContactFactory(first_name="Emma", last_name="Wilson")
    services.visitor_associate(actor=agent, message=first, contact=emma)
    client.force_login(agent)
    page = client.get(reverse("tickets:ticket_detail", args=["all-open", ticket.pk])).content
    assert page.decode().count("<strong>Emma Wilson</strong>") == 2
    assert "Visitor 4821" not in page.decode()


def test_a_pages_linked_visitors_are_read_in_one_statement(agent, chat, django_assert_num_queries):
    ticket, (first, _second) = chat
    Thread.objects.filter(pk=first.thread_id).update(visitor_key="widget:abc")
    emma = ContactFactory(first_name="Emma", last_name="Wilson")
    services.visitor_associate(actor=agent, message=first, contact=emma)
    threads = queries.THREADS.objects(ticket.pk)
    # The page, its files, the linked contacts: the threads were given.
    with django_assert_num_queries(3):
        messages, _earlier = queries.messages_for_ticket(ticket, threads=threads)
        assert [m.sender_display for m in messages] == ["Emma Wilson", "Emma Wilson"]


def test_a_message_whose_thread_is_elsewhere_still_shows_its_channel(chat):
    ticket, (first, _second) = chat
    elsewhere = TicketFactory(pipeline=ticket.pipeline)
    Thread.objects.filter(pk=first.thread_id).update(ticket=elsewhere)
    messages, _earlier = queries.messages_for_ticket(ticket)
    assert [m.thread.channel for m in messages] == [Channel.CHAT, Channel.CHAT]

"""The batch path stores what the services would: same columns, timeline,
search vector, associations and message fields."""

from conversations import services as conversation_services
from conversations.models import Channel, Message
from crm.models import Contact
from imports.models import ImportJob
from tests.factories import CompanyFactory
from tickets import services
from tickets.models import Follower, Source, Ticket, TicketEvent

from .conftest import csv_bytes, run

COMPARED = [
    "name", "description", "pipeline_id", "stage_id", "owner_id", "team_id", "priority",
    "category", "source", "properties", "is_open", "contact_name", "preview", "language",
    "search_vector", "is_spam", "closed_at",
]  # fmt: skip
MESSAGE_FIELDS = [
    "kind", "direction", "from_name", "from_email", "subject", "html", "quoted_html", "text",
    "sanitizer_version", "to", "cc", "is_automatic", "author_id",
]  # fmt: skip


def test_imported_ticket_equals_the_services_ticket(upload, pipeline, agent):
    company = CompanyFactory(name="Ülkö Oy")
    contact = Contact.objects.create(
        first_name="Ana", last_name="Lee", email="ana.lee@example.com", phone="+358 40 123 4567",
        company=company,
    )  # fmt: skip
    stage = pipeline.stages.get(name="New")
    body = "Hei! Tulostin ei toimi enää. Voitteko auttaa? Se jumittaa joka kerta."
    with services.importing():
        made = services.ticket_create(
            actor=None, name="Tulostin jumissa", description="Kolmas kerros", pipeline=pipeline,
            stage=stage, owner=agent, priority="high", source=Source.IMPORT,
            contacts=[contact], companies=[company],
        )  # fmt: skip
        conversation_services.message_receive(
            ticket=made, thread=None, channel=Channel.EMAIL, contact=contact,
            from_name=contact.display_name, from_email=contact.email, to=[], cc=[],
            subject=made.name, html="", text=body, new_ticket=True,
        )  # fmt: skip
    data = csv_bytes(
        [
            ["id", "subject", "description", "status", "owner", "priority", "email", "company", "message"],
            ["Z-1", "Tulostin jumissa", "Kolmas kerros", "New", agent.username, "high", contact.email, company.name, body],
        ]
    )  # fmt: skip
    run(upload(ImportJob.Kind.TICKETS, data))
    imported = Ticket.objects.get(external_id="Z-1")
    made = Ticket.objects.get(pk=made.pk)
    for name in COMPARED:
        assert getattr(imported, name) == getattr(made, name), name
    for name in ("last_customer_message_at", "stage_changed_at", "last_activity_at"):
        assert (getattr(imported, name) is None) == (getattr(made, name) is None), name
    assert list(imported.contacts.all()) == list(made.contacts.all())
    assert list(imported.companies.all()) == list(made.companies.all())
    assert [(e.kind, e.new_value, e.actor_id) for e in imported.events.all()] == [
        (e.kind, e.new_value, e.actor_id) for e in made.events.all()
    ]
    assert Follower.objects.filter(ticket=imported, user=agent).exists()
    ours, theirs = imported.messages.get(), made.messages.get()
    for name in MESSAGE_FIELDS:
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.contact_id == theirs.contact_id == contact.pk
    assert ours.thread.channel == theirs.thread.channel
    assert ours.thread.inbox_id == theirs.thread.inbox_id
    # Found by the contact's phone and company, like a ticket made by hand.
    assert imported.search_vector and "'4567'" in imported.search_vector
    assert TicketEvent.objects.filter(ticket=imported, kind=TicketEvent.Kind.CREATED).count() == 1
    assert Message.objects.filter(ticket=imported).count() == 1

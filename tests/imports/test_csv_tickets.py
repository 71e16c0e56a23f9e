import datetime

from django.utils import timezone

from conversations.models import Message
from crm.models import Contact
from imports.models import ImportJob
from tickets.models import Source, Ticket, TicketEvent

from .conftest import csv_bytes, run

HEADER = [
    "ID",
    "Subject",
    "Status",
    "Priority",
    "Requester",
    "Email",
    "Created",
    "Tags",
    "Message",
    "Author",
    "Internal",
]


def test_tickets_import_with_messages_in_order(upload, pipeline, agent):
    data = csv_bytes(
        [
            HEADER,
            [
                "T-1",
                "Printer broken",
                "New",
                "High",
                "Ana Lee",
                "ana@example.com",
                "2024-03-01 09:00",
                "printer, vip",
                "It jams.",
                "",
                "",
            ],
            ["T-1", "", "", "", "", "", "", "", "Try a reset.", agent.email, ""],
            ["T-1", "", "", "", "", "", "", "", "Known model issue.", agent.email, "yes"],
            [
                "T-2",
                "Invoice",
                "Closed",
                "Low",
                "Bo Kim",
                "bo@example.com",
                "2024-03-02",
                "",
                "Wrong VAT",
                "",
                "",
            ],
        ]
    )
    job = upload(ImportJob.Kind.TICKETS, data)
    assert job.total_rows == 4
    assert job.mapping["0"] == "external_id" and job.mapping["1"] == "name"
    job.mapping["2"] = "status"
    job.save()
    run(job)
    assert (job.created, job.updated, job.skipped) == (3, 0, 1)  # T-2 closed needs a category
    ticket = Ticket.objects.get(external_id="T-1")
    assert ticket.source == Source.IMPORT
    assert ticket.priority == "high"
    assert ticket.contact_name == "Ana Lee"
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["printer", "vip"]
    messages = list(ticket.messages.order_by("created_at", "id"))
    assert [m.text for m in messages] == ["It jams.", "Try a reset.", "Known model issue."]
    assert [m.direction for m in messages] == ["inbound", "outbound", "outbound"]
    assert messages[2].kind == Message.Kind.COMMENT and messages[2].author == agent
    assert messages[0].contact == Contact.objects.get(email="ana@example.com")
    assert ticket.created_at == timezone.make_aware(datetime.datetime(2024, 3, 1, 9))
    assert ticket.events.filter(kind=TicketEvent.Kind.CREATED).get().created_at == ticket.created_at
    assert ticket.preview == "Try a reset."

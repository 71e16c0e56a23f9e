"""A Zendesk export, built from the format its incremental export API
documents (tests/fixtures/zendesk/), imports with its comments in order,
their authors and internal flags, timestamps, tags and custom fields."""

import datetime
import io
import zipfile
from pathlib import Path

import pytest

from conversations.models import Message
from crm.models import Company, Contact
from imports.files import FileRefused
from imports.models import ImportJob
from tickets.models import PropertyDefinition, Ticket

from .conftest import run

FIXTURES = Path(__file__).parent.parent / "fixtures" / "zendesk"
UTC = datetime.UTC


def export_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(FIXTURES.iterdir()):
            archive.write(path, f"export/{path.name}")
    return out.getvalue()


@pytest.fixture
def smith(team_a):
    from tests.factories import UserFactory

    return UserFactory(username="smith", email="agent@helpdesk.example", main_team=team_a)


def test_zendesk_export_imports_comments_in_order_with_authors_and_internal_flags(
    upload, pipeline, smith, team_a
):
    job = run(upload(ImportJob.Kind.ZENDESK, export_zip(), name="zendesk.zip"))
    assert (job.total_rows, job.created, job.skipped) == (2, 2, 0)
    ticket = Ticket.objects.get(external_id="35436")
    assert ticket.name == "Export to PDF fails"
    assert (ticket.priority, ticket.category, ticket.owner) == ("high", "product_issue", smith)
    assert ticket.created_at == datetime.datetime(2024, 2, 12, 8, 15, 2, tzinfo=UTC)
    assert ticket.is_open
    messages = list(ticket.messages.order_by("created_at", "id"))
    assert [m.external_id for m in messages] == [
        "926256957633",
        "926256957701",
        "926256957801",
        "926256957901",
    ]
    assert [(m.kind, m.direction) for m in messages] == [
        ("message", "inbound"), ("comment", "outbound"), ("message", "outbound"), ("message", "inbound"),
    ]  # fmt: skip
    assert [m.created_at for m in messages] == [
        datetime.datetime(2024, 2, 12, 8, 15, 2, tzinfo=UTC),
        datetime.datetime(2024, 2, 12, 9, 26, 40, tzinfo=UTC),
        datetime.datetime(2024, 2, 12, 10, 16, 40, tzinfo=UTC),
        datetime.datetime(2024, 2, 13, 16, 40, 11, tzinfo=UTC),
    ]
    jo = Contact.objects.get(external_id="20978392")
    assert (jo.email, jo.phone, jo.company.name) == (
        "jo.mills@customer.example",
        "+44 20 7946 0011",
        "Mills & Co",
    )
    assert messages[0].contact == jo and messages[3].contact == jo
    assert messages[1].author == smith  # an agent here is matched by email
    assert messages[2].author is None and messages[2].from_name == "Former Agent"
    assert "<script" not in messages[1].html and "Reproduced on Chrome." in messages[1].text
    assert ticket.last_customer_message_at == messages[3].created_at
    assert ticket.last_agent_reply_at == messages[2].created_at
    assert ticket.preview == "Still blank today."
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["pdf", "reports"]
    assert ticket.properties == {"zendesk_27642": "745", "zendesk_27648": "chrome, windows"}
    assert PropertyDefinition.objects.get(key="zendesk_27642").label == "Order number"
    assert list(ticket.companies.values_list("name", flat=True)) == ["Mills & Co"]
    assert Company.objects.get(external_id="509974").domain == "mills.example"
    solved = Ticket.objects.get(external_id="35437")
    assert not solved.is_open and solved.closed_at == datetime.datetime(
        2024, 2, 15, 9, 30, tzinfo=UTC
    )
    assert [m.text for m in solved.messages.order_by("created_at", "id")] == [
        "Please change our invoice address to Main Street 5.",
        "Done: the next invoice goes to Main Street 5.",
    ]
    assert list(solved.tags.values_list("name", flat=True)) == ["billing"]


def test_importing_the_export_again_changes_nothing(upload, pipeline, smith):
    run(upload(ImportJob.Kind.ZENDESK, export_zip(), name="zendesk.zip"))
    again = run(upload(ImportJob.Kind.ZENDESK, export_zip(), name="zendesk.zip"))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Ticket.objects.count() == 2
    assert Message.objects.count() == 6
    assert Contact.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "The file is empty."),
        (b'{"users": []}', "No Zendesk tickets found."),
        (b'{"tickets": [\n', "line 1 is not JSON"),
        (b"PK\x03\x04broken", "The zip archive is damaged."),
        ('{"tickets": []}'.encode("utf-16"), "The file is not UTF-8 text"),
    ],
)
def test_bad_zendesk_files_are_refused_whole(upload, pipeline, data, reason):
    with pytest.raises(FileRefused) as refused:
        upload(ImportJob.Kind.ZENDESK, data, name="export.json")
    assert refused.value.message.startswith(reason), refused.value.message
    assert not ImportJob.objects.exists()

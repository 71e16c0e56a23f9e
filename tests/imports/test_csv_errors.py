"""A dry run reports each bad row with its line, column and reason, the
import skips exactly those, and a bad file is refused whole."""

import csv
import io

import pytest

from crm.models import Company, Contact
from imports import services
from imports.files import FileRefused
from imports.models import ImportJob
from tests.factories import PropertyDefinitionFactory
from tickets.models import PropertyDefinition, Ticket

from .conftest import csv_bytes, run

HEADER = ["Ticket ID", "Subject", "Priority", "Owner", "Email", "Created", "Seats", "Message"]


def thousand_rows(agent) -> tuple[bytes, dict[int, tuple[str, str]]]:
    """1,000 ticket rows; every 50th has one deliberate error, of five kinds.
    Returns the file and {line: (column, start of the reason)}."""
    rows, expected = [HEADER], {}
    for n in range(1, 1001):
        row = [f"R-{n}", f"Question {n}", "medium", agent.username, f"c{n}@example.com",
               "2024-05-01 10:00", "3", f"Body {n}"]  # fmt: skip
        line = n + 1
        if n % 50 == 0:
            kind = (n // 50) % 5
            if kind == 0:
                row[2], expected[line] = "super", ("Priority", "“super” is not one of the choices")
            elif kind == 1:
                row[3], expected[line] = "nobody", ("Owner", "No active user")
            elif kind == 2:
                row[4], expected[line] = "not-an-email", ("Email", "“not-an-email” is not an email")
            elif kind == 3:
                row[5], expected[line] = "yesterday", ("Created", "“yesterday” is not a date")
            else:
                row[6], expected[line] = "many", ("Seats", "Enter a number")
        rows.append(row)
    return csv_bytes(rows), expected


def test_dry_run_of_a_thousand_rows_reports_each_bad_row_and_the_import_skips_them(
    upload, pipeline, agent
):
    PropertyDefinitionFactory(key="seats", label="Seats", type=PropertyDefinition.Type.NUMBER)
    data, expected = thousand_rows(agent)
    job = upload(ImportJob.Kind.TICKETS, data)
    assert job.mapping == {"0": "external_id", "1": "name", "2": "priority", "3": "owner",
                           "4": "contact_email", "5": "created_at", "6": "property:seats",
                           "7": "message"}  # fmt: skip
    assert services.job_check(job) == []
    assert not Ticket.objects.exists()  # a dry run stores nothing
    assert job.error_count == len(expected) == 20
    assert {line: column for line, column, _m in job.errors} == {
        line: column for line, (column, _s) in expected.items()
    }
    for line, _column, message in job.errors:
        assert message.startswith(expected[line][1]), (line, message)
    report = list(csv.reader(io.StringIO(services.error_report(job))))
    assert report[0][:3] == ["Line", "Column", "Problem"] and report[0][3:] == HEADER
    assert len(report) == 21
    assert report[1][3] == "R-50"  # the row itself follows, ready to fix
    run(job)
    assert (job.created, job.updated, job.skipped) == (980, 0, 20)
    assert Ticket.objects.count() == 980
    assert not Ticket.objects.filter(external_id="R-50").exists()


def test_second_run_of_the_same_file_updates_instead_of_duplicating(upload, pipeline, agent):
    rows = [["id", "subject", "priority", "email", "message"]]
    rows += [[f"D-{n}", f"Subject {n}", "low", f"d{n}@example.com", f"Body {n}"] for n in range(30)]
    first = run(upload(ImportJob.Kind.TICKETS, csv_bytes(rows)))
    assert first.created == 30
    rows[1][2] = "urgent"  # one ticket changed in the source since
    second = run(upload(ImportJob.Kind.TICKETS, csv_bytes(rows)))
    assert (second.created, second.updated, second.unchanged) == (0, 1, 29)
    assert Ticket.objects.count() == 30
    assert Contact.objects.count() == 30
    assert Ticket.objects.get(external_id="D-0").priority == "urgent"
    assert all(t.messages.count() == 1 for t in Ticket.objects.all())


def test_contacts_and_companies_update_by_external_id(upload, db):
    companies = csv_bytes(
        [["ID", "Name", "Domain"], ["C1", "Acme", "acme.example"], ["C2", "", "x.example"]]
    )
    job = run(upload(ImportJob.Kind.COMPANIES, companies))
    assert (job.created, job.skipped) == (1, 1)
    contacts = [
        ["ID", "First name", "Last name", "Email", "Company"],
        ["P1", "Ana", "Lee", "ana@acme.example", "Acme"],
    ]
    run(upload(ImportJob.Kind.CONTACTS, csv_bytes(contacts)))
    contacts[1][1] = "Anna"
    job = run(upload(ImportJob.Kind.CONTACTS, csv_bytes(contacts)))
    assert (job.created, job.updated) == (0, 1)
    contact = Contact.objects.get()
    assert (contact.first_name, contact.external_id, contact.company.name) == ("Anna", "P1", "Acme")
    assert Company.objects.count() == 1


def test_a_mapping_without_a_key_is_refused_before_any_row(upload, pipeline):
    job = upload(ImportJob.Kind.TICKETS, csv_bytes([["Subject"], ["Hello"]]))
    problems = services.job_check(job, {"0": "name"})
    assert problems == ["Choose the column that holds “External ID”.",
                        "Choose a column for External ID: a second import finds its records by it."]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "The file is empty."),
        (b"   \n\n", "The file is empty."),
        ("id,name\n1,Müller\n".encode("latin-1"), "The file is not UTF-8 text (line 2"),
        (
            b"PK\x03\x04\x14\x00\x00\x00binary",
            "This is not a CSV file (it looks like a spreadsheet",
        ),
        (b'{"tickets": []}', "This is not a CSV file (it looks like JSON"),
        (b"id,name\n", "The file has a header but no rows."),
        (b"id,name\n1," + b"x" * (2**20 + 10) + b"\n", "Line 2 cannot be read as CSV"),
        (b"a" * (2**20 + 10), "The first line is longer than 1 MB"),
        (b'id,name\n1,"open quote\n', "Line 2 cannot be read as CSV"),
    ],
)
def test_bad_files_get_a_clear_reason_and_store_nothing(upload, pipeline, data, reason):
    with pytest.raises(FileRefused) as refused:
        upload(ImportJob.Kind.TICKETS, data)
    assert refused.value.message.startswith(reason), refused.value.message
    assert not ImportJob.objects.exists()


def test_semicolons_and_utf16_from_spreadsheets_are_read(upload, pipeline):
    text = "id;subject;message\r\nS-1;Grüße;Hallo\r\n"
    job = run(upload(ImportJob.Kind.TICKETS, text.encode("utf-16")))
    assert job.delimiter == ";" and job.created == 1
    assert Ticket.objects.get().name == "Grüße"


def test_the_error_report_never_hands_a_formula_to_a_spreadsheet(upload, pipeline):
    data = csv_bytes([["id", "subject", "priority"], ["=HYPERLINK(1)", "@SUM(A1)", "-bad"]])
    job = upload(ImportJob.Kind.TICKETS, data)
    services.job_check(job)
    row = list(csv.reader(io.StringIO(services.error_report(job))))[1]
    assert row[3:] == ["'=HYPERLINK(1)", "'@SUM(A1)", "'-bad"]

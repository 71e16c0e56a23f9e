"""Settings → Import: upload, map, dry run, import, progress and report,
for admins only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports.models import ImportJob
from tickets.models import Ticket

from .conftest import csv_bytes


@pytest.fixture
def admin_client(client, super_admin, upload):
    client.force_login(super_admin)
    return client


DATA = csv_bytes(
    [["Ticket ID", "Subject", "Priority", "Email", "Message"],
     ["A-1", "Refund", "high", "a@example.com", "Please refund"],
     ["A-2", "Login", "nope", "b@example.com", "Cannot log in"]]
)  # fmt: skip


def test_upload_map_check_import_and_progress(
    admin_client, pipeline, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    page = admin_client.post(
        reverse("admin:imports_importjob_add"),
        {"kind": "tickets", "file": SimpleUploadedFile("t.csv", DATA, "text/csv")},
    )
    job = ImportJob.objects.get()
    assert page.status_code == 302 and page.url == reverse(
        "admin:imports_importjob_change", args=[job.pk]
    )
    page = admin_client.get(page.url)
    assert page.status_code == 200
    body = page.content.decode()
    assert '<option value="external_id" selected>' in body and "Please refund" in body
    page = admin_client.post(
        reverse("admin:imports_importjob_change", args=[job.pk]),
        {
            "column-0": "external_id",
            "column-1": "name",
            "column-2": "priority",
            "column-3": "contact_email",
            "column-4": "message",
        },
    )
    assert page.status_code == 302
    with django_assert_max_num_queries(30):
        page = admin_client.get(reverse("admin:imports_importjob_change", args=[job.pk]))
    body = page.content.decode()
    assert "1 row has errors and will be skipped." in body
    assert "“nope” is not one of the choices." in body
    assert "Please refund"[:6] in body  # the preview
    report = admin_client.get(reverse("admin:imports_importjob_report", args=[job.pk]))
    assert report["Content-Type"].startswith("text/csv")
    assert "nope" in report.content.decode()
    with django_capture_on_commit_callbacks() as queued:
        page = admin_client.post(reverse("admin:imports_importjob_start", args=[job.pk]))
    assert page.status_code == 302
    waiting = admin_client.get(
        reverse("admin:imports_importjob_progress", args=[job.pk]), HTTP_HX_REQUEST="true"
    )
    assert 'hx-trigger="every 1s"' in waiting.content.decode()  # polls while it waits
    assert len(queued) == 1
    queued[0]()  # the task, eager without a broker
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Ticket.objects.count() == 1
    progress = admin_client.get(
        reverse("admin:imports_importjob_progress", args=[job.pk]), HTTP_HX_REQUEST="true"
    )
    text = progress.content.decode()
    assert "hx-trigger" not in text and "100%" in text


def test_a_file_that_is_not_csv_is_refused_next_to_the_field(admin_client, pipeline):
    page = admin_client.post(
        reverse("admin:imports_importjob_add"),
        {
            "kind": "tickets",
            "file": SimpleUploadedFile("t.xlsx", b"PK\x03\x04xx", "application/zip"),
        },
    )
    assert page.status_code == 200
    assert "This is not a CSV file" in page.content.decode()
    assert not ImportJob.objects.exists()


def test_agents_cannot_reach_imports(client, agent, pipeline, upload):
    job = upload(ImportJob.Kind.TICKETS, DATA)
    client.force_login(agent)
    for name, args in (
        ("add", []),
        ("change", [job.pk]),
        ("progress", [job.pk]),
        ("report", [job.pk]),
    ):
        page = client.get(reverse(f"admin:imports_importjob_{name}", args=args))
        assert page.status_code in (302, 403, 404), name
    assert client.post(reverse("admin:imports_importjob_start", args=[job.pk])).status_code in (
        302,
        403,
        404,
    )
    job.refresh_from_db()
    assert job.status == ImportJob.Status.MAPPING


def test_start_needs_post(admin_client, pipeline, upload):
    job = upload(ImportJob.Kind.TICKETS, DATA)
    assert (
        admin_client.get(reverse("admin:imports_importjob_start", args=[job.pk])).status_code == 405
    )


def test_a_zendesk_export_is_checked_and_previewed_without_a_mapping(admin_client, pipeline):
    from .test_zendesk import export_zip

    page = admin_client.post(
        reverse("admin:imports_importjob_add"),
        {
            "kind": "zendesk",
            "file": SimpleUploadedFile("zendesk.zip", export_zip(), "application/zip"),
        },
    )
    job = ImportJob.objects.get()
    assert page.status_code == 302 and job.total_rows == 2
    assert (
        admin_client.post(reverse("admin:imports_importjob_change", args=[job.pk])).status_code
        == 302
    )
    body = admin_client.get(
        reverse("admin:imports_importjob_change", args=[job.pk])
    ).content.decode()
    assert "Export to PDF fails" in body and "All 2 rows can be imported." in body
    assert not Ticket.objects.exists()

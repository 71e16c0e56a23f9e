"""Settings → Data import in a browser: upload a CSV, map its columns,
check it, see the preview and errors, import, and watch it finish."""

import csv
import io

from imports.models import ImportJob
from tickets.models import Ticket


def tickets_file(path) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Ticket ID", "Subject", "Priority", "Requester email", "Body", "Whatever"])
    writer.writerow(["B-1", "Refund for order 7", "high", "ana@example.com", "Please refund", "x"])
    writer.writerow(["B-2", "Cannot sign in", "very", "bo@example.com", "Locked out", "y"])
    file = path / "tickets.csv"
    file.write_text(out.getvalue(), encoding="utf-8")
    return str(file)


def test_upload_map_preview_and_import(admin_page, pipeline, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    page = admin_page
    page.goto("/admin/imports/importjob/add/")
    page.select_option("select[name=kind]", "tickets")
    page.set_input_files("input[name=file]", tickets_file(tmp_path))
    with page.expect_navigation():
        page.click("input[type=submit]")
    # The suggestions: the ID, subject and priority columns map themselves.
    assert page.input_value("#column-0") == "external_id"
    assert page.input_value("#column-1") == "name"
    assert page.input_value("#column-2") == "priority"
    assert page.input_value("#column-5") == ""
    page.select_option("#column-3", "contact_email")
    page.select_option("#column-4", "message")
    with page.expect_navigation():
        page.click("text=Check the file (dry run)")
    assert (
        page.locator(".import-check-summary").inner_text()
        == "1 row has errors and will be skipped."
    )
    assert "“very” is not one of the choices." in page.locator(".import-errors").inner_text()
    assert "Refund for order 7" in page.locator(".import-preview").inner_text()
    assert not Ticket.objects.exists()
    with page.expect_navigation():
        page.click(".import-check input[type=submit]")
    page.locator(".import-progress h2", has_text="Imported").wait_for()
    counts = page.locator(".import-counts").inner_text()
    assert "Created\n1" in counts and "Skipped\n1" in counts
    assert Ticket.objects.get().external_id == "B-1"
    assert ImportJob.objects.get().status == ImportJob.Status.DONE

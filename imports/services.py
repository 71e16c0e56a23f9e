"""An import from upload to the last row (S12): read and check the file,
suggest the mapping, preview, dry run with a per-row error report, and the
run in the worker, in batches, with its progress on the job row.

A dry run and an import read the rows the same way (`read_records`), so the
dry run's errors are exactly the rows the import skips.
"""

import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.queue import enqueue

from . import zendesk
from .attachments import attachments_import
from .fields import (
    CompanyRecord,
    ContactRecord,
    Resolver,
    RowError,
    RowReader,
    TicketRecord,
    mapping_errors,
    suggest,
)
from .files import FileRefused, read_csv
from .models import ImportJob
from .writer import Directory, Outcome, write_companies, write_contacts, write_tickets

log = logging.getLogger(__name__)
BATCH = 1000
ERRORS_KEPT = 10_000  # on the job row; the downloadable report reads the file again


def job_create(*, actor, kind: str, name: str, data: bytes, run_rules: bool = False) -> ImportJob:
    """Store an uploaded file as a new import once it reads; FileRefused
    (and nothing stored) when it does not."""
    job = ImportJob(kind=kind, file_name=name[:255], created_by=actor, run_rules=run_rules)
    if kind == ImportJob.Kind.ZENDESK:
        export = zendesk.read_export(data)
        job.total_rows = len(export.tickets)
    else:
        file = read_csv(data)
        job.encoding, job.delimiter, job.header = file.encoding, file.delimiter, file.header
        job.total_rows = sum(1 for _row in file.rows())
        if not job.total_rows:
            raise FileRefused(_("The file has a header but no rows."))
        job.mapping = suggest(kind, file.header)
    with transaction.atomic():
        job.file.save(name[-100:] or "import", ContentFile(data), save=False)
        job.save()
    return job


def job_data(job: ImportJob) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


@dataclass
class Records:
    """A file's records in order, the lines that failed, and each ticket's lines."""

    records: list = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    lines: dict[str, list[int]] = field(default_factory=dict)
    companies: list[CompanyRecord] = field(default_factory=list)
    contacts: list[ContactRecord] = field(default_factory=list)


def read_records(job: ImportJob, data: bytes | None = None, *, limit: int | None = None) -> Records:
    """Every row of the file as a record or as its errors (line, column, message)."""
    data = job_data(job) if data is None else data
    resolver = Resolver()
    found = Records()
    if job.kind == ImportJob.Kind.ZENDESK:
        export = zendesk.read_export(data)
        found.companies = zendesk.organization_records(export)
        found.contacts = zendesk.user_records(export)
        for record, errors in zendesk.ticket_records(export, resolver):
            if errors:
                found.errors += [(record.line, column, message) for column, message in errors]
            else:
                found.records.append(record)
                found.lines[record.external_id] = [record.line]
            if limit and record.line >= limit:
                break
        return found
    file = read_csv(data)
    reader = RowReader(job, resolver)
    tickets: dict[str, TicketRecord] = {}
    for count, (line, cells) in enumerate(file.rows(), start=1):
        if limit and count > limit:
            break
        try:
            if job.kind == ImportJob.Kind.TICKETS:
                values, names = reader.cells(cells)
                key = values.get("external_id", "").strip()
                if key in tickets:  # a later message of a ticket above
                    errors: list[tuple[str, str]] = []
                    message = reader.message(values, names, errors, tickets[key])
                    if errors:
                        raise RowError(errors)
                    if message is not None:
                        tickets[key].messages.append(message)
                    found.lines[key].append(line)
                    continue
            record = reader.read(line, cells)
        except RowError as error:
            found.errors += [(line, column, message) for column, message in error.errors]
            continue
        found.records.append(record)
        if isinstance(record, TicketRecord):
            tickets[record.external_id] = record
            found.lines[record.external_id] = [line]
    return found


def job_check(job: ImportJob, mapping: dict[str, str] | None = None) -> list[str]:
    """The dry run: every row read as the import would read it, nothing
    stored; the errors kept on the job for the report. Returns what is wrong
    with the mapping itself (then no row is read)."""
    if mapping is not None:
        job.mapping = {k: v for k, v in mapping.items() if v}
    if job.kind != ImportJob.Kind.ZENDESK:
        problems = mapping_errors(job.kind, job.mapping)
        if problems:
            job.save(update_fields=["mapping"])
            return problems
    found = read_records(job)
    job.errors = [list(e) for e in found.errors[:ERRORS_KEPT]]
    job.error_count = len(found.errors)
    job.skipped = len({line for line, _c, _m in found.errors})
    job.status = ImportJob.Status.CHECKED
    job.save(update_fields=["mapping", "errors", "error_count", "skipped", "status"])
    return []


def job_preview(job: ImportJob, rows: int = 5) -> list:
    """The first records as they will be stored, and the first rows' errors."""
    found = read_records(job, limit=rows)
    return found


def job_start(job: ImportJob) -> bool:
    """Queue the import (after a dry run). False when it is already running."""
    started = ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportJob.Status.CHECKED, ImportJob.Status.DONE, ImportJob.Status.FAILED]
    ).update(
        status=ImportJob.Status.QUEUED, processed=0, created=0, updated=0, unchanged=0,
        skipped=0, failure="", started_at=None, finished_at=None,
    )  # fmt: skip
    if started:
        transaction.on_commit(lambda: enqueue("imports.tasks.import_run", job.pk))
    return bool(started)


def job_run(job_id: int) -> ImportJob | None:
    """Run a queued import (the worker). Claimed by a conditional UPDATE, so a
    task delivered twice imports once; each batch commits with the counts
    so far, which the progress bar reads."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    job = ImportJob.objects.get(pk=job_id)
    try:
        _run(job)
    except Exception as error:
        log.exception("import %s failed", job.pk)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED, failure=str(error)[:2000], finished_at=timezone.now()
        )
        job.refresh_from_db()
        return job
    job.status = ImportJob.Status.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at"])
    return job


def _run(job: ImportJob) -> None:
    data = job_data(job)
    found = read_records(job, data)
    outcome = Outcome()
    outcome.errors = list(found.errors)
    directory = Directory()
    if job.kind == ImportJob.Kind.ZENDESK:
        zendesk.ensure_definitions(zendesk.read_export(data))
        with transaction.atomic():
            write_companies(found.companies, Outcome())
            write_contacts(found.contacts, Outcome(), directory)
    failed_lines = {line for line, _c, _m in found.errors}
    # Files that could not be downloaded: listed, but their tickets count as stored.
    missing_files: list[tuple[int, str, str]] = []
    for batch in _batches(found.records):
        if job.kind == ImportJob.Kind.CONTACTS:
            with transaction.atomic():
                write_contacts(batch, outcome, directory)
        elif job.kind == ImportJob.Kind.COMPANIES:
            with transaction.atomic():
                write_companies(batch, outcome)
        else:
            write_tickets(batch, outcome, directory, run_rules=job.run_rules, lines=found.lines)
            missing_files += attachments_import(batch)
        failed_lines |= {line for line, _c, _m in outcome.errors}
        _progress(job, outcome, failed_lines, done=False)
    _progress(job, outcome, failed_lines, done=True)
    errors = sorted(outcome.errors + missing_files, key=lambda e: e[0])
    job.errors = [list(e) for e in errors[:ERRORS_KEPT]]
    job.error_count = len(errors)
    job.save(update_fields=["errors", "error_count"])


def _batches(records: list) -> Iterator[list]:
    for start in range(0, len(records), BATCH):
        yield records[start : start + BATCH]


def _progress(job: ImportJob, outcome: Outcome, failed: set[int], *, done: bool) -> None:
    job.created = len(outcome.created - failed)
    job.updated = len(outcome.updated - failed)
    job.unchanged = len(outcome.unchanged - failed)
    job.skipped = len(failed)
    handled = job.created + job.updated + job.unchanged + job.skipped
    job.processed = job.total_rows if done else min(handled, job.total_rows)
    job.save(update_fields=["created", "updated", "unchanged", "skipped", "processed"])


def error_report(job: ImportJob) -> str:
    """The per-row error report as CSV: line, column, problem, then the row
    as the file has it, so it can be fixed and imported again."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Line"), _("Column"), _("Problem"), *job.header])
    cells_by_line: dict[int, list[str]] = {}
    if job.kind != ImportJob.Kind.ZENDESK:
        wanted = {line for line, _c, _m in job.errors}
        for line, cells in read_csv(job_data(job)).rows():
            if line in wanted:
                cells_by_line[line] = cells
    for line, column, message in job.errors:
        cells = [_inert(cell) for cell in (column, message, *cells_by_line.get(line, []))]
        writer.writerow([line, *cells])
    return out.getvalue()


def _inert(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (the
    report repeats what the uploaded file held)."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell

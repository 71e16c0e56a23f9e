"""An import from upload to the last row (S12): read and check the file,
suggest the mapping, preview, dry run with a per-row error report, and the
run in the worker, in batches, with its progress on the job row.

A dry run and an import read the rows the same way (`read_records`), so the
dry run's errors are exactly the rows the import skips.
"""

import csv
import datetime
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.queue import enqueue

from . import zendesk
from .attachments import COLUMN as ATTACHMENTS
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
    """Queue the import (after a dry run), or run it again from the start
    (the Retry of a failed one: rows already stored are updated by external
    id, not duplicated). False when it is already running."""
    started = ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportJob.Status.CHECKED, ImportJob.Status.DONE, ImportJob.Status.FAILED]
    ).update(
        status=ImportJob.Status.QUEUED, processed=0, created=0, updated=0, unchanged=0,
        skipped=0, failure="", not_resumed="", started_at=None, finished_at=None, heartbeat_at=None,
        batches_done=0, restarts=0,
    )  # fmt: skip
    if started:
        transaction.on_commit(lambda: enqueue("imports.tasks.import_run", job.pk))
    return bool(started)


class Superseded(Exception):
    """The import was given to another worker (jobs_recover_stale) while this
    one was still at it: this one stops, its open batch rolled back."""


def _claimed(job: ImportJob):
    """The job's row while this worker still holds it."""
    return ImportJob.objects.filter(
        pk=job.pk, status=ImportJob.Status.RUNNING, restarts=job.restarts
    )


def job_run(job_id: int) -> ImportJob | None:
    """Run a queued import (the worker), or resume one after its last
    committed batch. Claimed by a conditional UPDATE, so a task delivered
    twice imports once; each batch commits with the counts so far (which
    the progress bar reads), the heartbeat and the resume point."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING,
        started_at=Coalesce(F("started_at"), Value(now)),
        heartbeat_at=now,
    )
    if not claimed:
        return None
    job = ImportJob.objects.get(pk=job_id)
    try:
        _run(job)
    except Superseded:
        log.warning("import %s was restarted elsewhere; this worker stops", job.pk)
        return None
    except Exception as error:
        log.exception("import %s failed", job.pk)
        _claimed(job).update(
            status=ImportJob.Status.FAILED, failure=str(error)[:2000], finished_at=timezone.now()
        )
        job.refresh_from_db()
        return job
    if not _claimed(job).update(status=ImportJob.Status.DONE, finished_at=timezone.now()):
        return None
    job.refresh_from_db()
    return job


def _run(job: ImportJob) -> None:
    data = job_data(job)
    found = read_records(job, data)
    read_errors = [tuple(e) for e in found.errors]
    resumed = job.batches_done
    # What earlier batches of this run listed (write errors, missing files),
    # kept on the row with them; the file's own errors are read again.
    earlier = {tuple(e) for e in job.errors} - set(read_errors) if resumed else set()
    listed = Listed(read_errors, sorted(earlier, key=lambda e: e[0]))
    base = (job.created, job.updated, job.unchanged) if resumed else (0, 0, 0)
    outcome = Outcome()
    directory = Directory()
    zendesk_job = job.kind == ImportJob.Kind.ZENDESK
    if zendesk_job:
        zendesk.ensure_definitions(zendesk.read_export(data))
        with transaction.atomic():
            write_companies(found.companies, Outcome())
            write_contacts(found.contacts, Outcome(), directory)
    batches = list(_batches(found.records))
    if zendesk_job and 0 < resumed <= len(batches):
        # The worker may have stopped while downloading the last committed
        # batch's files: fetch what that batch still misses.
        listed.add(attachments_import(batches[resumed - 1], beat=lambda: _beat(job)))
    for number, batch in enumerate(batches[resumed:], start=resumed + 1):
        with transaction.atomic():
            if job.kind == ImportJob.Kind.CONTACTS:
                write_contacts(batch, outcome, directory)
            elif job.kind == ImportJob.Kind.COMPANIES:
                write_companies(batch, outcome)
            else:
                write_tickets(batch, outcome, directory, run_rules=job.run_rules, lines=found.lines)
            listed.add(outcome.errors)
            outcome.errors = []
            _progress(job, outcome, listed, base, batches_done=number)
        if zendesk_job and listed.add(attachments_import(batch, beat=lambda: _beat(job))):
            _save_errors(job, listed)
    _progress(job, outcome, listed, base, batches_done=len(batches), done=True)


@dataclass
class Listed:
    """The import's error list: the file's own errors, then those found while
    storing (a ticket the services refused, a file not downloaded)."""

    read: list[tuple]
    found: list[tuple]
    saved: int = -1

    def add(self, errors: list) -> bool:
        """Add errors not listed yet; whether there were any."""
        known = set(self.found)
        new = [tuple(e) for e in errors if tuple(e) not in known]
        self.found += new
        return bool(new)

    def failed_lines(self) -> set[int]:
        """Lines not stored: a missing file does not make its ticket skipped."""
        return {e[0] for e in self.read} | {e[0] for e in self.found if e[1] != ATTACHMENTS}

    def count(self) -> int:
        return len(self.read) + len(self.found)

    def kept(self) -> list[list]:
        return [list(e) for e in sorted(self.read + self.found, key=lambda e: e[0])[:ERRORS_KEPT]]


def _batches(records: list) -> Iterator[list]:
    for start in range(0, len(records), BATCH):
        yield records[start : start + BATCH]


def _beat(job: ImportJob) -> None:
    """Still alive (between batches: while downloading files)."""
    if not _claimed(job).update(heartbeat_at=timezone.now()):
        raise Superseded


def _progress(
    job: ImportJob, outcome: Outcome, listed: Listed, base: tuple[int, int, int], *,
    batches_done: int, done: bool = False,
) -> None:  # fmt: skip
    """The counts, resume point and heartbeat, written by the worker that
    holds the job only (Superseded otherwise: the open batch rolls back)."""
    failed = listed.failed_lines()
    job.created = base[0] + len(outcome.created - failed)
    job.updated = base[1] + len(outcome.updated - failed)
    job.unchanged = base[2] + len(outcome.unchanged - failed)
    job.skipped = len(failed)
    handled = job.created + job.updated + job.unchanged + job.skipped
    job.processed = job.total_rows if done else min(handled, job.total_rows)
    job.batches_done = batches_done
    fields = {
        name: getattr(job, name)
        for name in ("created", "updated", "unchanged", "skipped", "processed", "batches_done")
    }
    if listed.count() != listed.saved:
        fields["errors"], fields["error_count"] = listed.kept(), listed.count()
        listed.saved = listed.count()
    if not _claimed(job).update(heartbeat_at=timezone.now(), **fields):
        raise Superseded


def _save_errors(job: ImportJob, listed: Listed) -> None:
    if not _claimed(job).update(errors=listed.kept(), error_count=listed.count()):
        raise Superseded
    listed.saved = listed.count()


def jobs_recover_stale(now: datetime.datetime | None = None) -> int:
    """Imports whose worker stopped: running, and no batch committed for
    HELPDESK_IMPORT_STALE_MINUTES. Each is queued again to resume after its
    last committed batch (idempotent by external id in any case), unless
    resuming is unsafe: its file is gone from the storage, or it was
    restarted HELPDESK_IMPORT_MAX_RESTARTS times already (the file may be
    what stops the worker). Those fail with the reason, for the admin's Retry.
    Claimed by a conditional UPDATE on the heartbeat read. Returns how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(minutes=settings.HELPDESK_IMPORT_STALE_MINUTES)
    stale = ImportJob.objects.filter(status=ImportJob.Status.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    recovered = 0
    for job in stale.only("pk", "file", "heartbeat_at", "restarts"):
        claim = ImportJob.objects.filter(
            pk=job.pk,
            status=ImportJob.Status.RUNNING,
            restarts=job.restarts,
            heartbeat_at=job.heartbeat_at,
        )
        reason = _unsafe_to_resume(job)
        if reason:
            recovered += claim.update(
                status=ImportJob.Status.FAILED, not_resumed=reason, finished_at=now
            )
            continue
        if claim.update(status=ImportJob.Status.QUEUED, restarts=F("restarts") + 1):
            log.warning("import %s lost its worker; resuming it", job.pk)
            transaction.on_commit(partial(enqueue, "imports.tasks.import_run", job.pk))
            recovered += 1
    return recovered


def _unsafe_to_resume(job: ImportJob) -> str:
    """Why the stale job must not be resumed (ImportJob.NotResumed), or ""."""
    if job.restarts >= settings.HELPDESK_IMPORT_MAX_RESTARTS:
        return ImportJob.NotResumed.RESTARTS
    if not job.file or not job.file.storage.exists(job.file.name):
        return ImportJob.NotResumed.FILE_GONE
    return ""


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

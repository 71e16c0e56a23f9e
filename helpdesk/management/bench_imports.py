"""The import's line of `make bench` (issue 18): a CSV of tickets, each
with a contact, a tag and a first message (every third with a reply),
checked and imported as the worker does, in rows per second. Runs in a
transaction rolled back at the end: the dataset stays as seeded.

For the full-size figure (100,000 rows in under two minutes):
    manage.py shell -c "from helpdesk.management import bench_imports as b; print(b.rate(100_000))"
"""

import csv
import io
import os
import time

from django.db import transaction

from accounts.models import User
from imports import services
from imports.models import ImportJob


def tickets_csv(rows: int, agent: User | None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "Ticket ID",
            "Subject",
            "Priority",
            "Requester",
            "Email",
            "Created",
            "Tags",
            "Message",
            "Author",
        ]
    )
    for n in range(rows):
        key = f"bench-import-{n}"
        writer.writerow(
            [key, f"Order {n} arrived damaged", ("low", "medium", "high")[n % 3],
             f"Customer {n % 5000}", f"customer{n % 5000}@import.example", "2024-06-01 09:00",
             "imported", f"Order {n} arrived with a broken lid. Can you send a new one?", ""]
        )  # fmt: skip
        if n % 3 == 0 and agent is not None:
            writer.writerow(
                [key, "", "", "", "", "", "", "We are sending a new one today.", agent.email]
            )
    return out.getvalue().encode()


def run_import(rows: int) -> tuple[float, int, ImportJob]:
    """Seconds the worker takes to import `rows` tickets (after the dry run,
    as the admin runs it), and the lines read; everything rolled back."""
    agent = User.objects.filter(is_active=True, role=User.Role.AGENT).order_by("pk").first()
    data = tickets_csv(rows, agent)
    job = services.job_create(actor=None, kind=ImportJob.Kind.TICKETS, name="bench.csv", data=data)
    try:
        with transaction.atomic():
            if services.job_check(job):
                raise RuntimeError("the bench mapping was refused")
            ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
            started, cpu = time.perf_counter(), time.process_time()
            services.job_run(job.pk)
            elapsed = time.perf_counter() - started
            job.cpu_seconds = time.process_time() - cpu
            job.refresh_from_db()
            if job.status != ImportJob.Status.DONE or job.skipped:
                raise RuntimeError(f"the bench import failed: {job.failure or job.errors[:3]}")
            transaction.set_rollback(True)
    finally:
        job.file.delete(save=False)
        job.delete()
    return elapsed, job.total_rows, job


def rate(rows: int) -> str:
    """The figure with the machine's load: on a shared machine the wall time
    follows the load, this process's CPU time much less."""
    elapsed, lines, job = run_import(rows)
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    return (
        f"{rows} tickets ({lines} CSV rows) in {elapsed:.1f} s: {lines / elapsed:.0f} rows/s "
        f"({job.cpu_seconds:.1f} s of this process's CPU; load average {load})"
    )


def time_csv_import(rows: int, summary, counter) -> dict:
    """One import of `rows` tickets (target: 100,000 rows in 120 s, so
    about 1.2 ms a row); the line's time is the whole run's."""
    with counter() as counted:
        elapsed, lines, _job = run_import(rows)
    per_second = lines / elapsed
    return summary(
        f"import: CSV tickets, {lines} rows ({per_second:.0f} rows/s)",
        [elapsed * 1000],
        counted.count,
        round(lines * 1.2),
    )

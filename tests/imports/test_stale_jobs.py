"""An import whose worker stopped (running, no batch committed for
HELPDESK_IMPORT_STALE_MINUTES) is found by the beat task and resumed after
its last committed batch, without duplicating a ticket; a worker that was
given up on cannot write over its successor; an import that keeps stopping
the worker, or whose file is gone, fails with the reason and a Retry."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation

from imports import services
from imports.models import ImportJob
from tickets.models import Ticket

from .conftest import csv_bytes

ROWS = 7  # batches of 3: 3, 3, 1


class WorkerDied(BaseException):
    """What a killed worker looks like to the code after it: nothing runs."""


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(services, "BATCH", 3)


@pytest.fixture
def job(upload, pipeline, small_batches, monkeypatch):
    """A checked import of ROWS tickets, queued; the tests play the worker."""
    monkeypatch.setattr(services, "enqueue", lambda *args: True)
    data = csv_bytes(
        [["ID", "Subject", "Message"]]
        + [[f"T-{n}", f"Ticket {n}", f"Message {n}"] for n in range(1, ROWS + 1)]
    )
    made = upload(ImportJob.Kind.TICKETS, data, name="tickets.csv")
    assert services.job_check(made) == []
    assert services.job_start(made)
    return made


@pytest.fixture
def batches(monkeypatch):
    """The batches written, by their first external id; `die_at`: the batch
    number whose write kills the worker, `hook`: run before a batch's write."""
    written: list[str] = []
    state: dict = {"die_at": None, "hook": None}
    real = services.write_tickets

    def write(batch, *args, **kwargs):
        number = len(written) + 1
        if state["hook"]:
            state["hook"](number)
        if state["die_at"] == number:
            raise WorkerDied
        written.append(batch[0].external_id)
        return real(batch, *args, **kwargs)

    monkeypatch.setattr(services, "write_tickets", write)
    state["written"] = written
    return state


def stop_worker_at(job, batches, number: int) -> None:
    batches["die_at"] = number
    with pytest.raises(WorkerDied):
        services.job_run(job.pk)
    batches["die_at"] = None
    job.refresh_from_db()


def test_a_stale_import_resumes_after_its_last_committed_batch(
    job, batches, django_capture_on_commit_callbacks
):
    stop_worker_at(job, batches, 2)
    assert (job.status, job.batches_done, job.created) == ("running", 1, 3)
    assert Ticket.objects.count() == 3  # the second batch rolled back with the worker

    assert services.jobs_recover_stale() == 0  # a fresh heartbeat: still alive
    later = timezone.now() + datetime.timedelta(minutes=11)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert services.jobs_recover_stale(later) == 1
    job.refresh_from_db()
    assert (job.status, job.restarts) == ("queued", 1)
    assert len(queued) == 1  # import_run, after commit

    services.job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert batches["written"] == ["T-1", "T-4", "T-7"]  # batch 1 was not written again
    assert (job.created, job.updated, job.unchanged, job.processed) == (ROWS, 0, 0, ROWS)
    assert Ticket.objects.count() == ROWS
    assert sorted(Ticket.objects.values_list("external_id", flat=True)) == sorted(
        f"T-{n}" for n in range(1, ROWS + 1)
    )


def test_the_beat_task_finds_stale_imports(job, batches, settings):
    from imports import tasks

    settings.HELPDESK_IMPORT_STALE_MINUTES = 5
    stop_worker_at(job, batches, 3)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=4)):
        tasks.imports_recover_stale()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=6)):
        tasks.imports_recover_stale()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED


def test_a_worker_given_up_on_cannot_write_over_its_successor(transactional_db, job, batches):
    def sweep(pk):
        ImportJob.objects.filter(pk=pk).update(
            status=ImportJob.Status.QUEUED, restarts=F("restarts") + 1
        )
        connection.close()

    def sweep_restarts_it(number):
        if number == 2:  # the sweep (its own connection) found this worker silent
            thread = threading.Thread(target=sweep, args=[job.pk])
            thread.start()
            thread.join()

    batches["hook"] = sweep_restarts_it
    assert services.job_run(job.pk) is None  # it stops at its next write
    batches["hook"] = None
    job.refresh_from_db()
    assert (job.status, job.batches_done) == ("queued", 1)
    assert Ticket.objects.count() == 3  # its second batch was rolled back

    services.job_run(job.pk)  # the successor
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Ticket.objects.count() == ROWS and job.created == ROWS


def test_an_import_that_keeps_stopping_the_worker_fails_with_a_retry(
    job, batches, settings, admin_client, django_capture_on_commit_callbacks
):
    settings.HELPDESK_IMPORT_MAX_RESTARTS = 2
    later = timezone.now()
    stop_worker_at(job, batches, 2)  # after one batch; then at once, each time
    for _attempt in range(3):
        if job.status == ImportJob.Status.QUEUED:
            stop_worker_at(job, batches, len(batches["written"]) + 1)
        later += datetime.timedelta(minutes=11)
        with time_machine.travel(later):
            services.jobs_recover_stale()
        job.refresh_from_db()
        if job.status == ImportJob.Status.FAILED:
            break
    assert job.status == ImportJob.Status.FAILED
    assert job.failure_text.startswith("The worker stopped 3 times during this import")
    with translation.override("de"):  # each admin reads it in their own language
        assert job.failure_text.startswith(
            "Der Hintergrunddienst wurde während dieses Imports 3-mal"
        )
    assert Ticket.objects.count() == 3  # the batch committed before

    page = admin_client.get(reverse("admin:imports_importjob_change", args=[job.pk]))
    body = page.content.decode()
    assert "The worker stopped 3 times" in body and 'value="Retry"' in body

    with django_capture_on_commit_callbacks(execute=False):
        retried = admin_client.post(reverse("admin:imports_importjob_start", args=[job.pk]))
    assert retried.status_code == 302
    services.job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    # From the start: the three stored tickets are matched by external id.
    assert (job.created, job.unchanged) == (4, 3)
    assert Ticket.objects.count() == ROWS


def test_an_import_whose_file_is_gone_fails_instead_of_resuming(job, batches):
    stop_worker_at(job, batches, 2)
    job.file.storage.delete(job.file.name)
    assert services.jobs_recover_stale(timezone.now() + datetime.timedelta(minutes=11)) == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "the uploaded file is gone" in job.failure_text


def test_other_states_are_left_alone(job, batches):
    services.job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert services.jobs_recover_stale(timezone.now() + datetime.timedelta(days=1)) == 0
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE

"""Helpers for the import tests: a file as an admin uploads it, run as the worker would."""

import csv
import io

import pytest

from imports import services
from imports.models import ImportJob


def csv_bytes(rows: list[list[str]], *, delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode()


def run(job: ImportJob) -> ImportJob:
    """Dry run, then the import, in this process (the task's body)."""
    assert services.job_check(job) == []
    assert services.job_start(job)
    services.job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.failure
    return job


@pytest.fixture
def upload(db, super_admin, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }

    def make(kind: str, data: bytes, name: str = "import.csv", **kwargs) -> ImportJob:
        return services.job_create(actor=super_admin, kind=kind, name=name, data=data, **kwargs)

    return make

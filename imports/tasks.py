from celery import shared_task

from . import services


@shared_task(acks_late=True)
def import_run(job_id: int) -> None:
    """Run a queued import (`services.job_start`); claimed once."""
    services.job_run(job_id)


@shared_task
def imports_recover_stale() -> None:
    """Resume imports whose worker stopped (beat, every minute)."""
    services.jobs_recover_stale()

from celery import shared_task

from . import changes, clocks


@shared_task(acks_late=True)
def sweep_sla_deadlines() -> int:
    """Every minute (beat): announce deadlines that became due soon or passed."""
    return clocks.sweep()


@shared_task(acks_late=True)
def sla_change_run(change_id: int) -> int:
    """Apply an SLA change to open tickets (queued by `changes.sla_change_apply`);
    resumes where a previous run stopped."""
    return changes.sla_change_run(change_id)


@shared_task
def sla_changes_resume() -> int:
    """Every five minutes (beat): queue again SLA changes whose apply task went quiet."""
    return changes.sla_changes_resume()

from celery import shared_task

from . import clocks


@shared_task(acks_late=True)
def sweep_sla_deadlines() -> int:
    """Every minute (beat): announce deadlines that became due soon or passed."""
    return clocks.sweep()

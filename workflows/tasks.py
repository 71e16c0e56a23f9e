from celery import shared_task

from . import engine, sweep


@shared_task(acks_late=True)
def run_ticket_events(ticket_id: int) -> int:
    """Evaluate the rules for a ticket's waiting events (queued after commit)."""
    return engine.run_ticket_events(ticket_id)


@shared_task
def run_waiting_rule_events() -> int:
    """Every minute (beat): queue again the events whose task was lost."""
    return engine.run_waiting()


@shared_task(acks_late=True)
def sweep_time_rules() -> int:
    """Every minute (beat): fire the time-based rules on the tickets whose
    moment passed their threshold since the last run."""
    return sweep.sweep()

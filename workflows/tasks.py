from celery import shared_task

from . import engine, sweep


@shared_task(acks_late=True)
def run_ticket_events(ticket_id: int) -> int:
    """Evaluate the rules for a ticket's waiting events (queued after commit)."""
    return engine.run_ticket_events(ticket_id)


@shared_task
def run_waiting_rule_events() -> int:
    """Every minute (beat): queue again the events and time-based firings
    whose task was lost."""
    return engine.run_waiting() + sweep.pending_rules()


@shared_task(acks_late=True)
def apply_time_rule(rule_id: int) -> int:
    """Apply the firings the sweep recorded for a time-based rule."""
    return sweep.apply_pending(rule_id)


@shared_task(acks_late=True)
def sweep_time_rules() -> int:
    """Every minute (beat): record the time-based rules' firings on the
    tickets whose moment passed their threshold since the last run."""
    return sweep.sweep()

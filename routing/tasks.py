from celery import shared_task

from . import services


@shared_task(acks_late=True)
def route_waiting_tickets(team_ids: list[int] | None = None) -> int:
    """Every minute (beat), for all routed teams, and when an agent becomes
    available, for theirs: hand out the tickets that wait for an agent."""
    return services.route_waiting(team_ids)

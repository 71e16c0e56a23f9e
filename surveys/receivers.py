"""Plans a survey when a ticket closes (the ticket app knows nothing of surveys)."""

from django.dispatch import receiver

from tickets.signals import ticket_activity

from .services import survey_plan


@receiver(ticket_activity, dispatch_uid="surveys.receivers.on_ticket_activity")
def on_ticket_activity(sender, ticket, kind, **kwargs) -> None:
    if kind != "stage":
        return
    old, new = kwargs.get("old_stage"), kwargs.get("new_stage")
    if new is not None and new.is_closed and (old is None or not old.is_closed):
        survey_plan(ticket)

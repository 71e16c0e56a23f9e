"""Who may open which message and file: whoever may see its ticket
(tickets.access, the one place that decides it). Each helper is a single query
and answers 404 for an object out of sight exactly as for an id that does not
exist, so a guessed id tells nothing."""

from django.http import Http404

from accounts.models import User
from tickets.access import visible_tickets

from .models import Attachment, Message

TICKET_COLUMNS = ("ticket__pipeline", "ticket__stage", "ticket__owner", "ticket__team")


def get_message_for_user(
    user: User, pk: int | str, *, related: tuple[str, ...] = (), prefetch: tuple[str, ...] = ()
) -> Message:
    """The message `pk` with its ticket, if `user` may see the ticket, else
    Http404; `related` and `prefetch` name more relations to load with it."""
    try:
        return (
            Message.objects.filter(ticket__in=visible_tickets(user))
            .select_related("ticket", *TICKET_COLUMNS, *related)
            .prefetch_related(*prefetch)
            .get(pk=pk)
        )
    except (Message.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_attachment_for_user(user: User, pk: int | str) -> Attachment:
    """The file `pk` if `user` may see its ticket, else Http404. A pending upload
    (no message yet) only for whoever uploaded it."""
    try:
        attachment = Attachment.objects.filter(ticket__in=visible_tickets(user)).get(pk=pk)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if attachment.message_id is None and attachment.uploaded_by_id != user.pk:
        raise Http404
    return attachment

"""The Spam view's way in and out (S26): blocked senders, and an agent's
"Spam" / "Not spam" on a ticket, which can block or unblock its sender."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from conversations.models import Message
from tickets import services as ticket_services
from tickets.access import get_ticket_for_user
from tickets.models import Ticket
from tickets.rendering import go, next_url
from tickets.views.workspace import detail_changed_response

from .models import BlockedSender


def ticket_sender(ticket: Ticket) -> str:
    """The address that wrote the ticket's first customer message, if any."""
    return (
        Message.objects.filter(ticket=ticket, direction=Message.Direction.INBOUND)
        .exclude(from_email="")
        .order_by("created_at", "id")
        .values_list("from_email", flat=True)
        .first()
        or ""
    ).lower()


def ticket_spam(*, actor: User, ticket: Ticket, spam: bool, block: bool = False) -> Ticket:
    """Move the ticket to Spam (and block its sender, when asked) or back out
    of it; "Not spam" also lifts a block on exactly that address."""
    sender = ticket_sender(ticket)
    with transaction.atomic():
        ticket = ticket_services.ticket_mark_spam(actor=actor, ticket=ticket, spam=spam)
        if spam and block and sender:
            BlockedSender.objects.get_or_create(pattern=sender, defaults={"created_by": actor})
        if not spam and sender:
            BlockedSender.objects.filter(pattern=sender).delete()
    return ticket


@login_required
@require_POST
def ticket_spam_view(request, pk):
    ticket = get_ticket_for_user(request.user, pk)
    spam = request.POST.get("spam") == "1"
    ticket_spam(
        actor=request.user, ticket=ticket, spam=spam, block=request.POST.get("block") == "1"
    )
    following = next_url(request) if spam else None
    if following:
        # Out of every view but Spam: the agent's next ticket opens (issue 19).
        messages.success(request, _("Moved to Spam"))
        return go(request, following)
    return detail_changed_response(request, ticket, toast="spam" if spam else "not_spam")

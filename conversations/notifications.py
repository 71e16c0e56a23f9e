"""Notifications: mentions (S24), followers told of activity (S11), and their
emails. The in-app notification is the record; the email is a courtesy copy
sent once (claimed by a conditional UPDATE before sending)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from helpdesk.labels import LocalNames
from helpdesk.queue import enqueue
from tickets.access import followers_who_see, visible_tickets
from tickets.models import Ticket
from tickets.services import import_mode
from tickets.signals import ticket_activity

from .models import Notification

# Kinds that are emailed as well as shown in the app.
EMAILED = {
    Notification.Kind.MENTION,
    Notification.Kind.CUSTOMER_MESSAGE,
    Notification.Kind.COMMENT,
    Notification.Kind.STATUS,
    Notification.Kind.OWNER,
    Notification.Kind.RULE,
}


SEND_NOTIFICATION = "conversations.tasks.send_notification_email"


def notify(notifications: list[Notification]) -> list[Notification]:
    """Store in-app notifications and email each after commit."""
    notifications = Notification.objects.bulk_create(notifications)
    for notification in notifications:
        if notification.kind in EMAILED:
            transaction.on_commit(lambda pk=notification.pk: enqueue(SEND_NOTIFICATION, pk))
    return notifications


def notify_followers(
    ticket: Ticket,
    *,
    kind: str,
    actor=None,
    message=None,
    detail: str = "",
    named: LocalNames | None = None,
    skip=(),
) -> list[Notification]:
    """Tell the ticket's followers what happened (S11): never the person who did
    it, never anyone in `skip` (told otherwise already), only those who may see
    the ticket now (S3); nothing for spam or deleted tickets. `named`: a row
    (a status) whose name is the detail, in each follower's language."""
    if ticket.is_spam or ticket.deleted_at is not None:
        return []
    leave_out = {*skip, *([actor.pk] if actor is not None else [])}
    return notify(
        [
            Notification(
                user_id=pk,
                ticket=ticket,
                kind=kind,
                actor=actor,
                message=message,
                detail=(_name_in(named, language) if named else detail)[:200],
            )
            for pk, language in followers_who_see(ticket, tuple(sorted(leave_out)))
        ]
    )


def _name_in(row: LocalNames, language: str) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        return row.local_name


@receiver(ticket_activity, dispatch_uid="conversations.notify_followers")
def on_ticket_activity(sender, ticket: Ticket, kind: str, **details):
    """Customer messages, and status and owner changes a person made: a status
    the pipeline sets after a reply is told by the reply's own notification.
    Imported history is news to nobody (`import_mode`)."""
    if import_mode() is not None:
        return
    actor = details.get("actor")
    if kind == "customer_message":
        if details.get("new_ticket") and ticket.owner_id is None:
            # Created in this transaction with no owner: nobody can follow
            # it yet (rules that add followers run after the delivery).
            return
        notify_followers(
            ticket, kind=Notification.Kind.CUSTOMER_MESSAGE, message=details["message"]
        )
    elif actor is None:
        return
    elif kind == "stage":
        notify_followers(
            ticket, kind=Notification.Kind.STATUS, actor=actor, named=details["new_stage"]
        )
    elif kind == "properties" and "owner" in details["previous"]:
        owner = ticket.owner
        notify_followers(
            ticket,
            kind=Notification.Kind.OWNER,
            actor=actor,
            detail=owner.display_name if owner else "",
        )


def notification_email_send(notification_id: int) -> bool:
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("user", "actor", "ticket", "message").get(
        pk=notification_id
    )
    user = notification.user
    # Visibility may have changed since the mention: check again before telling.
    if not user.email or not visible_tickets(user).filter(pk=notification.ticket_id).exists():
        return False
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {
            "notification": notification,
            "url": settings.HELPDESK_BASE_URL.rstrip("/")
            + reverse("tickets:ticket_open", args=[notification.ticket_id])
            + (f"#message-{notification.message_id}" if notification.message_id else ""),
        }
        subject = render_to_string("emails/notification_subject.txt", context).strip()
        body = render_to_string("emails/notification_body.txt", context)
        html = render_to_string("emails/notification_body.html", context)
    email = EmailMultiAlternatives(
        subject=" ".join(subject.splitlines()), body=body, to=[user.email]
    )
    email.attach_alternative(html, "text/html")
    email.extra_headers["Auto-Submitted"] = "auto-generated"
    email.send()
    return True

"""Notification emails. The in-app notification is the record; the email is a
courtesy copy sent once (claimed by a conditional UPDATE before sending)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from tickets.access import visible_tickets

from .models import Notification


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
        subject = render_to_string("emails/mention_subject.txt", context).strip()
        body = render_to_string("emails/mention_body.txt", context)
        html = render_to_string("emails/mention_body.html", context)
    email = EmailMultiAlternatives(
        subject=" ".join(subject.splitlines()), body=body, to=[user.email]
    )
    email.attach_alternative(html, "text/html")
    email.extra_headers["Auto-Submitted"] = "auto-generated"
    email.send()
    return True

"""The portal's sign-in email, sent by the worker."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from conversations.emails import help_desk_sender

from .links import LINK_AGE, link_token
from .models import SignInLink


def sign_in_email_send(link_id: int) -> bool:
    """Email the link of row `link_id`, unless it was used or has expired."""
    link = SignInLink.objects.select_related("contact").filter(pk=link_id).first()
    if link is None or link.used_at is not None:
        return False
    url = settings.HELPDESK_BASE_URL.rstrip("/") + reverse("portal:link", args=[link_token(link)])
    with translation.override(link.language or settings.LANGUAGE_CODE):
        context = {
            "url": url,
            "minutes": int(LINK_AGE.total_seconds() // 60),
            "contact": link.contact,
        }
        subject = render_to_string("portal/email_sign_in_subject.txt", context).strip()
        body = render_to_string("portal/email_sign_in.txt", context)
        html = render_to_string("portal/email_sign_in.html", context)
    email = EmailMultiAlternatives(
        subject=" ".join(subject.splitlines()),
        body=body,
        from_email=help_desk_sender(),
        to=[link.email],
    )
    email.attach_alternative(html, "text/html")
    email.extra_headers["Auto-Submitted"] = "auto-generated"
    email.send()
    return True

"""The survey email: one question, one click per answer, in the ticket's language."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from conversations.emails import help_desk_sender

from .models import Survey
from .tokens import rating_token


def language_of(code: str) -> str:
    """A UI language for the ticket's detected language, else the default."""
    try:
        return translation.get_supported_language_variant(code or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def answer_labels(scale: str) -> list[tuple[str, str]]:
    """(answer, label) of a scale, in the active language, as the email and
    the page list them (best first)."""
    if scale == "five":
        labels = {
            "5": translation.gettext("Excellent"),
            "4": translation.gettext("Good"),
            "3": translation.gettext("Okay"),
            "2": translation.gettext("Poor"),
            "1": translation.gettext("Very poor"),
        }
        return [(answer, f"{answer} - {label}") for answer, label in labels.items()]
    return [
        ("good", translation.gettext("Good, I'm satisfied")),
        ("bad", translation.gettext("Bad, I'm unsatisfied")),
    ]


def survey_url(survey: Survey, rating: str = "", *, absolute: bool = True) -> str:
    """The survey page (with an answer to send); `absolute` for an email,
    a path for a page of our own origin (the chat window)."""
    url = reverse("surveys:rate", args=[rating_token(survey)])
    if absolute:
        url = settings.HELPDESK_BASE_URL.rstrip("/") + url
    return f"{url}?rating={rating}" if rating else url


def survey_email_send(survey: Survey) -> None:
    ticket = survey.ticket
    with translation.override(language_of(ticket.language)):
        context = {
            "ticket": ticket,
            "answers": [
                (label, survey_url(survey, answer)) for answer, label in answer_labels(survey.scale)
            ],
            "comment_url": survey_url(survey),
        }
        subject = render_to_string("surveys/email_subject.txt", context).strip()
        body = render_to_string("surveys/email.txt", context)
        html = render_to_string("surveys/email.html", context)
    email = EmailMultiAlternatives(
        subject=" ".join(subject.splitlines()),
        body=body,
        from_email=help_desk_sender(),
        to=[survey.email],
    )
    email.attach_alternative(html, "text/html")
    # RFC 3834: an auto-responder must not answer it.
    email.extra_headers["Auto-Submitted"] = "auto-generated"
    email.send()

"""Chat tickets are asked inside the chat window, not by email: once the
survey is due, the window's poll carries the question and one link per
answer (each opens the survey page, which sends it), until the customer
answers or the deadline passes."""

from django.utils import timezone
from django.utils.translation import gettext as _

from conversations.models import Thread

from .emails import answer_labels, survey_url
from .models import Survey


def widget_survey(thread: Thread) -> dict:
    ticket = thread.ticket
    if ticket.is_open:
        return {}
    survey = (
        Survey.objects.filter(
            ticket=ticket,
            status=Survey.Status.SENT,
            rated_at__isnull=True,
            answer_until__gt=timezone.now(),
        )
        .order_by("-id")
        .first()
    )
    if survey is None:
        return {}
    return {
        "survey": {
            "question": _("How would you rate the support you received?"),
            "answers": [
                {"label": label, "url": survey_url(survey, answer, absolute=False)}
                for answer, label in answer_labels(survey.scale)
            ],
        }
    }

"""The page a survey link opens (issue 20): no sign-in, the signed link is
the key. Opening it with an answer sends that answer by script (one click);
the answer and a comment can be changed until the survey's deadline, and
sending the same again changes nothing."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from .emails import answer_labels
from .services import SurveyClosed, survey_rate
from .tokens import survey_for_token


@require_http_methods(["GET", "POST"])
def rate(request, token):
    survey = survey_for_token(token)
    if survey is None:
        raise Http404
    if survey.answer_until is None or timezone.now() > survey.answer_until:
        return _page(request, survey, closed=True, status=410)
    if request.method == "POST":
        with_comment = request.POST.get("with_comment") == "1"
        try:
            survey_rate(
                survey=survey,
                rating=request.POST.get("rating", ""),
                comment=request.POST.get("comment", "") if with_comment else None,
            )
        except SurveyClosed:
            return _page(request, survey, closed=True, status=410)
        except ValidationError as error:
            return _page(
                request,
                survey,
                errors=error.message_dict,
                comment=request.POST.get("comment", ""),
                status=400,
            )
        return redirect(f"{request.path}?saved=1")
    chosen = request.GET.get("rating", "")
    chosen = chosen if chosen in survey.answers else ""
    return _page(
        request,
        survey,
        chosen=chosen or survey.rating,
        # One click: an answer in the link that is not yet the saved one.
        autosubmit=bool(chosen) and chosen != survey.rating,
        saved=request.GET.get("saved") == "1",
    )


def _page(request, survey, *, status=200, **context):
    response = render(
        request,
        "surveys/rate.html",
        {
            "ticket": survey.ticket,
            "answers": answer_labels(survey.scale),
            "comment": survey.comment,
            "errors": {},
            **context,
        },
        status=status,
    )
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response

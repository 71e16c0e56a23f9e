"""The library in the workspace (S18): agents upload documents and write
quotes on deals here, then insert them from the composer. Each sees what is
theirs or shared with them; only the owner (or a super admin) changes it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.models import Deal

from .. import services
from ..composer import quote_link, video_link
from ..forms import DocumentForm, QuoteForm, QuoteLineFormSet, VideoForm
from ..models import Quote
from ..queries import documents_for_user, may_change, quotes_for_user, videos_for_user


def _seat_or_403(user) -> None:
    if not user.has_seat:
        raise PermissionDenied


def _own_or_404(queryset, user, pk):
    """One item the user may see (404 otherwise) and may change (403 otherwise)."""
    item = queryset.filter(pk=pk).first()
    if item is None:
        raise Http404
    if not may_change(user, item):
        raise PermissionDenied
    return item


def _attach_errors(form, error: ValidationError) -> None:
    for field, field_errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_errors)


@login_required
@require_GET
def document_list(request):
    _seat_or_403(request.user)
    search = request.GET.get("q", "")
    documents = (
        documents_for_user(request.user, search)
        .prefetch_related("teams")
        .annotate(open_total=Sum("opens__open_count"), opened_tickets=Count("opens"))
        .order_by("name", "id")
    )
    return render(
        request,
        "library/document_list.html",
        {"documents": documents, "search": search, "section": "documents"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def document_edit(request, pk=None):
    """Upload a document, or rename, reshare or replace the file of one."""
    _seat_or_403(request.user)
    document = _own_or_404(documents_for_user(request.user), request.user, pk) if pk else None
    initial = (
        {"name": document.name, "sharing": document.sharing, "teams": document.teams.all()}
        if document
        else None
    )
    form = DocumentForm(
        request.POST or None, request.FILES or None, initial=initial, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.document_save(
                actor=request.user,
                document=document,
                name=form.cleaned_data["name"],
                sharing=form.cleaned_data["sharing"],
                teams=form.cleaned_data["teams"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as error:
            _attach_errors(form, error)
        else:
            messages.success(request, _("Document saved."))
            return redirect("library:document_list")
    return render(
        request,
        "library/document_form.html",
        {"form": form, "document": document, "section": "documents"},
    )


@login_required
@require_POST
def document_delete(request, pk):
    _seat_or_403(request.user)
    document = _own_or_404(documents_for_user(request.user), request.user, pk)
    services.document_delete(actor=request.user, document=document)
    messages.success(request, _("Document deleted. Its links no longer work."))
    return redirect("library:document_list")


@login_required
@require_GET
def video_list(request):
    _seat_or_403(request.user)
    search = request.GET.get("q", "")
    videos = videos_for_user(request.user, search).prefetch_related("teams").order_by("name", "id")
    return render(
        request,
        "library/video_list.html",
        {"videos": videos, "search": search, "section": "videos"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def video_edit(request, pk=None):
    """Upload a video or give its address; rename, reshare or replace it."""
    _seat_or_403(request.user)
    video = _own_or_404(videos_for_user(request.user), request.user, pk) if pk else None
    initial = (
        {"name": video.name, "url": video.url, "sharing": video.sharing, "teams": video.teams.all()}
        if video
        else None
    )
    form = VideoForm(
        request.POST or None, request.FILES or None, initial=initial, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.video_save(
                actor=request.user,
                video=video,
                name=data["name"],
                sharing=data["sharing"],
                teams=data["teams"],
                upload=data["file"],
                url="" if data["file"] else data["url"],
            )
        except ValidationError as error:
            _attach_errors(form, error)
        else:
            messages.success(request, _("Video saved."))
            return redirect("library:video_list")
    return render(
        request,
        "library/video_form.html",
        {
            "form": form,
            "video": video,
            "preview_url": video_link(video, None) if video else "",
            "section": "videos",
        },
    )


@login_required
@require_POST
def video_delete(request, pk):
    _seat_or_403(request.user)
    video = _own_or_404(videos_for_user(request.user), request.user, pk)
    services.video_delete(actor=request.user, video=video)
    messages.success(request, _("Video deleted. Its links no longer work."))
    return redirect("library:video_list")


@login_required
@require_GET
def quote_list(request):
    _seat_or_403(request.user)
    search = request.GET.get("q", "")
    quotes = quotes_for_user(request.user, search).prefetch_related("teams")
    return render(
        request,
        "library/quote_list.html",
        {"quotes": quotes, "search": search, "section": "quotes"},
    )


def _line_rows(quote: Quote | None) -> list[dict]:
    if quote is None:
        return []
    return [
        {"description": li.description, "quantity": li.quantity, "unit_price": li.unit_price}
        for li in quote.lines.all()
    ]


@login_required
@require_http_methods(["GET", "POST"])
def quote_edit(request, pk=None):
    """Write a quote on a deal (from the list, or from the composer's Insert →
    Quote with the ticket's deal chosen); an accepted quote is shown, not edited."""
    _seat_or_403(request.user)
    quote = _own_or_404(quotes_for_user(request.user), request.user, pk) if pk else None
    if quote is not None:
        initial = {
            "title": quote.title,
            "deal": quote.deal,
            "currency": quote.currency,
            "expires_on": quote.expires_on,
            "note": quote.note,
            "sharing": quote.sharing,
            "teams": quote.teams.all(),
        }
    else:
        deal_id = request.GET.get("deal", "")
        deal = Deal.objects.filter(pk=deal_id).first() if deal_id.isdigit() else None
        initial = (
            {"deal": deal, "title": _("Quote for %(deal)s") % {"deal": deal.name}} if deal else {}
        )
    form = QuoteForm(request.POST or None, initial=initial, user=request.user)
    lines = QuoteLineFormSet(request.POST or None, initial=_line_rows(quote), prefix="lines")
    locked = quote is not None and quote.accepted_at is not None
    if request.method == "POST" and not locked and form.is_valid() and lines.is_valid():
        data = form.cleaned_data
        try:
            quote = services.quote_save(
                actor=request.user,
                quote=quote,
                deal=data["deal"],
                title=data["title"],
                currency=data["currency"],
                expires_on=data["expires_on"],
                note=data["note"],
                sharing=data["sharing"],
                teams=data["teams"],
                lines=[row for row in lines.cleaned_data if row],
            )
        except ValidationError as error:
            _attach_errors(form, error)
        else:
            messages.success(request, _("Quote saved."))
            return redirect("library:quote_edit", quote.pk)
    return render(
        request,
        "library/quote_form.html",
        {
            "form": form,
            "lines": lines,
            "quote": quote,
            "locked": locked,
            "preview_url": quote_link(quote, None) if quote else "",
            "section": "quotes",
        },
    )


@login_required
@require_POST
def quote_delete(request, pk):
    _seat_or_403(request.user)
    quote = _own_or_404(quotes_for_user(request.user), request.user, pk)
    services.quote_delete(actor=request.user, quote=quote)
    messages.success(request, _("Quote deleted. Its links no longer work."))
    return redirect("library:quote_list")

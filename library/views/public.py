"""The pages a customer reaches from a link in a reply (S18): no sign-in, the
signed link is the key (library.tokens). A link that is not ours, or whose
document or quote is gone, is a 404."""

from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from .. import services
from ..forms import AcceptForm
from ..models import Document, Quote
from ..tokens import read_token


def _file(document: Document) -> FileResponse:
    """Always a download, never rendered by the browser (RELIABILITY 50). Read
    through the configured storage, so S3 serves as the disk does."""
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.filename,
        content_type=document.content_type,
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def document_link(request, token):
    """Record the open on the ticket the link was sent from, then the file.
    Opens by signed-in agents (checking the link in a reply) are not the
    customer's and are not counted."""
    found = read_token("document", token)
    document = Document.objects.filter(pk=found[0]).first() if found else None
    if document is None:
        raise Http404
    if not (request.user.is_authenticated and request.user.has_seat):
        services.document_opened(document=document, ticket_id=found[1])
    return _file(document)


@require_GET
def document_download(request, token):
    """Links sent before tracked links: the document's own key, not counted."""
    document = Document.objects.filter(token=token).first() if token else None
    if document is None:
        raise Http404
    return _file(document)


@require_http_methods(["GET", "POST"])
def quote_public(request, token):
    """The quote as the customer sees it, and its Accept button (a POST with
    CSRF). Accepting twice changes nothing; an expired quote refuses (410)."""
    found = read_token("quote", token)
    quote = (
        Quote.objects.select_related("deal", "deal__company").filter(pk=found[0]).first()
        if found
        else None
    )
    if quote is None:
        raise Http404
    form = AcceptForm(request.POST or None)
    status = 200
    if request.method == "POST" and quote.accepted_at is None:
        if quote.is_expired():
            status = 410
        elif form.is_valid():
            try:
                services.quote_accept(
                    quote=quote, name=form.cleaned_data["name"], ticket_id=found[1]
                )
            except services.QuoteExpired:
                status = 410
            else:
                return redirect(request.path)
        else:
            status = 400
    elif request.method == "POST":
        return redirect(request.path)
    response = render(
        request,
        "library/quote_public.html",
        {"quote": quote, "lines": list(quote.lines.all()), "form": form},
        status=status,
    )
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response

"""The pages a customer reaches from a link in a reply (S18): no sign-in, the
signed link is the key (library.tokens). A link that is not ours, or whose
document or quote is gone, is a 404."""

import re
from pathlib import Path

from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from .. import services
from ..forms import AcceptForm
from ..models import Document, Quote, Video
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


THUMBNAIL = (
    Path(__file__).resolve().parent.parent / "static/library/video-thumbnail.png"
).read_bytes()
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 2**16


def _video_or_404(token) -> tuple[Video, int | None]:
    found = read_token("video", token)
    video = Video.objects.filter(pk=found[0]).first() if found else None
    if video is None:
        raise Http404
    return video, found[1]


@require_GET
def video_thumbnail(request):
    """The play thumbnail of every inserted video, drawn by us: a reply never
    makes a mail client fetch an image from elsewhere."""
    response = HttpResponse(THUMBNAIL, content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
def video_player(request, token):
    """Our player page: the browser's own <video> for an upload; for a video
    elsewhere, a link out to it (embedding YouTube or Vimeo would loosen the
    CSP and let them track the customer before they choose to watch)."""
    video, _ticket_id = _video_or_404(token)
    response = render(
        request,
        "library/video_player.html",
        {"video": video, "file_url": request.path + "file/" if video.file else ""},
    )
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def _chunks(file, start: int, length: int):
    with file:
        file.seek(start)
        while length > 0:
            data = file.read(min(CHUNK, length))
            if not data:
                return
            length -= len(data)
            yield data


@require_GET
def video_file(request, token):
    """The uploaded video for the player, with byte ranges so the customer can
    seek. The type is the sniffed one (MP4 or WebM), never the uploader's."""
    video, _ticket_id = _video_or_404(token)
    if not video.file:
        raise Http404
    size = video.size
    start, end = 0, size - 1
    match = RANGE.match(request.headers.get("Range", ""))
    partial = bool(match and (match.group(1) or match.group(2)))
    if partial:
        first, last = match.group(1), match.group(2)
        if first:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        else:
            start = max(0, size - int(last))
        if start > end or start >= size:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
    length = end - start + 1
    response = StreamingHttpResponse(
        _chunks(video.file.open("rb"), start, length),
        status=206 if partial else 200,
        content_type=video.content_type,
    )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if partial:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response

"""The library in the composer's Insert menu (S18, S24), reached through
conversations.inserts.INSERT_SOURCES (filled in apps.py): documents and quotes
the agent may see, each inserted as a link that names the ticket, so what the
customer does with it lands on this ticket's timeline."""

from html import escape

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from conversations.sanitize import clean_editor_html

from .models import Document, Quote, Video
from .queries import documents_for_user, quotes_for_user, videos_for_user
from .templatetags.library import money
from .tokens import link_token

RESULTS = 5
# The play thumbnail every inserted video shows (library/static/library/).
THUMBNAIL_PATH = "/v/thumbnail.png"


def public_url(path: str) -> str:
    return settings.HELPDESK_BASE_URL.rstrip("/") + path


def document_link(document: Document, ticket_id: int | None) -> str:
    token = link_token("document", document.pk, ticket_id)
    return public_url(reverse("library:document_link", args=[token]))


def quote_link(quote: Quote, ticket_id: int | None) -> str:
    token = link_token("quote", quote.pk, ticket_id)
    return public_url(reverse("library:quote_public", args=[token]))


def video_link(video: Video, ticket_id: int | None) -> str:
    token = link_token("video", video.pk, ticket_id)
    return public_url(reverse("library:video_player", args=[token]))


def video_html(video: Video, ticket_id: int | None) -> str:
    """A play thumbnail over the name, both linking to our player page; mail
    clients that hide images still show the named link."""
    url = escape(video_link(video, ticket_id))
    name = escape(video.name)
    thumbnail = escape(public_url(THUMBNAIL_PATH))
    return clean_editor_html(
        f'<p><a href="{url}"><img src="{thumbnail}" alt="▶ {name}" width="320" height="180"></a>'
        f'<br><a href="{url}">▶ {name}</a></p>'
    )


def _link(url: str, text: str) -> str:
    return clean_editor_html(f'<p><a href="{escape(url)}">{escape(text)}</a></p>')


def library_inserts(ticket, agent, text: str) -> list[dict]:
    results = []
    for document in documents_for_user(agent, text)[:RESULTS]:
        results.append(
            {
                "kind": "document",
                "label": document.name,
                "detail": f"{document.filename} · {filesizeformat(document.size)}",
                "html": _link(document_link(document, ticket.pk), document.name),
            }
        )
    for video in videos_for_user(agent, text)[:RESULTS]:
        results.append(
            {
                "kind": "video",
                "label": video.name,
                "detail": video.source_name if video.url else video.filename,
                "html": video_html(video, ticket.pk),
            }
        )
    deals = list(ticket.deals.all())
    if not deals:
        return results
    quotes = quotes_for_user(agent, text).for_deals([d.pk for d in deals])
    for quote in quotes[:RESULTS]:
        total = money(quote.total, quote.currency)
        results.append(
            {
                "kind": "quote",
                "label": quote.title,
                "detail": _("%(deal)s · %(total)s · valid until %(date)s")
                % {
                    "deal": quote.deal.name,
                    "total": total,
                    "date": date_format(quote.expires_on, "SHORT_DATE_FORMAT"),
                },
                "html": _link(quote_link(quote, ticket.pk), f"{quote.title} ({total})"),
            }
        )
    wanted = text.strip().lower()
    for deal in deals:
        if not wanted or wanted in deal.name.lower():
            results.append(
                {
                    "kind": "new_quote",
                    "label": _("New quote for %(deal)s") % {"deal": deal.name},
                    "detail": _("Opens the quote editor in a new tab"),
                    "url": reverse("library:quote_create") + f"?deal={deal.pk}",
                }
            )
    return results

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

from .models import Document, Quote
from .queries import documents_for_user, quotes_for_user
from .templatetags.library import money
from .tokens import link_token

RESULTS = 5


def public_url(path: str) -> str:
    return settings.HELPDESK_BASE_URL.rstrip("/") + path


def document_link(document: Document, ticket_id: int | None) -> str:
    token = link_token("document", document.pk, ticket_id)
    return public_url(reverse("library:document_link", args=[token]))


def quote_link(quote: Quote, ticket_id: int | None) -> str:
    token = link_token("quote", quote.pk, ticket_id)
    return public_url(reverse("library:quote_public", args=[token]))


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

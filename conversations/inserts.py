"""What the Insert menu offers (S18): snippets, templates, knowledge base
articles and meeting links, as HTML ready for the editor."""

import re
from collections.abc import Callable
from html import escape

from django.db.models import Q

from accounts.models import User
from tickets.models import Ticket

from .models import KnowledgeArticle, MeetingLink, ReplyTemplate, Snippet
from .sanitize import clean_editor_html

RESULTS_PER_KIND = 5
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Kinds of insert that higher apps offer (ARCHITECTURE: a registry, never an
# import upwards), filled when they start: name -> fn(ticket, agent, text)
# returning results shaped like the ones below (knowledge: the help center's
# articles in the contact's language).
INSERT_SOURCES: dict[str, Callable[[Ticket, User, str], list[dict]]] = {}


def placeholder_values(ticket: Ticket, agent: User) -> dict[str, str]:
    contact = ticket.contacts.order_by("id").first()
    company = ticket.companies.order_by("id").first() or (contact.company if contact else None)
    return {
        "contact_first_name": contact.first_name if contact else "",
        "contact_name": contact.display_name if contact else "",
        "company_name": company.name if company else "",
        "ticket_number": f"#{ticket.pk}",
        "ticket_name": ticket.name,
        "agent_name": agent.display_name,
    }


def fill_placeholders(body: str, values: dict[str, str]) -> str:
    """Replace known {placeholders} with escaped values; leave unknown ones as
    typed. Plain substitution: the text is never run as a template."""
    return PLACEHOLDER.sub(
        lambda m: escape(values[m.group(1)]) if m.group(1) in values else m.group(0), body
    )


def _as_html(text: str) -> str:
    """Bodies may be written as plain text or HTML in admin; both come out clean."""
    if "<" not in text:
        text = "".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip())
    return clean_editor_html(text)


def inserts_for(ticket: Ticket, agent: User, text: str) -> list[dict]:
    """Everything matching `text` (a leading # searches snippet shortcuts)."""
    text = text.strip()[:100]
    values = placeholder_values(ticket, agent)
    results = []
    if text.startswith("#"):
        snippets = Snippet.objects.filter(shortcut__istartswith=text[1:])
    else:
        snippets = Snippet.objects.filter(Q(name__icontains=text) | Q(shortcut__icontains=text))
    for snippet in snippets[:RESULTS_PER_KIND]:
        results.append(
            {
                "kind": "snippet",
                "label": snippet.name,
                "detail": f"#{snippet.shortcut}",
                "html": _as_html(fill_placeholders(snippet.body, values)),
            }
        )
    if text.startswith("#"):
        return results
    for template in ReplyTemplate.objects.filter(name__icontains=text)[:RESULTS_PER_KIND]:
        results.append(
            {
                "kind": "template",
                "label": template.name,
                "detail": "",
                "html": _as_html(fill_placeholders(template.body, values)),
            }
        )
    for source in INSERT_SOURCES.values():
        results += source(ticket, agent, text)
    articles = KnowledgeArticle.objects.filter(Q(title__icontains=text) | Q(body__icontains=text))
    for article in articles[:RESULTS_PER_KIND]:
        link = f'<p><a href="{escape(article.url)}">{escape(article.title)}</a></p>'
        results.append(
            {
                "kind": "article",
                "label": article.title,
                "detail": article.url,
                "html": clean_editor_html(link),
                "text_html": _as_html(article.body) + clean_editor_html(link),
            }
        )
    for meeting in MeetingLink.objects.filter(name__icontains=text)[:RESULTS_PER_KIND]:
        link = f'<p><a href="{escape(meeting.url)}">{escape(meeting.name)}</a></p>'
        results.append(
            {
                "kind": "meeting",
                "label": meeting.name,
                "detail": meeting.url,
                "html": clean_editor_html(link),
            }
        )
    return results

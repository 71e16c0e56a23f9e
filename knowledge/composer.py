"""The help center in the composer (S18, S23), reached through the
registries of conversations.inserts and conversations.recommend (filled in
apps.py): Insert → Knowledge base, and articles among the suggested answers.
Only published translations: a draft never reaches a customer."""

from html import escape

from django.conf import settings

from conversations.sanitize import clean_editor_html

from . import search
from .models import Translation
from .services import public_translations

RESULTS = 5
SUGGESTED = 3


def article_link(translation: Translation) -> str:
    return settings.HELPDESK_BASE_URL.rstrip("/") + translation.get_absolute_url()


def _item(translation: Translation) -> dict:
    url = article_link(translation)
    link = f'<p><a href="{escape(url)}">{escape(translation.title)}</a></p>'
    return {
        "kind": "kb",
        "label": translation.title,
        "detail": f"{translation.get_language_display()} · {url}",
        "html": clean_editor_html(link),
        "text_html": clean_editor_html(translation.body) + clean_editor_html(link),
    }


def _languages(ticket, agent) -> list[str]:
    """The contact's language (detected from their first message), else the
    agent's; both when they differ, the contact's first."""
    codes = [code for code, _name in settings.LANGUAGES]
    ordered = []
    for code in (ticket.language, getattr(agent, "language", "")):
        code = (code or "").lower()
        if code in codes and code not in ordered:
            ordered.append(code)
    return ordered or [settings.LANGUAGE_CODE]


def article_inserts(ticket, agent, text: str) -> list[dict]:
    languages = _languages(ticket, agent)
    results: list[Translation] = []
    for language in languages[:1]:
        found = search.search(public_translations(language), text) if text else None
        if found is None:
            found = public_translations(language).order_by("-helpful_yes", "title")
        results += list(found.select_related(None)[:RESULTS])
    if not results and len(languages) > 1:
        found = search.search(public_translations(languages[1]), text) if text else None
        if found is not None:
            results += list(found[:RESULTS])
    return [_item(t) for t in results]


def article_recommendations(ticket, agent, customer_text: str) -> list[tuple[float, dict]]:
    language = _languages(ticket, agent)[0]
    similar = search.similar(public_translations(language), customer_text, SUGGESTED)
    return [(score, _item(translation)) for score, translation in similar]

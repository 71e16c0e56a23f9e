"""Reply recommendations for the open ticket (S23).

Candidates are bounded (the knowledge base, the snippets and the latest past
replies), so the cost does not grow with the ticket count. They are ranked by
cosine similarity of term sets: words for spaced scripts, character bigrams for
Korean, Chinese and Japanese, which are written without spaces.
"""

import math
import re
from collections import Counter
from collections.abc import Callable

from tickets.access import visible_tickets

from .inserts import _as_html, fill_placeholders, placeholder_values
from .models import KnowledgeArticle, Message, Snippet

PAST_REPLIES = 300
SHOWN = 3
# Candidates from higher apps (a registry filled when they start): name ->
# fn(ticket, agent, customer_text) returning (score, item) pairs, the score on
# the same 0..1 scale as similarity() (knowledge: published articles ranked
# by PostgreSQL full-text similarity).
RECOMMENDATION_SOURCES: dict[str, Callable[..., list[tuple[float, dict]]]] = {}
WORD = re.compile(r"\w+", re.U)
CJK = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7af]")
STOP = {
    "the",
    "and",
    "for",
    "you",
    "your",
    "with",
    "this",
    "that",
    "our",
    "are",
    "have",
    "der",
    "die",
    "das",
    "und",
    "sie",
    "ich",
    "ist",
    "mit",
    "ja",
    "on",
    "että",
    "się",
    "nie",
}


def terms(text: str) -> Counter:
    counts = Counter()
    for word in WORD.findall(text.lower()):
        if CJK.search(word):
            counts.update(word[i : i + 2] for i in range(max(1, len(word) - 1)))
        elif len(word) > 2 and word not in STOP:
            counts[word[:6]] += 1  # a crude stem: invoice/invoices, Rechnung/Rechnungen
    return counts


def similarity(a: Counter, b: Counter) -> float:
    common = set(a) & set(b)
    if not common:
        return 0.0
    dot = sum(a[t] * b[t] for t in common)
    return dot / (
        math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    )


def recommendations_for(ticket, agent, messages) -> list[dict]:
    """Up to three suggestions for answering the customer's latest message."""
    customer = [m for m in messages if m.is_inbound]
    query_text = " ".join([ticket.name, *(m.text for m in customer[-2:])])
    query = terms(query_text)
    if not query:
        return []
    values = placeholder_values(ticket, agent)
    scored = []
    for source in RECOMMENDATION_SOURCES.values():
        scored += source(ticket, agent, query_text)
    for article in KnowledgeArticle.objects.all()[:500]:
        score = similarity(query, terms(f"{article.title} {article.title} {article.body}"))
        link = f'<p><a href="{article.url}">{article.title}</a></p>'
        scored.append(
            (
                score,
                {
                    "kind": "article",
                    "label": article.title,
                    "html": _as_html(link.replace("&", "&amp;")),
                },
            )
        )
    for snippet in Snippet.objects.all()[:500]:
        score = similarity(query, terms(f"{snippet.name} {snippet.body}"))
        scored.append(
            (
                score,
                {
                    "kind": "snippet",
                    "label": snippet.name,
                    "html": _as_html(fill_placeholders(snippet.body, values)),
                },
            )
        )
    # Past replies only from tickets this agent may see (S3): a suggestion must
    # not carry another team's customer's words.
    replies = (
        Message.objects.filter(
            direction="outbound", kind="message", ticket__in=visible_tickets(agent)
        )
        .exclude(ticket=ticket)
        .only("html", "text", "subject")
        .order_by("-id")[:PAST_REPLIES]
    )
    seen = set()
    for reply in replies:
        if reply.text in seen:
            continue
        seen.add(reply.text)
        score = similarity(query, terms(f"{reply.subject} {reply.text}"))
        scored.append(
            (score * 0.9, {"kind": "reply", "label": reply.text[:80], "html": reply.html})
        )
    scored.sort(key=lambda pair: pair[0], reverse=True)
    return [item for score, item in scored[:SHOWN] if score > 0.1]

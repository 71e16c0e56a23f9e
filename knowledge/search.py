"""Article search (issue 20): the ticket search's lexemes (tickets.search:
case and diacritics folded, Korean, Chinese and Japanese as overlapping pairs,
so "환불" is found in "환불을"), over each translation's vector: title (A),
text (B), tags (C). Results rank title matches first, then by ts_rank.

Reply recommendations (S23) ask the other way round: which published
articles are most like the customer's message, by PostgreSQL full-text
similarity over the message's lexemes (any of them, ranked)."""

import re

from django.db import connection, models
from django.db.models.expressions import RawSQL

from conversations.recommend import STOP
from tickets import search as lexemes

from .models import Translation

SIMILAR_TERMS = 40  # the message's first distinct lexemes asked for


def document(title: str, text: str, tags) -> str:
    return lexemes.document(title, text, [w for tag in tags for w in lexemes.words(tag)])


def _sqlite_matches(query: lexemes.Query, weight: str = "") -> models.Q:
    condition = models.Q()
    for term in query.terms:
        any_of = models.Q()
        for lexeme, prefix in term.alternatives:
            quoted = re.escape("'" + lexeme.replace("'", "''") + "'")
            pattern = (quoted[:-1] + "[^']*'" if prefix else quoted) + f":1{weight or '[ABC]'}"
            any_of |= models.Q(search_vector__regex=f"(^| ){pattern}")
        condition &= any_of
    return condition


def search(queryset, text: str):
    """`queryset` (translations) narrowed to those matching every word of
    `text`, title matches first. None when the text holds no word."""
    query = lexemes.parse(text)
    if not query.terms:
        return None
    if connection.vendor != "postgresql":
        title_q = _sqlite_matches(query, "A")
        return (
            queryset.filter(_sqlite_matches(query))
            .annotate(
                in_title=models.Case(
                    models.When(title_q, then=True), default=False, output_field=models.BooleanField()
                )
            )
            .order_by("-in_title", "title", "id")
        )
    vector = '"knowledge_translation"."search_vector"'
    tsquery, title_query = query.tsquery(), query.tsquery("A")
    return (
        queryset.filter(
            models.Q(RawSQL(f"{vector} @@ %s::tsquery", [tsquery], models.BooleanField()))
        )
        .annotate(
            in_title=RawSQL(f"{vector} @@ %s::tsquery", [title_query], models.BooleanField()),
            rank=RawSQL(f"ts_rank({vector}, %s::tsquery)", [tsquery], models.FloatField()),
        )
        .order_by("-in_title", "-rank", "id")
    )


def similar_query(text: str) -> str:
    """A tsquery asking for any of the text's lexemes: words cut to six
    letters as prefixes (invoice, invoices), CJK pairs exact."""
    chosen: list[str] = []
    for word in lexemes.words(text[:5000]):
        cjk = bool(re.match(f"[{lexemes._CJK}]", word))
        if not cjk and (len(word) < 3 or word in STOP or word.isdigit()):
            continue
        term = lexemes._quote(word) if cjk else lexemes._quote(word[:6]) + ":*"
        if term not in chosen:
            chosen.append(term)
        if len(chosen) == SIMILAR_TERMS:
            break
    return " | ".join(chosen)


def similar(queryset, text: str, limit: int) -> list[tuple[float, Translation]]:
    """The `limit` translations most like `text` by full-text similarity,
    with a score from 0 to 1 (ts_rank normalised as rank / (rank + 1))."""
    tsquery = similar_query(text)
    if not tsquery or connection.vendor != "postgresql":
        return []
    vector = '"knowledge_translation"."search_vector"'
    rows = (
        queryset.filter(
            models.Q(RawSQL(f"{vector} @@ %s::tsquery", [tsquery], models.BooleanField()))
        )
        .annotate(
            similarity=RawSQL(f"ts_rank({vector}, %s::tsquery, 32)", [tsquery], models.FloatField())
        )
        .order_by("-similarity", "id")[:limit]
    )
    return [(row.similarity, row) for row in rows]

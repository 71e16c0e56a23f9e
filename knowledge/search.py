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
                    models.When(title_q, then=True),
                    default=False,
                    output_field=models.BooleanField(),
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


def loosened(text: str) -> str:
    """The text with its longer Latin words cut short, asked again when the
    words as typed find nothing: cheap tolerance of inflections and of a slip
    near a word's end (invoices -> invoi*, finds invoice; płatności -> platno*,
    finds płatność). Empty when nothing would change."""
    words = []
    changed = False
    for word in lexemes.words(text):
        cjk = bool(re.match(f"[{lexemes._CJK}]", word))
        if not cjk and len(word) >= 6:
            word, changed = word[: max(4, len(word) - 3)], True
        words.append(word)
    return " ".join(words) if changed else ""


def similar_terms(text: str) -> list[tuple[str, bool]]:
    """The text's distinct lexemes to ask for: words cut to six letters as
    prefixes (invoice, invoices), CJK pairs exact; short and stop words out."""
    chosen: list[tuple[str, bool]] = []
    for word in lexemes.words(text[:5000]):
        cjk = bool(re.match(f"[{lexemes._CJK}]", word))
        if not cjk and (len(word) < 3 or word in STOP or word.isdigit()):
            continue
        term = (word, False) if cjk else (word[:6], True)
        if term not in chosen:
            chosen.append(term)
        if len(chosen) == SIMILAR_TERMS:
            break
    return chosen


def similar_query(terms: list[tuple[str, bool]]) -> str:
    return " | ".join(lexemes._quote(w) + (":*" if prefix else "") for w, prefix in terms)


_VECTOR_LEXEME = re.compile(r"'((?:[^']|'')*)'")


def coverage(terms: list[tuple[str, bool]], vector: str) -> float:
    """How much of the message an article covers, 0 to 1: the square root
    of the share of the message's lexemes found in the article's vector."""
    found = {m.replace("''", "'") for m in _VECTOR_LEXEME.findall(vector or "")}
    hits = sum(
        1
        for word, prefix in terms
        if (any(f.startswith(word) for f in found) if prefix else word in found)
    )
    return (hits / len(terms)) ** 0.5 if terms else 0.0


def similar(queryset, text: str, limit: int) -> list[tuple[float, Translation]]:
    """The `limit` translations most like `text`, ranked by PostgreSQL's
    full-text similarity (ts_rank of any of the text's lexemes, title words
    weighing most), each with a 0..1 score for merging with other kinds of
    suggestion (coverage(), never above the score of a better-ranked one)."""
    terms = similar_terms(text)
    if not terms or connection.vendor != "postgresql":
        return []
    tsquery = similar_query(terms)
    vector = '"knowledge_translation"."search_vector"'
    rows = (
        queryset.filter(
            models.Q(RawSQL(f"{vector} @@ %s::tsquery", [tsquery], models.BooleanField()))
        )
        .annotate(rank=RawSQL(f"ts_rank({vector}, %s::tsquery)", [tsquery], models.FloatField()))
        .order_by("-rank", "id")[:limit]
    )
    results: list[tuple[float, Translation]] = []
    ceiling = 1.0
    for row in rows:
        ceiling = min(ceiling, coverage(terms, row.search_vector))
        results.append((ceiling, row))
    return results

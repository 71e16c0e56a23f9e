"""Ticket search (S28, ARCHITECTURE rule 6).

Each ticket carries a `search_vector`: the words of its name (weight A), its
description (B) and its contacts and companies (C: names, email addresses,
phone numbers), made into lexemes here in Python so that every language is
cut the same way:

- letters are case-folded and Latin diacritics dropped ("Müller", "łódź" and
  "Pääkäyttäjä" are found typed with or without them);
- Korean, Chinese and Japanese runs become overlapping two-character pieces,
  so a word is found inside a longer run written without spaces ("환불을" holds
  "환불");
- an email address is kept whole from each of its parts onwards
  ("wilson@example.com", "example.com"), so a partial address typed from the
  start of a part matches as a prefix;
- a phone number becomes its digits from every position onwards, so the
  digits typed in any grouping, with or without the country code, match.

The query is cut the same way and every term must match (as a prefix, except
CJK pairs). PostgreSQL stores the vector as `tsvector` with a GIN index; SQLite
stores its text form and matches it with LIKE, which is slower but finds the same.
"""

import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

# Hangul (jamo, compatibility jamo, syllables), kana, CJK ideographs.
_CJK = "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_RUNS = re.compile(f"([{_CJK}]+)|([^{_CJK}]+)")
_WORD = re.compile(r"\w+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_EMAIL_PART = re.compile(r"[.@+_-]")
# A phone number typed with spaces, dashes, dots or brackets between its digits,
# standing on its own (not the digits of an address or a word).
_PHONE = re.compile(r"(?<![\w@.+-])\+?\(?\d[\d\s().-]{2,}\d(?![\w@])")
# Latin letters whose diacritic is not a combining mark.
_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "æ": "ae", "œ": "oe", "\u0131": "i"})
DESCRIPTION_CHARS = 20_000  # words past this are not indexed
MIN_PHONE_DIGITS = 4


class SearchVectorField(models.TextField):
    """`tsvector` on PostgreSQL; its text form elsewhere."""

    def db_type(self, connection):
        return "tsvector" if connection.vendor == "postgresql" else "text"


def fold(text: str) -> str:
    """Lower case, NFKC, Latin diacritics removed (ä -> a, ł -> l, ß -> ss)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_LETTERS)
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not "\u0300" <= c <= "\u036f")
    return unicodedata.normalize("NFC", stripped)


def _pieces(word: str) -> list[str]:
    """A word as lexemes: Latin runs whole, CJK runs as overlapping pairs."""
    pieces = []
    for cjk, other in _RUNS.findall(word):
        if other:
            pieces.append(other)
        elif len(cjk) == 1:
            pieces.append(cjk)
        else:
            pieces += [cjk[i : i + 2] for i in range(len(cjk) - 1)]
    return pieces


def words(text: str) -> list[str]:
    return [p for word in _WORD.findall(fold(text or "")) for p in _pieces(word)]


def email_lexemes(address: str) -> list[str]:
    """The address from the start of each part: a.b@c.fi, b@c.fi, c.fi, fi."""
    address = fold(address or "").strip()
    if "@" not in address:
        return []
    starts = [0] + [m.end() for m in _EMAIL_PART.finditer(address)]
    return [address[i:] for i in starts if address[i:]]


def phone_lexemes(number: str) -> list[str]:
    digits = re.sub(r"\D", "", number or "")
    if len(digits) < MIN_PHONE_DIGITS:
        return []
    return [digits[i:] for i in range(len(digits) - MIN_PHONE_DIGITS + 1)]


def contact_lexemes(contact: dict) -> list[str]:
    """A contact's searchable parts (first, last name, email, phones, company)."""
    lexemes = words(f"{contact.get('first_name', '')} {contact.get('last_name', '')}")
    lexemes += email_lexemes(contact.get("email", "")) + words(contact.get("email", ""))
    for phone in (contact.get("phone", ""), contact.get("mobile", "")):
        lexemes += phone_lexemes(phone)
    lexemes += words(contact.get("company", ""))
    return lexemes


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def document(name: str, description: str, related: Iterable[str] = ()) -> str:
    """The tsvector literal of a ticket: each lexeme once, with its best weight."""
    weights: dict[str, str] = {}
    for weight, lexemes in (
        ("A", words(name)),
        ("B", words((description or "")[:DESCRIPTION_CHARS])),
        ("C", related),
    ):
        for lexeme in lexemes:
            if lexeme and len(lexeme) < 200:
                weights.setdefault(lexeme, weight)
    return " ".join(f"{_quote(lexeme)}:1{weight}" for lexeme, weight in weights.items())


# Queries -------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One thing the query asks for: any of `alternatives` (lexeme, is_prefix)."""

    alternatives: tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class Query:
    text: str
    ticket_id: int | None
    terms: tuple[Term, ...]
    # Tag names asked for with `tag:refund` (or `tag:"two words"`): every one
    # must be on the ticket. Matched by queries, not by the search vector.
    tags: tuple[str, ...] = ()
    # The other operators (issue 19), each a tuple of the values typed, in
    # order, as typed: `status:`, `owner:` ("me", "none" or a name), `from:`
    # (a contact's address, domain or name), `team:`, `priority:` and `is:`
    # ("unassigned", "open", "closed"). Values of one operator are
    # alternatives; operators must all hold. queries.apply_search reads them.
    statuses: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    senders: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    # "Quoted phrases": their words are terms too, and the phrase itself must
    # appear in the name, the description or the contact's name.
    phrases: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return (
            bool(self.terms)
            or self.ticket_id is not None
            or any(getattr(self, name) for name in OPERATOR_FIELDS.values())
            or bool(self.phrases)
        )

    def tsquery(self, weight: str = "") -> str:
        """The terms as a tsquery literal; `weight` "A" keeps name matches only."""
        groups = []
        for term in self.terms:
            alternatives = [
                f"{_quote(lexeme)}:{'*' if prefix else ''}{weight}"
                if prefix or weight
                else _quote(lexeme)
                for lexeme, prefix in term.alternatives
            ]
            groups.append("(" + " | ".join(alternatives) + ")")
        return " & ".join(groups)


# Operator typed -> the Query field holding its values.
OPERATOR_FIELDS = {
    "tag": "tags",
    "status": "statuses",
    "owner": "owners",
    "from": "senders",
    "team": "teams",
    "priority": "priorities",
    "is": "flags",
}
_OPERATOR = re.compile(
    r"(?<!\S)(" + "|".join(OPERATOR_FIELDS) + r'):(?:"([^"]*)"|(\S*))', re.IGNORECASE
)
_PHRASE = re.compile(r'"([^"]+)"')


def parse(text: str) -> Query:
    """What the search box asks for: a ticket number, terms that must all
    match, operators (`tag:refund status:open owner:me`) and "quoted phrases"."""
    text = (text or "").strip()[:200]
    values: dict[str, list[str]] = {field: [] for field in OPERATOR_FIELDS.values()}
    for operator, quoted, word in _OPERATOR.findall(text):
        value = " ".join((quoted or word).split())
        field = OPERATOR_FIELDS[operator.lower()]
        if value and value not in values[field]:
            values[field].append(value)
    rest = _OPERATOR.sub(" ", text)
    phrases = tuple(dict.fromkeys(" ".join(p.split()) for p in _PHRASE.findall(rest) if p.strip()))
    query = _parse(" ".join(rest.replace('"', " ").split()))
    # A quoted number is a phrase, not a ticket number.
    ticket_id = query.ticket_id if not phrases else None
    return Query(
        text,
        ticket_id,
        query.terms,
        **{field: tuple(found) for field, found in values.items()},
        phrases=tuple(p for p in phrases if len(p.split()) > 1 or not p.isdigit()),
    )


def words_query(text: str) -> Query:
    """`text` as terms only (no operators, no ticket number): `from:`'s value."""
    query = _parse(text)
    return Query(text, None, query.terms)


def _parse(text: str) -> Query:
    number = re.fullmatch(r"#?\s*(\d{1,12})", text)
    ticket_id = int(number.group(1)) if number else None
    terms: list[Term] = []
    # Phone numbers first: their groups belong together.
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) >= MIN_PHONE_DIGITS:
            national = digits.lstrip("0")  # a trunk prefix the stored number lacks
            options = {(digits, True)}
            if len(national) >= MIN_PHONE_DIGITS:
                options.add((national, True))
            terms.append(Term(tuple(sorted(options))))
    rest = _PHONE.sub(" ", text)
    for chunk in rest.split():
        if "@" in chunk or re.fullmatch(r"[\w-]+(\.[\w-]+)+\.?", chunk):
            # Part of an address or a domain: one lexeme, matched as a prefix.
            folded = fold(chunk).strip(".")
            if folded:
                terms.append(Term(((folded, True),)))
            continue
        for word in _WORD.findall(fold(chunk)):
            for cjk, other in _RUNS.findall(word):
                if other:
                    terms.append(Term(((other, True),)))
                elif len(cjk) == 1:
                    terms.append(Term(((cjk, True),)))
                else:
                    terms += [Term(((cjk[i : i + 2], False),)) for i in range(len(cjk) - 1)]
    return Query(text, ticket_id, tuple(dict.fromkeys(terms)))


def matches(query: Query, *, name_only: bool = False, weight: str = "") -> models.Q:
    """A filter for tickets whose vector holds every term (in the name, if
    asked; with one of the `weight` letters, if given: "AC" the name or the
    contacts)."""
    if not query.terms:
        return models.Q(pk__in=[])
    weight = "A" if name_only else weight
    if connection.vendor == "postgresql":
        vector = '"tickets_ticket"."search_vector"'
        return models.Q(
            RawSQL(f"{vector} @@ %s::tsquery", [query.tsquery(weight)], models.BooleanField())
        )
    # SQLite: the vector's text form, one lexeme after another ('word':1A).
    condition = models.Q()
    for term in query.terms:
        any_of = models.Q()
        for lexeme, prefix in term.alternatives:
            quoted = re.escape(_quote(lexeme))
            pattern = (quoted[:-1] + "[^']*'" if prefix else quoted) + f":1[{weight or 'ABC'}]"
            any_of |= models.Q(search_vector__regex=f"(^| ){pattern}")
        condition &= any_of
    return condition


def highlight(text: str, query: Query | None) -> SafeString:
    """`text` escaped, with the words the query matched in <mark>: whole words
    for prefixes, the matched characters inside Korean, Chinese and Japanese."""
    if not query or not query.terms:
        return escape(text)
    lexemes = [lexeme for term in query.terms for lexeme, _prefix in term.alternatives]
    out, last = [], 0
    for match in _WORD.finditer(text):
        word, folded = match.group(), fold(match.group())
        marked = [False] * len(word)
        if len(folded) == len(word):
            for lexeme in lexemes:
                if folded.startswith(lexeme) and not _RUNS.match(lexeme).group(1):
                    marked = [True] * len(word)
                    break
                start = folded.find(lexeme)
                while start != -1 and _RUNS.match(lexeme).group(1):
                    marked[start : start + len(lexeme)] = [True] * len(lexeme)
                    start = folded.find(lexeme, start + 1)
        elif any(folded.startswith(lexeme) for lexeme in lexemes):
            marked = [True] * len(word)  # folding changed its length (ß -> ss)
        out.append(text[last : match.start()])
        for is_marked, run in itertools.groupby(zip(marked, word, strict=True), key=lambda p: p[0]):
            chunk = "".join(c for _m, c in run)
            out.append(format_html("<mark>{}</mark>", chunk) if is_marked else chunk)
        last = match.end()
    out.append(text[last:])
    return format_html_join("", "{}", ((piece,) for piece in out))

"""The code's citations resolve in the project's own docs/.

Comments and docstrings cite feature numbers ("S11"), reliability rules and
checklist items ("RELIABILITY 34", "RELIABILITY rule 9", "RELIABILITY J 61")
and architecture rules ("ARCHITECTURE rule 8"). Each must be defined by a
heading in docs/features.md, docs/reliability.md or docs/architecture.md, so
someone with only this repository can look it up. Plain file reading: no
database, no Django, milliseconds.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# Where citations live: the apps, the project package, the tests, templates and
# our own static files (not vendored code), and the build files.
SOURCE_DIRS = [
    "accounts",
    "api",
    "channels_inbound",
    "conversations",
    "crm",
    "helpdesk",
    "knowledge",
    "portal",
    "sla",
    "surveys",
    "reports",
    "tickets",
    "templates",
    "tests",
    "static/js",
    "static/css",
]
SOURCE_FILES = ["pyproject.toml", "Makefile"]
SUFFIXES = {".py", ".html", ".txt", ".js", ".css"}

SECTION_RE = re.compile(r"^## ([A-Q])\. ", re.M)


def _sources() -> list[Path]:
    files = [ROOT / name for name in SOURCE_FILES if (ROOT / name).exists()]
    for folder in SOURCE_DIRS:
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in SUFFIXES and not {"migrations", "vendor"} & set(path.parts):
                files.append(path)
    this = Path(__file__).resolve()
    return sorted(f for f in files if f != this)


def _numbers(token: str) -> list[int]:
    """ "7" -> [7]; "61-63" -> [61, 62, 63]."""
    low, _, high = token.replace("–", "-").partition("-")
    return list(range(int(low), int(high or low) + 1))


# -- What the docs define --------------------------------------------------------


def defined_features() -> set[int]:
    text = (DOCS / "features.md").read_text()
    return {int(n) for n in re.findall(r"^#{2,3} S(\d+)\. ", text, re.M)}


def defined_architecture_rules() -> set[int]:
    text = (DOCS / "architecture.md").read_text()
    return {int(n) for n in re.findall(r"^#{2,4} Rule (\d+)\. ", text, re.M)}


def defined_reliability() -> tuple[set[int], dict[int, str], set[str]]:
    """Design rules, checklist items (number -> section letter) and sections."""
    rules: set[int] = set()
    items: dict[int, str] = {}
    sections: set[str] = set()
    section = ""
    for line in (DOCS / "reliability.md").read_text().splitlines():
        if match := re.match(r"## ([A-Q])\. ", line):
            section = match[1]
            sections.add(section)
        elif match := re.match(r"### Rule (\d+)\. ", line):
            rules.add(int(match[1]))
        elif match := re.match(r"### (\d+)\. ", line):
            assert section, f"checklist item {match[1]} before any section"
            items[int(match[1])] = section
    return rules, items, sections


# -- What the code cites ---------------------------------------------------------

# Each pattern starts with a literal, which lets `re` skip ahead quickly (a
# leading \b makes it try every position); the word boundary before the match
# is checked by _starts_word.
FEATURE_RE = re.compile(r"S(\d{1,2})(?:[-–]S?(\d{1,2}))?\b")
ARCHITECTURE_RE = re.compile(
    r"ARCHITECTURE(?:\s|#)+rules?(?:\s|#)+(\d+(?:(?:\s|#|,|\band\b)+\d+)*)"
)
RELIABILITY_RE = re.compile(r"RELIABILITY\b")
EXTERNAL_RE = re.compile(r"(?:SPEC|ARCHITECTURE|RELIABILITY)\.md|shared/docs")
# After "RELIABILITY": a list of rule numbers, item numbers, section letters
# and section-qualified items ("J 61-63", "F41-43"), across comment lines.
SEPARATOR_RE = re.compile(r"(?:\s|#|,|\band\b)*")
TOKEN_RE = re.compile(
    r"(?P<keyword>rules?|items?)\b"
    r"|(?P<section>[A-Q])(?![A-Za-z])(?:\s*(?P<in_section>\d+(?:[-–]\d+)?))?"
    r"|(?P<number>\d+(?:[-–]\d+)?)\b"
)


def reliability_references(text: str, start: int) -> list[tuple[str, object, str]]:
    """("rule", n, ""), ("item", n, section or ""), ("section", letter, "")
    from the list that starts at `start`."""
    references = []
    kind, section, pos = "item", "", start
    while True:
        pos = SEPARATOR_RE.match(text, pos).end()
        match = TOKEN_RE.match(text, pos)
        if not match:
            return references
        pos = match.end()
        if match["keyword"]:
            kind = "rule" if match["keyword"].startswith("rule") else "item"
        elif match["section"]:
            kind, section = "item", match["section"]
            references.append(("section", section, ""))
            if match["in_section"]:
                references += [("item", n, section) for n in _numbers(match["in_section"])]
            else:
                section = ""  # "A, B, D": sections only
        else:
            references += [(kind, n, section) for n in _numbers(match["number"])]


def _starts_word(text: str, start: int) -> bool:
    return start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_")


def citations() -> dict[str, list[tuple[str, object, str]]]:
    """Every citation as (where, kind, value, section)."""
    found = {"feature": [], "architecture": [], "reliability": [], "external": []}
    for path in _sources():
        text = path.read_text(errors="replace")
        name = str(path.relative_to(ROOT))

        def where(offset: int, name=name, text=text) -> str:
            return f"{name}:{text.count(chr(10), 0, offset) + 1}"

        for match in FEATURE_RE.finditer(text):
            if not _starts_word(text, match.start()):
                continue
            low, high = int(match[1]), int(match[2] or match[1])
            for n in range(low, high + 1):
                found["feature"].append((where(match.start()), n, ""))
        for match in ARCHITECTURE_RE.finditer(text):
            if not _starts_word(text, match.start()):
                continue
            for n in re.findall(r"\d+", match[1]):
                found["architecture"].append((where(match.start()), int(n), ""))
        for match in RELIABILITY_RE.finditer(text):
            if not _starts_word(text, match.start()):
                continue
            for kind, value, section in reliability_references(text, match.end()):
                found["reliability"].append((where(match.start()), (kind, value), section))
        if ".md" not in text and "shared/docs" not in text:
            continue
        for match in EXTERNAL_RE.finditer(text):
            found["external"].append((where(match.start()), match[0], ""))
    return found


@pytest.fixture(scope="module")
def cited():
    return citations()


def test_the_parser_reads_every_form_the_code_uses():
    refs = reliability_references
    assert refs("RELIABILITY 31, 34).", 11) == [("item", 31, ""), ("item", 34, "")]
    assert refs("RELIABILITY rule 9).", 11) == [("rule", 9, "")]
    assert refs("RELIABILITY items 38-39, for", 11) == [("item", 38, ""), ("item", 39, "")]
    assert refs("RELIABILITY I, N, F41-43).", 11) == [
        ("section", "I", ""),
        ("section", "N", ""),
        ("section", "F", ""),
        ("item", 41, "F"),
        ("item", 42, "F"),
        ("item", 43, "F"),
    ]
    assert refs('RELIABILITY A 3,\nB 7 and 12, J 61).""', 11) == [
        ("section", "A", ""),
        ("item", 3, "A"),
        ("section", "B", ""),
        ("item", 7, "B"),
        ("item", 12, "B"),
        ("section", "J", ""),
        ("item", 61, "J"),
    ]
    assert refs("(RELIABILITY\n    # 20: a worker", 12) == [("item", 20, "")]
    assert refs("RELIABILITY L, STYLE", 11) == [("section", "L", "")]
    assert refs("RELIABILITY 15 in small", 11) == [("item", 15, "")]
    assert ARCHITECTURE_RE.search("(ARCHITECTURE\n    rules 2 and 3)")[1] == "2 and 3"
    assert FEATURE_RE.search("(S16-S25)").groups() == ("16", "25")


def test_the_code_cites_what_the_docs_define(cited):
    features = defined_features()
    architecture = defined_architecture_rules()
    rules, items, sections = defined_reliability()
    problems = []
    for where, n, _ in cited["feature"]:
        if n not in features:
            problems.append(f"{where}: S{n} is not a heading of docs/features.md")
    for where, n, _ in cited["architecture"]:
        if n not in architecture:
            problems.append(f"{where}: ARCHITECTURE rule {n} is not in docs/architecture.md")
    for where, (kind, value), section in cited["reliability"]:
        if kind == "rule" and value not in rules:
            problems.append(f"{where}: RELIABILITY rule {value} is not in docs/reliability.md")
        elif kind == "section" and value not in sections:
            problems.append(f"{where}: RELIABILITY section {value} is not in docs/reliability.md")
        elif kind == "item" and value not in items:
            problems.append(f"{where}: RELIABILITY {value} is not in docs/reliability.md")
        elif kind == "item" and section and items[value] != section:
            problems.append(
                f"{where}: RELIABILITY {section} {value}, but item {value} is in section "
                f"{items[value]} of docs/reliability.md"
            )
    for where, name, _ in cited["external"]:
        problems.append(f"{where}: cites {name}, outside the repository; cite docs/ instead")
    assert not problems, "\n".join(problems)


def test_citations_are_found_at_all(cited):
    """A parser that silently stopped matching would pass the test above."""
    assert len(cited["feature"]) > 200
    assert len(cited["reliability"]) > 80
    assert len(cited["architecture"]) > 10


def test_the_docs_number_without_gaps_or_repeats():
    text = (DOCS / "features.md").read_text()
    numbers = [int(n) for n in re.findall(r"^#{2,3} S(\d+)\. ", text, re.M)]
    assert numbers == list(range(1, len(numbers) + 1))
    text = (DOCS / "architecture.md").read_text()
    numbers = [int(n) for n in re.findall(r"^#{2,4} Rule (\d+)\. ", text, re.M)]
    assert numbers == list(range(1, len(numbers) + 1))
    text = (DOCS / "reliability.md").read_text()
    items = [int(n) for n in re.findall(r"^### (\d+)\. ", text, re.M)]
    assert items == sorted(set(items)), "checklist items out of order or repeated"
    sections = SECTION_RE.findall(text)
    assert sections == sorted(set(sections))


def test_the_files_the_docs_name_exist():
    """Paths in backticks (`tickets/access.py`, `tests/sla/test_clocks.py`)
    point at files of this repository, so a rename shows up here."""
    missing = []
    for page in sorted(DOCS.glob("*.md")):
        for path in re.findall(r"`([\w./-]+\.(?:py|html|js|md|toml|sh))`", page.read_text()):
            if not (ROOT / path).exists():
                missing.append(f"docs/{page.name}: {path}")
    assert not missing, "\n".join(missing)

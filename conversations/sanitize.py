"""HTML from outside and from the editor, made safe to store and show
(ARCHITECTURE rule 7, RELIABILITY F).

`SANITIZER_VERSION` is stored with each message so stored HTML can be cleaned
again when these rules change.
"""

import re
from html import escape, unescape

import nh3
from inscriptis import get_text
from inscriptis.model.config import ParserConfig

SANITIZER_VERSION = 1
MAX_HTML_BYTES = 2_000_000
# nh3's cost grows with the square of the nesting depth (100,000 nested divs take
# over a minute): deeper input is flattened to text first.
MAX_DEPTH = 200

EDITOR_TAGS = {
    "p",
    "div",
    "br",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "s",
    "ul",
    "ol",
    "li",
    "a",
    "blockquote",
    "pre",
    "code",
    "span",
}
# A mention is <span data-mention="user id">@Name</span>, inserted by the editor.
ATTRIBUTES = {"a": {"href", "title"}, "span": {"data-mention"}}
MENTION = re.compile(r'<span data-mention="(\d+)"')
URL_SCHEMES = {"http", "https", "mailto"}
OPENING_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>|</([a-zA-Z][a-zA-Z0-9]*)\s*>")
TAG = re.compile(r"<[^>]*>")
VOID = {"br", "img", "hr", "input", "meta", "link", "area", "base", "col", "wbr", "source"}


def nesting_depth(html: str) -> int:
    """The deepest element nesting, counted from the tags (cheap, never raises)."""
    depth = deepest = 0
    for match in OPENING_TAG.finditer(html):
        opening, self_closing, closing = match.groups()
        if opening and opening.lower() not in VOID and not self_closing:
            depth += 1
            deepest = max(deepest, depth)
        elif closing:
            depth = max(0, depth - 1)
    return deepest


def clean_editor_html(html: str) -> str:
    """What an agent wrote in the reply or comment editor, reduced to the
    formatting the editor offers: no scripts, styles, event handlers or foreign
    attributes; links open safely."""
    html = (html or "")[:MAX_HTML_BYTES].replace("\x00", "")
    if nesting_depth(html) > MAX_DEPTH:
        # Keep the words, drop the structure: linear time whatever the depth.
        text = re.sub(r"\s+", " ", unescape(TAG.sub(" ", html))).strip()
        return f"<p>{escape(text)}</p>"
    cleaned = nh3.clean(
        html,
        tags=EDITOR_TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return cleaned.strip()


_TEXT_CONFIG = ParserConfig(display_links=True)


def html_to_text(html: str) -> str:
    """Readable plain text of `html`, for the text/plain part and previews."""
    if not html:
        return ""
    text = get_text(html, _TEXT_CONFIG)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def is_blank(html: str) -> bool:
    return not html_to_text(html).strip()

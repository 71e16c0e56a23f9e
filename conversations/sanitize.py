"""HTML from outside and from the editor, made safe to store and show
(ARCHITECTURE rule 7, RELIABILITY F).

`SANITIZER_VERSION` is stored with each message so stored HTML can be cleaned
again when these rules change.
"""

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from html import escape, unescape

import nh3
from django.conf import settings
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
# The only images a reply or comment may show: ours, by their full public
# address (the play thumbnail of an inserted video), so a reply never makes a
# mail client fetch from elsewhere. Higher apps add their paths when they start.
OWN_IMAGE_PATHS: set[str] = set()
OWN_IMAGE_ATTRIBUTES = {"src", "alt", "width", "height"}
IMAGE_WITHOUT_SOURCE = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")
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


def _bounded(html: str) -> str:
    return (html or "")[:MAX_HTML_BYTES].replace("\x00", "")


def _flattened(html: str) -> str:
    """Keep the words, drop the structure: linear time whatever the depth."""
    text = re.sub(r"\s+", " ", unescape(TAG.sub(" ", html))).strip()
    return f"<p>{escape(text)}</p>"


def clean_editor_html(html: str) -> str:
    """What an agent wrote in the reply or comment editor, reduced to the
    formatting the editor offers: no scripts, styles, event handlers or foreign
    attributes; links open safely."""
    html = _bounded(html)
    if nesting_depth(html) > MAX_DEPTH:
        return _flattened(html)
    base = settings.HELPDESK_BASE_URL.rstrip("/")
    own_images = {base + path for path in OWN_IMAGE_PATHS}

    def keep(element: str, attribute: str, value: str) -> str | None:
        if element == "img" and attribute == "src":
            return value if value in own_images else None
        return value

    cleaned = nh3.clean(
        html,
        tags=EDITOR_TAGS | {"img"} if own_images else EDITOR_TAGS,
        attributes={**ATTRIBUTES, "img": OWN_IMAGE_ATTRIBUTES},
        attribute_filter=keep,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return IMAGE_WITHOUT_SOURCE.sub("", cleaned).strip()


_TEXT_CONFIG = ParserConfig(display_links=True)


def html_to_text(html: str) -> str:
    """Readable plain text of `html`, for the text/plain part and previews."""
    if not html:
        return ""
    text = get_text(html, _TEXT_CONFIG)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def is_blank(html: str) -> bool:
    return not html_to_text(html).strip()


# Inbound mail keeps more of its layout than the editor offers: tables, headings,
# images. Styles only in the isolated "original formatting" frame.
EMAIL_TAGS = EDITOR_TAGS | {
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img", "sub", "sup", "small", "big",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "td", "th", "col", "colgroup",
    "dl", "dt", "dd", "abbr", "cite", "q", "del", "ins", "mark", "tt", "kbd", "center",
    "font", "address", "section", "article", "header", "footer", "figure", "figcaption",
}  # fmt: skip
EMAIL_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align", "valign", "width"},
    "th": {"colspan", "rowspan", "align", "valign", "width"},
    "table": {"width", "cellpadding", "cellspacing", "border", "align"},
    "col": {"span", "width"},
    "font": {"color"},
}
# Declarations that cannot fetch anything: no url(), image or font loading.
EMAIL_STYLES = {
    "color", "background-color", "font-size", "font-weight", "font-style", "font-family",
    "text-align", "text-decoration", "vertical-align", "line-height", "white-space",
    "width", "max-width", "min-width", "height", "margin", "margin-top", "margin-bottom",
    "margin-left", "margin-right", "padding", "padding-top", "padding-bottom",
    "padding-left", "padding-right", "border", "border-top", "border-bottom",
    "border-left", "border-right", "border-color", "border-width", "border-style",
    "border-collapse", "border-spacing", "border-radius", "display", "list-style-type",
    "text-transform", "letter-spacing", "word-break", "direction",
}  # fmt: skip
IMAGE_DATA_URL = re.compile(r"data:image/(png|jpeg|gif|webp);base64,", re.IGNORECASE)


@dataclass(frozen=True)
class InboundHtml:
    html: str
    blocked_images: int  # remote images left out


# Mail is cleaned each time it is shown, so that a fix of the rules protects
# old messages too. A conversation is drawn again after every reply, comment
# and change, and a newsletter of 67 KB takes 1.7 ms to clean: the latest
# results are kept per process, up to a number of characters (keys and
# results together). A body larger than an eighth of it is never kept, nor
# what ingestion cleans to store.
_KEPT_CHARS = 4_000_000
_Key = tuple[str, tuple[tuple[str, str], ...], bool, bool, int]
_kept: OrderedDict[_Key, InboundHtml] = OrderedDict()
_kept_chars = 0
_kept_lock = threading.Lock()


def clean_inbound_html(
    html: str,
    inline_images: dict[str, str] | None,
    *,
    styles: bool = False,
    remote: bool = False,
) -> InboundHtml:
    """Mail from outside, cleaned for display (RELIABILITY F and G).

    `inline_images` maps a `cid:` reference to the URL we serve that part from
    (None keeps the references, for storing).
    Remote images are left out unless `remote` is true (the agent asked, and the
    result goes into the isolated frame only); they are counted so that the
    agent can be offered to load them. `styles` keeps inline styles that cannot
    fetch anything, for the isolated frame.
    """
    global _kept_chars
    html = _bounded(html)
    if html.isspace() or not html:  # most messages quote nothing
        return InboundHtml("", 0)
    if inline_images is None:  # stored once (ingestion): nothing to keep
        return _clean_inbound(html, inline_images, styles, remote)
    key: _Key = (html, tuple(sorted(inline_images.items())), styles, remote, SANITIZER_VERSION)
    with _kept_lock:
        if (found := _kept.get(key)) is not None:
            _kept.move_to_end(key)
            return found
    cleaned = _clean_inbound(html, inline_images, styles, remote)
    size = len(html) + len(cleaned.html)
    if size <= _KEPT_CHARS // 8:
        with _kept_lock:
            if key not in _kept:
                _kept[key] = cleaned
                _kept_chars += size
            while _kept_chars > _KEPT_CHARS:
                (old, *_rest), gone = _kept.popitem(last=False)
                _kept_chars -= len(old) + len(gone.html)
    return cleaned


def _clean_inbound(
    html: str, inline_images: dict[str, str] | None, styles: bool, remote: bool
) -> InboundHtml:
    if nesting_depth(html) > MAX_DEPTH:
        return InboundHtml(_flattened(html), 0)
    blocked = 0

    def keep(element: str, attribute: str, value: str) -> str | None:
        nonlocal blocked
        if element == "img" and attribute == "src":
            value = value.strip()
            if value[:4].lower() == "cid:":
                if inline_images is None:
                    return value
                return inline_images.get(value[4:].strip("<>"))
            if IMAGE_DATA_URL.match(value):
                return value
            if value[:8].lower() == "https://" or value[:7].lower() == "http://":
                if remote:
                    return value
                blocked += 1
            return None
        if element == "a" and attribute == "href":
            scheme = value.strip().split(":", 1)[0].lower()
            return value if scheme in URL_SCHEMES or ":" not in value else None
        return value

    attributes = dict(EMAIL_ATTRIBUTES)
    if styles:
        attributes["*"] = {"style"}
    cleaned = nh3.clean(
        html,
        tags=EMAIL_TAGS,
        clean_content_tags={"script", "style", "title", "head"},
        attributes=attributes,
        attribute_filter=keep,
        url_schemes=URL_SCHEMES | {"cid", "data"},
        filter_style_properties=EMAIL_STYLES if styles else None,
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )
    return InboundHtml(cleaned.strip(), blocked)

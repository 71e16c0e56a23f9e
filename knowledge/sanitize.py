"""Article text made safe to store and show (ARCHITECTURE rule 7).

The article editor is the composer's (Squire), with headings and images
besides; the rules are the composer's (conversations.sanitize) plus those.
Images may only come from the help center's own files: an article never makes
a visitor's browser fetch from elsewhere.
"""

import re

import nh3

from conversations.sanitize import (
    ATTRIBUTES,
    EDITOR_TAGS,
    MAX_DEPTH,
    URL_SCHEMES,
    _bounded,
    _flattened,
    html_to_text,
    nesting_depth,
)

ARTICLE_TAGS = EDITOR_TAGS | {"h2", "h3", "h4", "img", "hr"}
ARTICLE_ATTRIBUTES = {**ATTRIBUTES, "img": {"src", "alt"}}
OWN_FILE = re.compile(r"^/help/files/[A-Za-z0-9_-]+/[^\s\"'<>]*$")


def _keep(element: str, attribute: str, value: str) -> str | None:
    if element == "img" and attribute == "src":
        return value if OWN_FILE.match(value.strip()) else None
    return value


def clean_article_html(html: str) -> str:
    """What an agent wrote in the article editor, reduced to what it offers:
    no scripts, styles, event handlers, foreign attributes or remote images."""
    html = _bounded(html)
    if nesting_depth(html) > MAX_DEPTH:
        return _flattened(html)
    cleaned = nh3.clean(
        html,
        tags=ARTICLE_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ARTICLE_ATTRIBUTES,
        attribute_filter=_keep,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    # An image whose address was refused is dropped whole.
    return re.sub(r"<img(?![^>]*\ssrc=)[^>]*>", "", cleaned).strip()


def article_text(html: str) -> str:
    return html_to_text(html)

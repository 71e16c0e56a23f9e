"""Finding the quoted history and signature at the end of an inbound message,
so that the conversation shows what is new and folds the rest (issue 4: folded
in the display, kept in storage).

Mail clients mark quotes differently: Gmail wraps them in `.gmail_quote`,
Apple Mail and Thunderbird in `blockquote type=cite`, Outlook starts them with
`#divRplyFwdMsg` or a bordered "From:" header block, Yahoo with
`.yahoo_quoted`. Plain-text mail has an attribution line ("On … wrote:" in our
users' languages) followed by `>` lines, or Outlook's "Original Message".
"""

import itertools
import re
from html import escape

import lxml.html
from lxml import etree

HTML_MARKERS = etree.XPath(
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' gmail_signature ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' yahoo_quoted ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' moz-cite-prefix ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' moz-signature ')"
    " or @id='divRplyFwdMsg' or @id='appendonsend'"
    " or (local-name()='blockquote' and @type='cite')"
    " or (local-name()='div' and contains(translate(@style, 'BORDETOP', 'bordetop'),"
    " 'border-top:solid') and starts-with(normalize-space(.), 'From:'))]"
)

# "On Mon, 3 Jun 2024 at 10:00, Ana <ana@example.com> wrote:" and its kin.
ATTRIBUTION = re.compile(
    r"^(On\b.*\bwrote:"
    r"|Am\b.*\bschrieb.*:"
    r"|.*\b(napisał|napisała|napisał\(a\)):"
    r"|.*\bkirjoitti:"
    r"|.*작성:"
    r"|.*(寫道|写道)[:\uff1a]"
    r"|Le\b.*\ba écrit\s*:"
    r"|El\b.*\bescribió:)\s*$",
    re.IGNORECASE,
)
TEXT_MARKERS = re.compile(r"^(-{2,}\s*(Original Message|Ursprüngliche Nachricht)\s*-{2,}|-- )$")


def split_quoted_html(html: str) -> tuple[str, str]:
    """`html` as (what the sender wrote, the quote or signature after it). The
    second part is empty when there is none, or when nothing would be left."""
    if not html.strip():
        return html, ""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return html, ""
    markers = HTML_MARKERS(root)
    if not markers:
        return html, ""
    quoted = _detach_from(markers[0], root)
    main = _inner_html(root)
    if (
        not lxml.html.fragment_fromstring(main or "<p></p>", create_parent="div")
        .text_content()
        .strip()
    ):
        return html, ""
    return main, "".join(_outer_html(node) for node in quoted)


def _detach_from(marker, root) -> list:
    """Remove `marker` and everything after it in document order; return the
    removed nodes in order."""
    removed = []
    node = marker
    while node is not None and node is not root:
        parent = node.getparent()
        following = [node, *node.itersiblings()] if node is marker else list(node.itersiblings())
        for sibling in following:
            removed.append(sibling)
        node = parent
    for element in removed:
        element.getparent().remove(element)  # its tail text goes with it
    return removed


def _outer_html(element) -> str:
    return lxml.html.tostring(element, encoding="unicode")


def _inner_html(element) -> str:
    text = escape(element.text or "", quote=False)
    return text + "".join(_outer_html(child) for child in element)


def split_quoted_text(text: str) -> tuple[str, str]:
    """Plain `text` as (new text, the quote or signature after it)."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        stripped = line.strip()
        rest = lines[index + 1 :]
        if (
            TEXT_MARKERS.match(line.rstrip("\r"))
            or (ATTRIBUTION.match(stripped) and any(r.startswith(">") for r in rest[:3]))
            or (stripped.startswith(">") and all(r.startswith(">") or not r.strip() for r in rest))
        ):
            main = "\n".join(lines[:index]).strip()
            if main:
                return main, "\n".join(lines[index:]).strip()
            break
    return text, ""


MAX_QUOTE_DEPTH = 20


def text_to_html(text: str, depth: int = 0) -> str:
    """Plain text as paragraphs and line breaks, escaped; runs of `>` quoted
    lines as block quotes, nested up to MAX_QUOTE_DEPTH."""
    html = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        quote_marks = itertools.groupby(
            lines, key=lambda line: line.startswith(">") and depth < MAX_QUOTE_DEPTH
        )
        for quoted, run in quote_marks:
            run = list(run)
            if quoted:
                inner = "\n".join(line[1:].removeprefix(" ") for line in run)
                html.append(f"<blockquote>{text_to_html(inner, depth + 1)}</blockquote>")
            elif any(line.strip() for line in run):
                html.append(f"<p>{'<br>'.join(escape(line) for line in run)}</p>")
    return "".join(html)


def inbound_body(*, html: str, text: str) -> dict:
    """The stored body fields of an inbound message: sanitised HTML of what the
    sender wrote, the folded quote, and the plain text of what the sender wrote
    (for previews and suggestions). HTML-less mail gets
    HTML made from its text. `cid:` references stay for display to resolve."""
    from .sanitize import clean_inbound_html, html_to_text

    if html.strip():
        main, quoted = split_quoted_html(html)
        main_html = clean_inbound_html(main, None, styles=True, remote=True).html
        quoted_html = clean_inbound_html(quoted, None, styles=True, remote=True).html
        return {
            "html": main_html,
            "quoted_html": quoted_html,
            "text": split_quoted_text(text)[0].strip() if text.strip() else html_to_text(main_html),
        }
    main, quoted = split_quoted_text(text)
    return {"html": text_to_html(main), "quoted_html": text_to_html(quoted), "text": main.strip()}

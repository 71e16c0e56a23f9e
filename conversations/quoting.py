"""Finding the quoted history and signature at the end of an inbound message,
so that the conversation shows what is new and folds the rest (issue 4: folded
in the display, kept in storage; issue 15: the other clients and languages).

Mail clients mark quotes differently: Gmail wraps them in `.gmail_quote`,
Apple Mail and Thunderbird in `blockquote type=cite`, Outlook starts them with
`#divRplyFwdMsg` or a bordered "From:" header block, Yahoo with
`.yahoo_quoted`. Where the HTML carries no mark, and in plain text, the quote
starts at a line a person would recognise: an attribution ("On … wrote:",
"Am … schrieb", "… kirjoitti:", "…님이 작성:", "… 寫道"), Outlook's header
block ("From:/Sent:/To:/Subject:" in the sender's language), an "Original
Message" separator or a mobile signature ("Sent from my iPhone").

No kept library covers this: quotequail (maintained, HTML too) knows none of
Korean, Finnish, Polish, Chinese or Japanese and its patterns are fixed module
constants; mail-parser-reply reads plain text only and has no Finnish. So the
patterns live here, one table per kind, a language per line.
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
    " or @id='divRplyFwdMsg' or @id='appendonsend' or @id='OLK_SRC_BODY_SECTION'"
    " or (local-name()='blockquote' and @type='cite')"
    " or (local-name()='div' and contains(translate(@style, 'BORDETOP', 'bordetop'),"
    " 'border-top:solid') and starts-with(normalize-space(.), 'From:'))]"
)

# The verb that ends an attribution line, with or without its colon.
ATTRIBUTION_VERBS = [
    r"wrote",  # en
    r"writes",  # en
    r"schrieb",  # de
    r"geschrieben",  # de, nl ("hat … geschrieben")
    r"a écrit",  # fr
    r"kirjoitti",  # fi
    r"napisał\(a\)|napisała|napisał",  # pl
    r"작성|님이 작성",  # ko
    r"寫道|写道",  # zh-Hant, zh-Hans
    r"書きました|のメッセージ",  # ja
    r"escribió",  # es
    r"ha scritto|scrisse",  # it
    r"escreveu",  # pt
    r"schreef",  # nl
    r"skrev",  # da, no, sv
    r"написал\(а\)|написала|написал|пишет",  # ru  # noqa: RUF001
    r"napsal\(a\)|napsala|napsal",  # cs
    r"írta",  # hu
]
ATTRIBUTION = re.compile(
    r"^[-\s]*(?P<text>.{4,300}?)\s*(?:"
    + "|".join(ATTRIBUTION_VERBS)
    + r")\s*[:\uff1a]?[-\s]*$",  # Zoho: "---- On … wrote ----"
    re.IGNORECASE,
)
# Clients that write no verb: "2017-11-24 16:32 GMT+01:00 Ana <ana@example.com>:"
# (Gmail in Japanese and Chinese, mail.ru, Yandex, Android mail). Only with a
# date, and the address last before the colon: a sentence or a log line
# ending in a colon is not a quote.
ATTRIBUTION_NO_VERB = re.compile(r"^(?=.*\d).{4,300}@[^\s@]+?\s*[>)\]]?\s*[:\uff1a]\s*$")

# Outlook's header block: its labels, by the field they name.
HEADER_LABELS = {
    "from": [
        "From",
        "Von",
        "De",
        "Lähettäjä",
        "Od",
        "Nadawca",
        "보낸 사람",
        "寄件者",
        "寄件人",
        "发件人",
        "差出人",
        "Fra",
        "Från",
        "Van",
        "От",
        "От кого",
        "Da",
        "Mittente",
    ],
    "sent": [
        "Sent",
        "Date",
        "Gesendet",
        "Datum",
        "Envoyé",
        "Envoyé le",
        "Lähetetty",
        "Päivämäärä",
        "Wysłano",
        "Wysłane",
        "Data",
        "보낸 날짜",
        "날짜",
        "傳送時間",
        "日期",
        "发送时间",
        "送信日時",
        "日付",
        "Enviado",
        "Enviado el",
        "Fecha",
        "Inviato",
        "Sendt",
        "Skickat",
        "Verzonden",
        "Dato",
        "Отправлено",
        "Дата",
        "Message du",
    ],
    "to": [
        "To",
        "An",
        "À",
        "A",
        "Vastaanottaja",
        "Do",
        "받는 사람",
        "收件者",
        "收件人",
        "宛先",
        "Para",
        "Til",
        "Till",
        "Aan",
        "Кому",
        "Per",
    ],
    "subject": [
        "Subject",
        "Betreff",
        "Objet",
        "Sujet",
        "Aihe",
        "Temat",
        "제목",
        "主旨",
        "主题",
        "件名",
        "Asunto",
        "Oggetto",
        "Assunto",
        "Emne",
        "Ämne",
        "Onderwerp",
        "Тема",
    ],
    "cc": ["Cc", "Kopie", "Copie à", "Kopio", "DW", "Kopia", "참조", "副本", "抄送", "Копия"],
}
HEADER_LINE = re.compile(
    r"^\s*[*_]*(?P<label>"
    + "|".join(
        re.escape(label)
        for label in sorted(itertools.chain(*HEADER_LABELS.values()), key=len, reverse=True)
    )
    + r")[*_]*\s*[:\uff1a]",
    re.IGNORECASE,
)
# Labels only a mail client writes ("Sent:", not "Date:"): with one of them,
# or a subject or an address, the block is a mail header and not a list.
MAIL_ONLY_LABELS = {
    label.lower()
    for label in (
        "Sent", "Gesendet", "Envoyé", "Envoyé le", "Lähetetty", "Wysłano", "Wysłane",
        "보낸 날짜", "傳送時間", "发送时间", "送信日時", "Enviado", "Enviado el", "Inviato",
        "Sendt", "Skickat", "Verzonden", "Отправлено",
    )
}  # fmt: skip
HEADER_KIND = {label.lower(): kind for kind, labels in HEADER_LABELS.items() for label in labels}

# "-----Original Message-----" and its translations.
SEPARATOR_PHRASES = [
    "Original Message",  # en
    "Ursprüngliche Nachricht",  # de
    "Message d'origine|Message original",  # fr
    "Alkuperäinen viesti",  # fi
    "Oryginalna wiadomość|Wiadomość oryginalna",  # pl
    "원본 메시지",  # ko
    "原始郵件|原始邮件",  # zh-Hant, zh-Hans
    "元のメッセージ|オリジナル メッセージ",  # ja
    "Mensaje original",  # es
    "Messaggio originale",  # it
    "Mensagem original",  # pt
    "Oorspronkelijk bericht",  # nl
    "Oprindelig besked|Oprindelig meddelelse|Opprinnelig melding|Ursprungligt meddelande",
    "Исходное сообщение",  # ru
    "Původní zpráva",  # cs
]
SEPARATOR = re.compile(
    r"^\s*[-_=*]{2,}\s*(?:" + "|".join(SEPARATOR_PHRASES) + r")\s*[-_=*]{2,}\s*$"
    r"|^\s*_{2,}\s*$"  # Outlook's rule of underscores, a mailing list's footer
    r"|^-- ?$",  # the signature separator
    re.IGNORECASE,
)
# What phones and mail apps append, and what follows it is history.
MOBILE_SIGNATURES = [
    r"Sent from my .{1,40}",  # en
    r"Sent from (?:Outlook|Mail|Yahoo Mail|Gmail|Samsung).{0,40}",  # en
    r"Get Outlook for .{1,30}",  # en
    r"Von meinem .{1,30} gesendet|Gesendet von meinem .{1,30}|Gesendet von .{1,20} für .{1,20}",
    r"Envoyé de mon .{1,30}|Envoyé depuis mon .{1,30}|Envoyé à partir de .{1,40}",  # fr
    r"Lähetetty \S{1,30}(?:sta|stä|lta|ltä)(?:ni)?",  # fi: "Lähetetty iPhonesta"
    r"Wysłane z (?:mojego )?.{1,30}|Wysłano z (?:mojego )?.{1,30}",  # pl
    r"(?:나의 )?.{1,20}에서 보냄",  # ko
    r"從我的\s?.{1,20}(?:傳送|寄出|發送)|从我的.{1,20}发送",  # zh-Hant, zh-Hans
    r".{1,20}から送信",  # ja
    r"Enviado desde mi .{1,30}|Enviado do meu .{1,30}",  # es, pt
    r"Inviato da(?:l mio)? .{1,30}",  # it
    r"Verzonden (?:vanaf|met) (?:mijn )?.{1,30}",  # nl
    r"Skickat från min .{1,30}|Sendt fra min .{1,30}",  # sv, da, no
    r"Отправлено с (?:моего )?.{1,30}",  # ru  # noqa: RUF001
]
MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:" + "|".join(MOBILE_SIGNATURES) + r")\s*(?:<[^<>\s]+>)?\s*$", re.IGNORECASE
)
ATTRIBUTION_LINES = 3  # an attribution wrapped by the client spans at most this many
HEADER_WINDOW = 7  # lines in which a header block names two of its fields
# A quote starting further down is not looked for: the message shows whole
# (as with Gmail's limit), and hostile input costs milliseconds, not minutes.
MAX_SEARCH_LINES = 2000


def split_quoted_html(html: str) -> tuple[str, str]:
    """`html` as (what the sender wrote, the quote or signature after it). The
    second part is empty when there is none, or when nothing would be left."""
    if not html.strip():
        return html, ""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return html, ""
    order = {element: index for index, element in enumerate(root.iter())}
    candidates = [*HTML_MARKERS(root), *_html_line_markers(root)]
    if not candidates:
        return html, ""
    quoted = _detach_from(min(candidates, key=lambda element: order.get(element, 0)), root)
    main = _inner_html(root)
    if not _html_text(main):
        return html, ""
    return main, "".join(_outer_html(node) for node in quoted)


BLOCKS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
}


def _html_line_markers(root) -> list:
    """The element where the quote starts, found as in plain text: the HTML
    is read as lines (block elements and <br> end one), and the element that
    begins the first quote line is the marker, widened to the outermost
    element that begins with it. An <hr> before a header block counts as its
    start."""
    lines: list[list] = [[None, ""]]  # [element that starts the line, its text]

    def add_text(text: str, element) -> None:
        if text and text.strip():
            if not lines[-1][1].strip():
                lines[-1][0] = element
            lines[-1][1] += text

    def new_line() -> None:
        if lines[-1][1].strip() or lines[-1][0] is not None:
            lines.append([None, ""])

    def walk(element) -> None:
        if not isinstance(element.tag, str) or element.tag in {"style", "script", "head"}:
            return
        if len(lines) > MAX_SEARCH_LINES:
            return
        if element.tag in BLOCKS:
            new_line()
            if element.tag == "hr":
                lines[-1] = [element, "________"]
                new_line()
        add_text(element.text or "", element)
        for child in list(element):  # a wrapped tail adds a child
            walk(child)
            if child.tail and child.tail.strip():
                if child.tag in BLOCKS:
                    new_line()
                    add_text(child.tail, _wrap_tail(child))
                else:
                    add_text(child.tail, child)
        if element.tag in BLOCKS:
            new_line()

    walk(root)
    texts = [" ".join(text.split()) for _element, text in lines]
    for index, (element, _text) in enumerate(lines):
        if element is not None and element.tag == "hr":
            # A rule is a separator only above a header block or attribution.
            following = [t for t in texts[index + 1 : index + 12] if t][:3]
            if not any(HEADER_LINE.match(t) or ATTRIBUTION_NO_VERB.match(t) for t in following):
                texts[index] = ""
    start = _quote_start(texts)
    if start is None:
        return []
    marker = lines[start][0]
    if marker is None or marker is root:
        return []
    while marker.getparent() is not None and marker.getparent() is not root:
        parent = marker.getparent()
        if (parent.text or "").strip() or any(s is not marker for s in _before(marker)):
            break
        marker = parent
    return [marker]


def _before(element) -> list:
    """The earlier siblings of `element` that hold any text."""
    return [
        sibling
        for sibling in element.itersiblings(preceding=True)
        if (sibling.text_content() if hasattr(sibling, "text_content") else "").strip()
        or (sibling.tail or "").strip()
        or sibling.tag in {"img", "hr"}
    ]


def _wrap_tail(element):
    """Text after a block element gets its own span, so that the quote can
    start there without taking the block with it."""
    span = etree.Element("span")
    span.text, element.tail = element.tail, None
    element.addnext(span)
    return span


def _html_text(html: str) -> str:
    return (
        lxml.html.fragment_fromstring(html or "<p></p>", create_parent="div").text_content().strip()
    )


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


# Plain text ---------------------------------------------------------------------


def _attribution_end(lines: list[str], index: int) -> int | None:
    """If an attribution starts at `index` (possibly wrapped over a few
    lines), the index of its last line."""
    for last in range(index, min(index + ATTRIBUTION_LINES, len(lines))):
        wrapped_bracket = re.match(r"^\s*>\s*[:\uff1a]\s*$", lines[last])  # "<ana@example.com\n>:"
        if not lines[last].strip() or (
            last > index and lines[last].lstrip().startswith(">") and not wrapped_bracket
        ):
            return None
        joined = " ".join(line.strip() for line in lines[index : last + 1])
        if last > index and _starts_something(lines, last):
            return None
        quote_follows = _next_text(lines, last + 1).startswith(">")
        match = ATTRIBUTION.match(joined)
        # Without a quote mark below it, an attribution names a date or an address.
        if (
            match
            and (quote_follows or re.search(r"\d|@", match.group("text")))
            and (last == index or _looks_like_attribution_start(lines[index]))
        ):
            return last
        if ATTRIBUTION_NO_VERB.match(joined) and (
            last == index or _looks_like_attribution_start(lines[index])
        ):
            return last
    return None


def _looks_like_attribution_start(line: str) -> bool:
    """A wrapped attribution opens with a date or a known opening word."""
    return bool(
        re.match(
            r"^[-\s]*(?:(?:On|Am|Le|El|Il|In data|Em|Op|Den|Dne|W dniu|Dnia)\b|\d|\w{1,4}\.? \d)",
            line,
            re.IGNORECASE,
        )
    )


def _next_text(lines: list[str], index: int) -> str:
    for position in range(index, len(lines)):  # a slice would copy the rest
        if lines[position].strip():
            return lines[position].lstrip()
    return ""


def _starts_something(lines: list[str], index: int) -> bool:
    return bool(HEADER_LINE.match(lines[index]) or SEPARATOR.match(lines[index]))


def _header_block(lines: list[str], index: int) -> bool:
    """Whether an Outlook header block starts at `index`: two or more of its
    fields within a few lines, one of them the sender, and a subject, a
    "Sent:" or an address among them ("From: Helsinki / To: Berlin / Date: …"
    in a booking is text)."""
    match = HEADER_LINE.match(lines[index])
    if not match:
        return False
    kinds, labels = set(), set()
    window = lines[index : index + HEADER_WINDOW]
    for line in window:
        found = HEADER_LINE.match(line)
        if found:
            labels.add(found.group("label").lower())
            kinds.add(HEADER_KIND[found.group("label").lower()])
        elif not line.strip() and len(kinds) < 2:
            break
    mail_like = (
        "subject" in kinds or labels & MAIL_ONLY_LABELS or any("@" in line for line in window)
    )
    return "from" in kinds and len(kinds) >= 2 and mail_like


def _quote_start(lines: list[str]) -> int | None:
    """The index of the first line of the quoted history (or the signature
    before it), or None. A quote answered below it is not history: a `>`
    block followed by new text is skipped when text came before it."""
    index = 0
    before = False  # new text above this line
    while index < min(len(lines), MAX_SEARCH_LINES):
        line = lines[index]
        stripped = line.strip()
        if not stripped:
            index += 1
            continue
        if SEPARATOR.match(line) or MOBILE_SIGNATURE.match(line) or _header_block(lines, index):
            return index
        end = _attribution_end(lines, index)
        block_start = end + 1 if end is not None else index
        if end is not None or stripped.startswith(">"):
            block_end = _quote_block_end(lines, block_start)
            if block_end == block_start and end is None:
                before = True
                index += 1
                continue
            # New text below the quote, before any footer or signature.
            answered = _text_before_footer(lines, block_end) and _next_text(
                lines, block_start
            ).startswith(">")
            if not answered or not before:
                return index
            index = block_end
            continue
        before = True
        index += 1
    return None


def _text_before_footer(lines: list[str], index: int) -> bool:
    """Whether new text follows line `index` before any footer or signature."""
    for position in range(index, len(lines)):
        line = lines[position]
        if SEPARATOR.match(line) or MOBILE_SIGNATURE.match(line):
            return False
        if line.strip():
            return True
    return False


def _answered_inline(lines: list[str]) -> bool:
    """Whether a later `>` block is followed by new text: a conversation
    answered point by point, which is shown whole."""
    quoted = False
    for line in lines:
        if line.lstrip().startswith(">"):
            quoted = True
        elif quoted and line.strip():
            return True
    return False


def _quote_block_end(lines: list[str], index: int) -> int:
    """The index after the run of `>` lines (and blank lines) from `index`."""
    end = index
    while end < len(lines) and (lines[end].lstrip().startswith(">") or not lines[end].strip()):
        end += 1
    return end


def split_quoted_text(text: str) -> tuple[str, str]:
    """Plain `text` as (new text, the quote or signature after it). A reply
    written below the quote (the whole quote first, new text after it) gives
    that text, with the quote folded."""
    lines = text.splitlines()
    start = _quote_start(lines)
    if start is None:
        return text, ""
    main, quoted = _cut(lines, start)
    if main:
        return main, quoted
    end = _attribution_end(lines, start)
    body_start = start if end is None else end + 1
    block_end = _quote_block_end(lines, body_start)
    rest = lines[block_end:]
    marked = any(line.lstrip().startswith(">") for line in lines[body_start:block_end])
    if marked and any(line.strip() for line in rest) and not _answered_inline(rest):
        below_start = _quote_start(rest)
        below, quoted_below = _cut(rest, below_start) if below_start is not None else ("", "")
        if not below:
            below, quoted_below = "\n".join(rest).strip(), ""
        quote = "\n".join(lines[start:block_end]).strip()
        return below, "\n\n".join(q for q in (quote, quoted_below) if q)
    return text, ""


def _cut(lines: list[str], start: int) -> tuple[str, str]:
    """The text above line `start` and the text from it on; a rule drawn
    right above the history belongs to it."""
    main_lines = lines[:start]
    while main_lines and re.fullmatch(r"[\s\-_=*]*", main_lines[-1]):
        main_lines.pop()
    return "\n".join(main_lines).strip(), "\n".join(lines[start:]).strip()


# Our UI languages, told apart by the words their mail clients write above a
# quote (Korean and Chinese first: their lines also hold Latin names).
CLIENT_LANGUAGES = [
    ("ko", re.compile(r"작성|보낸 사람|받는 사람")),
    ("zh-hant", re.compile(r"寫道|寄件者|收件者|傳送時間")),
    ("fi", re.compile(r"\bkirjoitti\b|Lähettäjä|Vastaanottaja|Alkuperäinen viesti", re.IGNORECASE)),
    (
        "pl",
        re.compile(
            r"napisał|Wysłano|Temat\s*:|Wiadomość oryginalna|Oryginalna wiadomość", re.IGNORECASE
        ),
    ),
    (
        "de",
        re.compile(r"\bschrieb\b|Gesendet\s*:|Betreff\s*:|Ursprüngliche Nachricht", re.IGNORECASE),
    ),
    (
        "en",
        re.compile(
            r"\bwrote\b|^\s*\*?Sent\*?\s*:|Subject\s*:|Original Message",
            re.IGNORECASE | re.MULTILINE,
        ),
    ),
]


def client_language(quoted_html: str) -> str:
    """The UI language of the mail client that wrote the start of this quoted
    history (its attribution or header block), or "" when it is none of ours
    or there is none."""
    from .sanitize import html_to_text

    lines = html_to_text(quoted_html[:20_000]).splitlines()
    start = _quote_start(lines)
    if start is None:
        start = 0
    head = "\n".join(lines[start : start + HEADER_WINDOW])
    for language, words in CLIENT_LANGUAGES:
        if words.search(head):
            return language
    return ""


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

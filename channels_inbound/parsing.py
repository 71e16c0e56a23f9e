"""Raw email to the fields we store, without trusting any of it.

Python's email package raises on some hostile input (a multipart nested 1,000
deep gives RecursionError; an encoded CR/LF in a display name gives ValueError
with the default policy). So the message is parsed with the lenient compat32
policy, headers are decoded here, every limit is checked before the work it
bounds, and anything unexpected becomes an InboundParseError with a reason:
the worker stores the reason next to the raw bytes, which are never lost.
"""

import base64
import binascii
import codecs
import hashlib
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import feedparser
from email import policy as email_policy
from email.message import Message as MimeMessage
from email.utils import getaddresses, parsedate_to_datetime
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from channels_inbound.tnef import tnef_files

# More multipart sections than this is an attack or a broken generator, not mail.
MAX_MULTIPARTS = 100
MAX_PARTS = 1000
MAX_REFERENCES = 50
MAX_SUBJECT = 998
MAX_ADDRESS = 254  # RFC 5321's path of 256 without its angle brackets
MULTIPART_HEADER = re.compile(rb"(?im)^content-type:[ \t]*multipart/")
# The headers that make a message what it is. The others (trace headers, what
# each ESP, relay and mailbox adds on top) differ between two routes of one
# message, so they are left out of its content hash (RELIABILITY rule 2, RELIABILITY 8).
CONTENT_HEADERS = {
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
}
# Labels mail clients use for charsets that Python knows under another name,
# or that are routinely mislabelled subsets of a wider one.
CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cn-gb": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
}
UNKNOWN_CHARSETS = {"unknown-8bit", "x-unknown", "unknown", "default", "8bit", ""}
# Python codec names of charsets whose bytes can pass for ASCII or UTF-8.
NOT_ASCII_COMPATIBLE = {
    "iso2022_jp_ext",
    "iso2022_jp",
    "iso2022_jp_1",
    "iso2022_jp_2",
    "iso2022_jp_2004",
    "iso2022_jp_3",
    "iso2022_kr",
    "utf-7",
    "hz",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-32",
    "utf-32-le",
    "utf-32-be",
}
# An RFC 2047 encoded word; its text may hold raw 8-bit bytes, as some
# mailers send it.
ENCODED_WORD = re.compile(rb"=\?([^?\s]{1,60})\?([QqBb])\?(.*?)\?=", re.S)
QP_BYTE = re.compile(rb"=([0-9A-Fa-f]{2})")
PARAMETER = re.compile(r';\s*([^\s=;]+)\s*=\s*(?:("(?:[^"\\]|\\.)*")|([^;]*))')
DETECT_SAMPLE = 64 * 1024
HASH_CHUNK = 2**20
BIG_PART = 2**20  # base64 bodies from this size are decoded from the raw bytes
HTML_START = re.compile(rb"(?i)\s*(<!doctype html|<html|<head|<body|<div|<p[ >]|<table)")
UUENCODE_BEGIN = re.compile(rb"(?m)^begin [0-7]{3,4} \S")
UUENCODE_BLOCK = re.compile(rb"(?ms)^begin [0-7]{3,4} ([^\r\n]+)\r?\n(.*?)^end[ \t]*(?:\r?\n|\Z)")
TOKEN = r"[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+"
MIME_TYPE = re.compile(rf"\s*({TOKEN})\s*/\s*({TOKEN})")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_TNEF = 3  # Outlook sends one; each may hold a compressed body to expand
TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}
# Extensions mimetypes does not know, or knows less well.
EXTENSIONS = {
    "application/ms-tnef": ".dat",
    "text/plain": ".txt",
    "image/jpeg": ".jpg",
    "message/rfc822": ".eml",
    "message/delivery-status": ".txt",
    "text/rfc822-headers": ".txt",
    "message/rfc822-headers": ".txt",
}
WINDOWS_FOR_MAC = {
    "mac-cyrillic": "cp1251",
    "mac-roman": "cp1252",
    "mac-latin2": "cp1250",
    "mac-greek": "cp1253",
    "mac-turkish": "cp1254",
    "mac-iceland": "cp1252",
}


# A header field's first line ("Name:", also the obsolete "Name :").
FIELD = re.compile(rb"([!-9;-~]+)([ \t]*):")
# Headers we read: a line that is no header is skipped when one of these
# follows it (else it is where the body begins), and past the limits below
# only these are kept.
READ_HEADERS = CONTENT_HEADERS | {
    "content-id",
    "delivered-to",
    "x-original-to",
    "return-path",
    "auto-submitted",
    "x-autoreply",
    "x-autorespond",
    "x-autoresponder",
    "x-autoreply-from",
    "x-auto-response-suppress",
    "precedence",
    "list-id",
    "x-loop",
    "authentication-results",
}
KNOWN_FIELD = re.compile(
    rb"(?i)("
    + b"|".join(re.escape(h.encode()) for h in sorted(READ_HEADERS | {"received"}))
    + rb")[ \t]*:"
)
MAX_HEADER_FIELDS = 1000
MAX_HEADER_BYTES = 256 * 1024
MAX_FIELD_BYTES = 64 * 1024
MAX_EXTRA_FIELDS = 200  # headers we read, kept past the limits


class InboundParseError(Exception):
    """The message cannot be read; the reason is safe to store and show."""


@dataclass
class RawMail:
    """A message as delivered, with what the ESP said about it (its spam and
    DMARC verdicts, the envelope recipients): the ESP's word, not headers the
    sender could have written (RELIABILITY 34)."""

    raw: bytes
    spam: bool = False
    dmarc: str = ""
    envelope_to: list[str] = field(default_factory=list)


@dataclass
class ParsedPart:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""
    inline: bool = False


@dataclass
class ParsedEmail:
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_name: str = ""
    from_email: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)  # Delivered-To, X-Original-To
    # The envelope recipients an ESP names: find the channel of a blind copy,
    # but do not count as addressed (a CC is in the envelope too).
    envelope_to: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)  # all of the above and To, CC
    date: datetime | None = None
    text: str = ""
    html: str = ""
    attachments: list[ParsedPart] = field(default_factory=list)
    auto_reply: str = ""  # why it is automatic, else empty
    # DMARC for the From domain, as a mail server we trust recorded it in
    # Authentication-Results ("pass", "fail", or "" when none did).
    dmarc: str = ""
    bulk: str = ""  # why it is a list or bulk mail, else empty
    bounce: bool = False
    bounced_message_id: str = ""
    # The addresses a delivery report says failed (Final-Recipient).
    bounced_recipients: list[str] = field(default_factory=list)
    loop_marker: str = ""
    content_hash: str = ""
    notes: list[str] = field(default_factory=list)  # what was truncated or repaired


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse `raw` into ParsedEmail or raise InboundParseError."""
    limit = settings.HELPDESK_INBOUND_MAX_BYTES
    if len(raw) > limit:
        raise InboundParseError(f"Message is larger than {limit // 2**20} MB.")
    if not raw.strip():
        raise InboundParseError("Message is empty.")
    # Counting every mention first is a fast scan; the exact count (a regex
    # over every line) only when there could be too many.
    mentions = raw.lower().count(b"multipart/")  # any casing: "MuLtIpArT/" counts
    multiparts = len(MULTIPART_HEADER.findall(raw)) if mentions > MAX_MULTIPARTS else 0
    if multiparts > MAX_MULTIPARTS:
        raise InboundParseError(
            f"Message has {multiparts} multipart sections (at most {MAX_MULTIPARTS})."
        )
    raw, repairs = _prepare_head(raw)
    parsed = _parse(raw, *_set_aside(raw))
    if parsed is None:  # the parser did not see the parts set aside where we did
        parsed = _parse(raw, raw, {})
    assert parsed is not None  # nothing was set aside
    parsed.notes += repairs
    parsed.content_hash = content_hash(raw)
    return parsed


def _parse(raw: bytes, text: bytes, aside: dict[bytes, tuple[int, int]]) -> ParsedEmail | None:
    """Parse `text`, which is `raw` with the bodies in `aside` replaced by
    their tokens; None when a token is not found as a part's whole body."""
    try:
        mime = _message_from_bytes(text)
    except (RecursionError, ValueError, TypeError, LookupError, IndexError) as error:
        raise InboundParseError(f"Message cannot be parsed ({type(error).__name__}).") from None
    del text
    parsed = ParsedEmail()
    used: set[bytes] = set()
    try:
        hint = _declared_charset(mime)
        _read_headers(mime, parsed, hint)
        _read_body(mime, parsed, hint, raw, Leaves(raw, aside, used))
    except RecursionError:
        raise InboundParseError("Message is nested too deeply.") from None
    return parsed if used == set(aside) else None


def _message_from_bytes(text: bytes) -> MimeMessage:
    """What email.message_from_bytes does, with the nested boundary rule
    below: the same decoding, the same compat32 policy."""
    parser = _FeedParser(policy=email_policy.compat32)
    parser.feed(text.decode("ascii", "surrogateescape"))
    return parser.close()


class _FeedParser(feedparser.FeedParser):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._input = _Lines(self)


class _Lines(feedparser.BufferedSubFile):
    """The stdlib parser's line buffer, where a line that is exactly a
    delimiter of an open inner multipart belongs to that multipart, even when
    an outer boundary would also match it. The stdlib ends an inner part at
    any line an outer boundary matches (RFC 2046 5.1.2), so with boundaries
    "a--" outside and "a----" inside, "--a----" (the inner delimiter) reads
    as the outer "--a--" closing, and the inner parts are lost; mail clients
    read them. A boundary reused unchanged inside stays the outer one's."""

    def __init__(self, parser: _FeedParser) -> None:
        super().__init__()
        self._parser = parser
        self._owners: list[MimeMessage] = []  # the multipart of each end test
        self._ended: set[int] = set()  # multiparts whose closing line was read
        self._separators: dict[int, str] = {}  # "--boundary" of each multipart

    def push_eof_matcher(self, pred) -> None:
        self._owners.append(self._parser._cur)  # the multipart reading its parts
        super().push_eof_matcher(pred)

    def pop_eof_matcher(self):
        self._owners.pop()
        return super().pop_eof_matcher()

    def readline(self):
        if not self._lines:
            return "" if self._closed else feedparser.NeedMoreData
        line = self._lines.popleft()
        if line.startswith("--"):  # only such a line can be a delimiter
            return self._maybe_delimiter(line)
        for ends in reversed(self._eofstack):
            if ends(line):
                self._lines.appendleft(line)  # a false end of input, as the stdlib does
                return ""
        return line

    def _maybe_delimiter(self, line: str):
        for ends, owner in zip(reversed(self._eofstack), reversed(self._owners), strict=True):
            if ends(line) and not self._inner_delimiter(line, owner):
                self._lines.appendleft(line)
                return ""
        current = self._parser._cur
        if _delimiter(line, self._separator(current)) == "closing":
            self._ended.add(id(current))  # its own closing line, read by itself
        return line

    def _separator(self, part: MimeMessage) -> str:
        if id(part) not in self._separators:
            boundary = part.get_boundary() if part.get_content_maintype() == "multipart" else None
            self._separators[id(part)] = "--" + boundary if boundary else ""
        return self._separators[id(part)]

    def _inner_delimiter(self, line: str, owner: MimeMessage) -> bool:
        """Whether `line` is exactly a delimiter of an open multipart nested
        inside `owner`, with a boundary other than owner's."""
        stack = self._parser._msgstack
        inner = next((i for i, part in enumerate(stack) if part is owner), len(stack))
        outer = self._separator(owner)
        for part in stack[inner + 1 :]:
            separator = self._separator(part)
            if separator != outer and id(part) not in self._ended and _delimiter(line, separator):
                return True
        return False


def _delimiter(line: str, separator: str) -> str:
    """What `line` is for `separator` ("--boundary"), matched as the stdlib
    matches it (an optional "--", then only spaces, tabs and the line
    break): "closing", "delimiter", or "" for neither."""
    if not separator or not line.startswith(separator):
        return ""
    rest = line[len(separator) :]
    closing = rest.startswith("--")
    if rest[2 if closing else 0 :].rstrip("\r\n").strip(" \t"):
        return ""
    return "closing" if closing else "delimiter"


def _prepare_head(raw: bytes) -> tuple[bytes, list[str]]:
    """The message with its header block made safe and readable before any
    parser sees it: a line that is no header (which would end the block and
    push From, To and Subject into the body) is skipped when real headers
    follow it; "Name :" loses its space; past MAX_HEADER_FIELDS fields or
    MAX_HEADER_BYTES bytes only the headers we read are kept, and no field is
    longer than MAX_FIELD_BYTES. Returns the bytes and notes on what changed;
    the raw message itself stays stored as received."""
    end = _blank_line(raw, 0, len(raw))[0]
    lines = raw[:end].splitlines(keepends=True)
    last_known = max((i for i, line in enumerate(lines) if KNOWN_FIELD.match(line)), default=-1)
    if last_known == -1:
        # Binary data, a picture, a text file: nothing a mail server would pass on.
        raise InboundParseError("This is not a readable email: it has no mail headers.")
    fields: list[bytes] = []
    size = skipped = dropped = cut = extra = 0
    changed = False
    body_from = len(lines)
    for i, line in enumerate(lines):
        if line[:1] in (b" ", b"\t") and fields:
            if len(fields[-1]) + len(line) > MAX_FIELD_BYTES:
                cut += 1
                continue
            fields[-1] += line
            size += len(line)
            continue
        match = FIELD.match(line)
        if match is None and not (i == 0 and line.startswith(b"From ")):
            if i < last_known:
                skipped += 1
                continue
            body_from = i  # no blank line before the body: it starts here
            break
        if match is not None and match.group(2):
            line, changed = match.group(1) + b":" + line[match.end() :], True
        if len(fields) >= MAX_HEADER_FIELDS or size >= MAX_HEADER_BYTES:
            name = match.group(1).lower().decode("ascii", "replace") if match else ""
            if name not in READ_HEADERS or extra >= MAX_EXTRA_FIELDS:
                dropped += 1
                continue
            extra += 1
        if len(line) > MAX_FIELD_BYTES:
            line, cut = line[:MAX_FIELD_BYTES] + b"\r\n", cut + 1
        fields.append(line)
        size += len(line)
    notes = []
    if skipped:
        notes.append(f"{skipped} malformed header line(s) skipped.")
    if dropped:
        notes.append(f"Only the first {MAX_HEADER_FIELDS} header fields were kept.")
    if cut:
        notes.append(f"Header lines longer than {MAX_FIELD_BYTES // 1024} KB were cut.")
    if not (changed or notes):
        return raw, notes  # nothing changed: no copy of the message
    return b"".join(fields) + b"".join(lines[body_from:]) + raw[end:], notes


def _set_aside(raw: bytes) -> tuple[bytes, dict[bytes, tuple[int, int]]]:
    """`raw` with each large base64 body of a leaf part replaced by a short
    token, and where each body was: Python's parser holds several copies of
    what it parses (a 27 MB message took 200 MB), so a large file is decoded
    straight from the raw bytes instead, once. The parts are found by their
    boundaries as the parser finds them; `_parse` checks it found them too."""
    if len(raw) < BIG_PART:
        return raw, {}
    view = memoryview(raw)
    spans = []
    stack = [(0, len(raw), 0)]
    while stack:
        start, end, depth = stack.pop()
        if end - start < BIG_PART:
            continue
        body_start = _body_start(raw, start, end)
        head = re.sub(rb"\r?\n[ \t]+", b" ", raw[start:body_start])
        content_type = re.search(rb"(?im)^content-type:[ \t]*([^\r\n]*)", head)
        value = content_type.group(1).decode("latin-1") if content_type else ""
        kind = value.split(";")[0].strip().lower()
        if kind.startswith("multipart/"):
            boundary = _params(value).get("boundary")
            if boundary and depth < MAX_MULTIPARTS:
                stack += [(s, e, depth + 1) for s, e in _spans(raw, body_start, end, boundary)]
        elif not kind.startswith("message/") and re.search(
            rb"(?im)^content-transfer-encoding:[ \t]*base64[ \t]*\r?$", head
        ):
            spans.append((body_start, end))
    if not spans:
        return raw, {}
    pieces: list = []
    aside, position = {}, 0
    for number, (start, end) in enumerate(sorted(spans)):
        token = b"HelpdeskSetAside%dPart" % number  # base64 letters: a valid body
        pieces += [view[position:start], token]
        aside[token] = (start, end)
        position = end
    pieces.append(view[position:])
    return b"".join(pieces), aside


@dataclass
class Leaves:
    """How a leaf part's content is read: from the tree, or for a body set
    aside by `_set_aside`, from the raw message (`used` collects those)."""

    raw: bytes
    aside: dict[bytes, tuple[int, int]]
    used: set[bytes]

    def data(self, part: MimeMessage) -> bytes:
        if self.aside:
            payload = part.get_payload()
            token = (
                payload.strip().encode("utf-8", "surrogateescape")
                if isinstance(payload, str)
                else b""
            )
            if token in self.aside:
                self.used.add(token)
                start, end = self.aside[token]
                return _base64(memoryview(self.raw)[start:end])
        return _payload(part)


def _base64(data: memoryview) -> bytes:
    try:
        return binascii.a2b_base64(data)  # skips line breaks; copies nothing first
    except binascii.Error:
        clean = re.sub(rb"[^A-Za-z0-9+/]", b"", data.tobytes())
        clean = clean[: len(clean) - len(clean) % 4 if len(clean) % 4 == 1 else len(clean)]
        return base64.b64decode(clean + b"=" * (-len(clean) % 4))


def content_hash(raw: bytes) -> str:
    """A hash of the message's content headers (unfolded, in any order) and
    its body (any line ends, without trailing white space): equal for one
    message that came by several routes, each with its own trace and ESP
    headers on top. The body is hashed in chunks, never copied whole."""
    view = memoryview(raw)
    head_end, start = _blank_line(raw, 0, len(raw))
    head = raw[:head_end]
    kept = []
    for line in re.split(rb"\r?\n(?![ \t])", head):
        name, colon, value = line.partition(b":")
        name = name.strip().lower()
        if colon and name.decode("ascii", "replace") in CONTENT_HEADERS:
            kept.append(name + b":" + b" ".join(value.split()))
    digest = hashlib.sha256(b"\n".join(sorted(kept)))
    digest.update(b"\n\n")
    end = len(raw)
    while end > start and raw[end - 1] in b" \t\r\n":
        end -= 1
    carried = b""  # a CR at the end of a chunk, in case the next starts with LF
    for offset in range(start, end, HASH_CHUNK):
        chunk = carried + view[offset : min(offset + HASH_CHUNK, end)].tobytes()
        carried = b"\r" if chunk.endswith(b"\r") else b""
        digest.update(chunk[: len(chunk) - len(carried)].replace(b"\r\n", b"\n"))
    digest.update(carried)
    return digest.hexdigest()


# Headers ----------------------------------------------------------------------


def _read_headers(mime: MimeMessage, parsed: ParsedEmail, hint: str) -> None:
    parsed.message_id = _message_id(_raw(mime, "Message-ID"))
    parsed.in_reply_to = _message_id(_raw(mime, "In-Reply-To"))
    parsed.references = message_ids(_raw(mime, "References"))[-MAX_REFERENCES:]
    subject = _one_line(header_text(_raw(mime, "Subject"), hint))
    if len(subject) > MAX_SUBJECT:
        parsed.notes.append(f"Subject shortened from {len(subject)} characters.")
        subject = subject[:MAX_SUBJECT]
    parsed.subject = subject
    senders = addresses(_raw(mime, "From"), hint)
    if senders:
        parsed.from_name, parsed.from_email = senders[0]
    parsed.to = [address for _name, address in addresses(_raw_all(mime, "To"))]
    parsed.cc = [address for _name, address in addresses(_raw_all(mime, "Cc"))]
    parsed.reply_to = [address for _name, address in addresses(_raw(mime, "Reply-To"))]
    delivered = addresses(_raw_all(mime, "Delivered-To") + ", " + _raw_all(mime, "X-Original-To"))
    parsed.delivered_to = _unique(a for _n, a in delivered)
    parsed.recipients = _unique([*parsed.to, *parsed.cc, *parsed.delivered_to])
    parsed.date = _date(_raw(mime, "Date"))
    parsed.auto_reply = _auto_reply(mime)
    parsed.bulk = _bulk(mime)
    parsed.loop_marker = _one_line(_raw(mime, "X-Loop"))[:200]
    parsed.dmarc = _dmarc(mime.get_all("Authentication-Results") or [])


def _dmarc(results: list) -> str:
    """The DMARC result of the first (topmost, so added last, by the server
    closest to us) Authentication-Results header whose authserv-id is one of
    HELPDESK_TRUSTED_AUTHSERV_IDS. Headers further down could have been
    written by the sender and are never read (RELIABILITY 31, 34)."""
    trusted = settings.HELPDESK_TRUSTED_AUTHSERV_IDS
    for header in results[:20]:
        text = _one_line(str(header))
        authserv_id = text.split(";", 1)[0].strip().split()[0].lower() if text.strip() else ""
        if authserv_id in trusted:
            match = re.search(r"(?i)\bdmarc\s*=\s*([a-z]+)", text)
            return match.group(1).lower() if match else ""
    return ""


def _raw(mime: MimeMessage, name: str) -> str:
    """The first `name` header as received: raw 8-bit bytes are kept as
    surrogate escapes (compat32's own accessors turn them into U+FFFD)."""
    wanted = name.lower()
    return next((str(v) for k, v in mime.raw_items() if k.lower() == wanted), "")


def _raw_all(mime: MimeMessage, name: str) -> str:
    wanted = name.lower()
    return ", ".join(str(v) for k, v in mime.raw_items() if k.lower() == wanted)


def mime_type(part: MimeMessage) -> str:
    """The part's type as mail clients read it: comments and spaces around
    the slash left out ("text (plain) / html" is text/html); without the
    header, the default of where the part is (message/rfc822 in a digest);
    a value that is no type/subtype (RFC 2045 5.2) is text/plain."""
    value = _raw(part, "Content-Type")
    if not value.strip():
        return part.get_default_type()
    match = MIME_TYPE.match(_without_comments(value[:500]).split(";", 1)[0])
    return f"{match.group(1)}/{match.group(2)}".lower() if match else "text/plain"


def _charset(part: MimeMessage) -> str:
    """The charset label of the part's Content-Type, as written."""
    return _params(_raw(part, "Content-Type")).get("charset", "").strip().lower()


def _declared_charset(mime: MimeMessage) -> str:
    """The charset the message declares for its text (the message's own, else
    its first text part's): how raw 8-bit header bytes are most likely meant."""
    stack, seen = [mime], 0
    while stack and seen < 50:
        part = stack.pop()
        seen += 1
        charset = _charset(part)
        if charset:
            return charset
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend(reversed(payload))
    return ""


def _one_line(value: str) -> str:
    """No control characters (CR, LF, NUL, bidi overrides) and single spaces."""
    value = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in value)
    return " ".join(value.split())


def message_ids(value: str) -> list[str]:
    """The message ids in an id header (Message-ID, In-Reply-To, References),
    each in angle brackets. Inside the brackets anything but brackets is kept
    as written (old mailers leave spaces and comments in). Without brackets,
    as some mailers write them, a value that is one word is the id; text
    with spaces is no id ("your message of Tuesday")."""
    found = re.findall(r"<[^<>]{1,250}>", value)
    if found:
        return [_one_line(i) if "\n" in i or "\r" in i else i for i in found]
    word = value.strip()
    if word and len(word) <= 250 and not re.search(r"[\s<>]", word):
        return [f"<{word}>"]
    return []


def _message_id(value: str) -> str:
    found = message_ids(value)
    return found[0] if found else ""


def _date(value: str) -> datetime | None:
    """A date header as mail clients read it: comments (nested ones too) left
    out, a numeric month read as one, the date after a trace header's ";",
    and a zone that is unknown or says nothing ("-0000", "ZZZZ", the military
    letters, whose signs were defined backwards) read as UTC (RFC 5322 4.3).
    A POSIX zone ("EST5EDT") counts as its first name."""
    pieces = [p.strip() for p in _without_comments(value[:500]).split(";")]
    value = next((p for p in reversed(pieces) if p), "")
    if not value:
        return None
    value = re.sub(r"\b([A-Za-z]{3,4})[+-]?\d{1,2}[A-Za-z]{3,4}\b", r"\1", value)
    value = re.sub(
        r"^((?:[A-Za-z]{3},?\s+)?\d{1,2})\s+(0?[1-9]|1[0-2])\s+(?=\d{2,4}\s)",
        lambda m: f"{m.group(1)} {MONTHS[int(m.group(2)) - 1]} ",
        value,
    )
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _without_comments(value: str) -> str:
    """`value` without its parenthesised comments (nested, with \\-escapes);
    an unclosed comment runs to the end."""
    kept, depth, escaped = [], 0, False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and depth:
            escaped = True
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif not depth:
            kept.append(char)
    return "".join(kept)


def header_text(value: str, hint: str = "") -> str:
    """A header value as a mail client shows it: RFC 2047 encoded words decoded
    (adjacent words of one charset joined first, so a character split between
    two words survives), and raw 8-bit bytes, also inside an encoded word, read
    by `decode_bytes` rather than replaced."""
    data = value.encode("utf-8", "surrogateescape")
    if b"=?" not in data and data.isascii():
        return value
    chunks: list[list] = []  # [bytes, charset, is an encoded word]
    position = 0
    for match in ENCODED_WORD.finditer(data):
        between = data[position : match.start()]
        follows_word = bool(chunks) and chunks[-1][2] and not between.strip()
        charset = match.group(1).decode("ascii", "replace").split("*")[0].lower()
        word = _word_bytes(match.group(2).upper() == b"Q", match.group(3))
        if word is None:
            continue  # not decodable: left as the text it is
        if not follows_word and between:
            if not between[-1:].isspace() and between[-1:] not in b"([{<\"'":
                # Glued to the text before it (no word of RFC 2047 then), as
                # spam filters prefix a tag: read as its own word, as Python's
                # and stalwart's decoders do.
                between += b" "
            chunks.append([between, "", False])
        if follows_word and chunks[-1][1] == charset:
            chunks[-1][0] += word
        else:
            chunks.append([word, charset, True])
        position = match.end()
    if position < len(data):
        chunks.append([data[position:], "", False])
    return "".join(decode_bytes(chunk, charset, hint) for chunk, charset, _word in chunks)


def _word_bytes(quoted_printable: bool, text: bytes) -> bytes | None:
    if quoted_printable:
        return QP_BYTE.sub(lambda m: bytes([int(m.group(1), 16)]), text.replace(b"_", b" "))
    text = re.sub(rb"[^A-Za-z0-9+/]", b"", text)
    try:
        return base64.b64decode(text + b"=" * (-len(text) % 4))
    except binascii.Error:
        return None


def decode_bytes(data: bytes, charset: str | None = None, hint: str = "") -> str:
    """Bytes as a mail client reads them, never raising and never with a
    replacement character where some decoding reads cleanly: UTF-8 first (a
    label is often wrong, UTF-8 by chance almost never), then the declared
    charset, then the one the message declares elsewhere (`hint`), then
    detection. Charsets that are not ASCII-compatible (ISO-2022-*, UTF-16,
    UTF-7) go first when declared: their bytes can pass for ASCII."""
    label, other = _codec(charset), _codec(hint)
    if label.startswith("iso2022_jp"):
        text = _iso2022_jp(data)
        if text is not None:
            return text
    if label in NOT_ASCII_COMPATIBLE:
        candidates = [label, "utf-8", other]
    elif data.isascii():
        return data.decode("ascii")
    else:
        candidates = ["utf-8", label, other]
    for name in dict.fromkeys(c for c in candidates if c):
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            continue
    detected = _detect(data)
    for name in (detected, "cp1252"):
        if name:
            try:
                return data.decode(name)
            except (LookupError, UnicodeDecodeError):
                continue
    return data.decode("latin-1")  # every byte is a character


def _iso2022_jp(data: bytes) -> str | None:
    """ISO-2022-JP as Windows mailers write it (Microsoft's CP50220/50221):
    its JIS X 0208 pairs taken from Windows-31J, so NEC's and IBM's extra
    characters (①, ㈱, Ⅳ) read too, and half-width katakana by ESC ( I or
    SO/SI. None when the bytes are not that (JIS X 0212, say)."""
    try:
        return data.decode("iso2022_jp_ext")
    except UnicodeDecodeError:
        pass
    sjis = bytearray()
    mode, shifted = b"B", False  # ASCII
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == 0x1B:
            escape = data[i + 1 : i + 3]
            if escape in (b"(B", b"(J", b"(I", b"$@", b"$B"):
                mode = escape[1:] if escape[0:1] == b"(" else b"K"  # K: kanji
                i += 3
                continue
            return None
        if byte in (0x0E, 0x0F):  # SO, SI: half-width katakana in and out
            shifted = byte == 0x0E
        elif byte >= 0x80:
            return None
        elif mode == b"K" and 0x21 <= byte <= 0x7E and not shifted:
            if i + 1 >= len(data):
                return None
            first, second = byte, data[i + 1]
            lead = ((first - 0x21) >> 1) + 0x81
            lead += 0x40 if lead > 0x9F else 0
            # Odd rows take the lower half of the trail bytes (skipping 0x7F).
            trail = second + 0x1F + (second >= 0x60) if first & 1 else second + 0x7E
            sjis += bytes([lead, trail])
            i += 2
            continue
        elif (mode == b"I" or shifted) and 0x21 <= byte <= 0x5F:
            sjis.append(byte + 0x80)
        else:
            sjis.append(byte)
        i += 1
    try:
        return sjis.decode("cp932")
    except UnicodeDecodeError:
        return None


def _codec(charset: str | None) -> str:
    """The Python codec for a charset label ("" when unknown), with mislabelled
    subsets read as their supersets."""
    label = (charset or "").strip().strip('"').lower()
    if label in UNKNOWN_CHARSETS:
        return ""
    label = CHARSET_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return ""


def _detect(data: bytes) -> str:
    """The charset detection finds for `data` (a sample of it), or ""."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:DETECT_SAMPLE]).best()
    found = _codec(best.encoding) if best is not None else ""
    if found in NOT_ASCII_COMPATIBLE:
        return ""  # text with ASCII in it read as UTF-16 and the like: never mail
    # Mail is written on Windows far more than in Mac charsets, which read
    # much the same text: of two readings the Windows one.
    return WINDOWS_FOR_MAC.get(found, found)


def addresses(value: str, hint: str = "") -> list[tuple[str, str]]:
    """(name, address) pairs, strictly: an address with an encoded word, more
    than one @, control characters or that Django does not accept is dropped;
    names are decoded and cleaned (RELIABILITY 32). Raw 8-bit bytes stay
    escaped until the list is split, so a decoded comma splits nothing."""
    if not value:
        return []
    found = []
    for name, address in getaddresses([value]):
        address = address.strip()
        if not address or "=?" in address or address.count("@") != 1:
            continue
        if len(address) > MAX_ADDRESS:
            continue  # longer than SMTP allows, and than our columns hold
        if any(c in address for c in '"\\,;: <>()[]'):
            continue  # quoted or escaped local parts: legal, unused, a spoofing tool
        if any(unicodedata.category(c)[0] == "C" for c in address):
            continue
        try:
            validate_email(address)
        except ValidationError:
            continue
        found.append((_one_line(header_text(name, hint))[:200], address))
    return found


def _unique(values) -> list[str]:
    seen, unique = set(), []
    for value in values:
        if value and value.lower() not in seen:
            seen.add(value.lower())
            unique.append(value)
    return unique


def _auto_reply(mime: MimeMessage) -> str:
    """Why this is an automatic reply (RELIABILITY 22), or ""."""
    auto_submitted = _raw(mime, "Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted[:40]}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-AutoReply-From"):
        if mime.get(name) is not None:
            return name
    suppress = _raw(mime, "X-Auto-Response-Suppress").lower()
    if "all" in suppress or "oof" in suppress:
        return f"X-Auto-Response-Suppress: {suppress[:40]}"
    if _raw(mime, "Precedence").strip().lower() == "auto_reply":
        return "Precedence: auto_reply"
    if _raw(mime, "Return-Path").strip() == "<>":
        return "Return-Path: <>"
    return ""


def _bulk(mime: MimeMessage) -> str:
    precedence = _raw(mime, "Precedence").strip().lower()
    if precedence in {"bulk", "list", "junk"}:
        return f"Precedence: {precedence}"
    if mime.get("List-Id") is not None:
        return "List-Id"
    return ""


# Body -------------------------------------------------------------------------


def _read_body(
    mime: MimeMessage, parsed: ParsedEmail, hint: str, raw: bytes, leaves: Leaves
) -> None:
    """Walk the parts without recursion and without entering attached
    messages. What a mail client shows, in order: one of each set of
    alternatives, and every other text and HTML part (a text part next to an
    HTML part in multipart/mixed becomes HTML, so both show)."""
    texts: list[str] = []
    shown: list[tuple[str, str]] = []  # ("text" or "html", content), in order
    # (part, whether it is a text alternative to HTML, the path from the top)
    stack: list[tuple[MimeMessage, bool, tuple]] = [(mime, False, ())]
    seen = 0
    tnef_left = MAX_TNEF  # winmail.dat parts unpacked; others stay as they came
    while stack:
        part, alternative, path = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            parsed.notes.append(f"Only the first {MAX_PARTS} parts were read.")
            break
        content_type = mime_type(part)
        if content_type == "multipart/report":
            report_type = str(part.get_param("report-type") or "").lower()
            parsed.bounce = parsed.bounce or report_type == "delivery-status"
        payload = part.get_payload()
        if content_type.startswith("multipart/") and isinstance(payload, list):
            hides_text = content_type == "multipart/alternative" and any(
                mime_type(child) != "text/plain" for child in payload
            )
            stack.extend(
                (child, hides_text or alternative, (*path, (part, index)))
                for index, child in reversed(list(enumerate(payload)))
            )
            continue
        disposition = _raw(part, "Content-Disposition").split(";")[0].strip().lower()
        attached = disposition == "attachment"
        filename = _filename(part, hint)
        if content_type.startswith("multipart/"):
            # Its boundary never appears: what is there is the body.
            content_type = "text/html" if HTML_START.match(_payload(part)) else "text/plain"
        if content_type in {"text/plain", "text/html"} and not filename and not attached:
            data = leaves.data(part)
            if content_type == "text/plain" and UUENCODE_BEGIN.search(data):
                data = _uudecode(data, parsed)
            text = decode_bytes(data, _charset(part), hint)
            if content_type == "text/plain":
                texts.append(text)
            if not (alternative and content_type == "text/plain") and text.strip():
                shown.append(("html" if content_type == "text/html" else "text", text))
            continue
        if content_type in {"message/rfc822-headers", "text/rfc822-headers"} and parsed.bounce:
            parsed.bounced_message_id = _bounced_id(_payload(part))
        if content_type == "message/delivery-status" and parsed.bounce:
            parsed.bounced_recipients += _failed_recipients(part)
            continue
        if content_type == "message/rfc822":
            data = _original_bytes(raw, path, part) if raw else None
            data = data if data is not None else _attached_message(part)
            if parsed.bounce and not parsed.bounced_message_id:
                parsed.bounced_message_id = _bounced_id(data)
            filename = filename or "message.eml"
        else:
            data = leaves.data(part)
            part.set_payload("")  # its encoded text is not needed twice (a 20 MB file)
            if _is_tnef(content_type, filename) and tnef_left > 0:
                tnef_left -= 1
                if _unpack_tnef(data, parsed):
                    continue
        content_id = _message_id(_raw(part, "Content-ID")).strip("<>")
        parsed.attachments.append(
            ParsedPart(
                filename=filename or _default_name(content_type, part, hint),
                content_type=content_type,
                data=data,
                content_id=content_id,
                # Referenced by cid: from the HTML, whatever the disposition says.
                inline=disposition == "inline" or bool(content_id),
            )
        )
    parsed.text = "\n\n".join(t.strip("\n") for t in texts if t.strip()).replace("\x00", "")
    if any(kind == "html" for kind, _content in shown):
        from conversations.quoting import text_to_html

        parsed.html = "\n".join(
            content if kind == "html" else text_to_html(content) for kind, content in shown
        ).replace("\x00", "")


def _is_tnef(content_type: str, filename: str) -> bool:
    return content_type in TNEF_TYPES or (
        content_type == "application/octet-stream" and filename.lower() == "winmail.dat"
    )


def _unpack_tnef(data: bytes, parsed: ParsedEmail) -> bool:
    """Outlook's winmail.dat replaced by the files in it, as mail clients that
    read it show them (its rich body as body.rtf or body.html); False, and
    winmail.dat kept as it came, when it cannot be read or holds too many."""
    files = tnef_files(data)
    if files is None or len(parsed.attachments) + len(files) > MAX_PARTS:
        return False
    for file in files:
        name = _one_line(file.filename).replace("/", "_").replace("\\", "_")
        parsed.attachments.append(
            ParsedPart(
                filename=name or "attachment.bin",
                content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                data=file.data,
            )
        )
    return True


def _uudecode(data: bytes, parsed: ParsedEmail) -> bytes:
    """Files uuencoded inside a text part ("begin 644 name" ... "end") become
    attachments; the text keeps what is around them."""
    kept, position = [], 0
    for match in UUENCODE_BLOCK.finditer(data):
        decoded = bytearray()
        for line in match.group(2).splitlines():
            if line.strip() in (b"", b"`"):
                continue
            try:
                decoded += binascii.a2b_uu(line)
            except binascii.Error:
                # Some encoders cut trailing spaces; the length byte says how many bytes.
                try:
                    decoded += binascii.a2b_uu(line.rstrip() + b" " * 4)[: (line[0] - 32) & 63]
                except binascii.Error:
                    parsed.notes.append("A damaged line of a uuencoded file was skipped.")
        name = _one_line(decode_bytes(match.group(1).strip(), None, ""))
        parsed.attachments.append(
            ParsedPart(
                filename=name.replace("/", "_").replace("\\", "_") or "attachment.bin",
                content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                data=bytes(decoded),
            )
        )
        kept.append(data[position : match.start()])
        position = match.end()
    kept.append(data[position:])
    return b"".join(kept)


def _payload(part: MimeMessage) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, AssertionError):
        data = None
    if data is None:
        payload = part.get_payload()
        # Raw 8-bit bytes come back as they were, not as "?".
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    return data


def _original_bytes(raw: bytes, path: tuple, part: MimeMessage) -> bytes | None:
    """An attached message exactly as it came, cut out of the raw message by
    the boundaries of the multiparts around it (`path`: each with the index
    of the child to follow); None when the bytes cannot be told apart (an
    encoded message/rfc822, parts the parser counted differently)."""
    encoding = _raw(part, "Content-Transfer-Encoding").strip().lower()
    if encoding not in {"", "7bit", "8bit", "binary"} or not path:
        return None
    start, end = 0, len(raw)
    for multipart, index in path:
        boundary = multipart.get_boundary()
        payload = multipart.get_payload()
        if not boundary or not isinstance(payload, list):
            return None
        children = _spans(raw, _body_start(raw, start, end), end, boundary)
        if len(children) != len(payload):
            return None
        start, end = children[index]
    return raw[_body_start(raw, start, end) : end]


def _body_start(data: bytes, start: int, end: int) -> int:
    """Where the body of the message or part data[start:end] begins: after
    its header block."""
    if data[start : start + 1] == b"\n":
        return start + 1
    if data[start : start + 2] == b"\r\n":
        return start + 2
    return _blank_line(data, start, end)[1]


def _blank_line(data: bytes, start: int, end: int) -> tuple[int, int]:
    """Where the first blank line of data[start:end] begins (after the line
    break ending the line before it) and ends; (end, end) when there is none.
    The second search stops where the first found one, so a CRLF message of
    27 MB is not scanned whole for a bare LF pair it does not have."""
    crlf = data.find(b"\n\r\n", start, end)
    lf = data.find(b"\n\n", start, crlf + 2 if crlf != -1 else end)
    if lf != -1 and (crlf == -1 or lf < crlf):
        return lf + 1, lf + 2
    return (crlf + 1, crlf + 3) if crlf != -1 else (end, end)


def _spans(data: bytes, start: int, end: int, boundary: str) -> list[tuple[int, int]]:
    """Where the parts of the multipart body data[start:end] are: between
    delimiter lines ("--boundary" alone on a line), each line break before a
    delimiter counted with the delimiter. Found with bytes.find, not a regex:
    a 27 MB body is scanned in milliseconds."""
    needle = b"--" + boundary.encode("utf-8", "surrogateescape")
    delimiters: list[tuple[int, int, bool]] = []  # line start, after the line, closing
    position = start
    while (found := data.find(needle, position, end)) != -1:
        position = found + len(needle)
        if found != start and data[found - 1] != 0x0A:
            continue  # not at the start of a line
        newline = data.find(b"\n", position, end)
        after = end if newline == -1 else newline + 1
        tail = data[position:after]
        closing = tail.startswith(b"--")
        if tail[2 if closing else 0 :].strip(b" \t\r\n"):
            continue  # more on the line: not a delimiter
        delimiters.append((found, after, closing))
        if closing:
            break
    spans = []
    for number, (_begin, after, closing) in enumerate(delimiters):
        if closing:
            break
        stop = delimiters[number + 1][0] if number + 1 < len(delimiters) else end
        if data[stop - 2 : stop] == b"\r\n":
            stop -= 2
        elif data[stop - 1 : stop] == b"\n":
            stop -= 1
        spans.append((after, max(stop, after)))
    return spans


def _attached_message(part: MimeMessage) -> bytes:
    """An attached message re-serialised: where its own bytes cannot be found."""
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if inner is None:
        return b""
    try:
        return inner.as_bytes(policy=email_policy.compat32)
    except (RecursionError, ValueError, TypeError, LookupError, UnicodeError):
        return b""


def _filename(part: MimeMessage, hint: str = "") -> str:
    """The part's file name: an RFC 2231 one (filename*=) wins over a legacy
    one, Content-Disposition over Content-Type's name; raw 8-bit bytes and
    encoded words are read as in any header."""
    disposition = _params(_raw(part, "Content-Disposition"))
    content_type = _params(_raw(part, "Content-Type"))
    for params, key in ((disposition, "filename"), (content_type, "name")):
        name = _rfc2231(params, key, hint)
        if name:
            return name
    for params, key in ((disposition, "filename"), (content_type, "name")):
        if params.get(key):
            return _one_line(header_text(params[key], hint))
    return ""


def _params(value: str) -> dict[str, str]:
    """The parameters of a structured header, names lowercased, quotes removed
    (the first of a repeated name)."""
    found: dict[str, str] = {}
    for name, quoted, plain in PARAMETER.findall(value):
        text = re.sub(r"\\(.)", r"\1", quoted[1:-1]) if quoted else plain.strip()
        found.setdefault(name.lower(), text)
    return found


def _rfc2231(params: dict[str, str], key: str, hint: str) -> str:
    """An RFC 2231 parameter (`key*`, or its sections `key*0*`, `key*1`...):
    charset'language'percent-encoded bytes, joined before decoding."""
    sections = []
    for name, value in params.items():
        match = re.fullmatch(re.escape(key) + r"\*(?:(\d{1,3})\*?|)(\*?)", name)
        if match:
            sections.append((int(match.group(1) or 0), name.endswith("*"), value))
    if not sections:
        return ""
    sections.sort(key=lambda s: s[0])
    charset, data = "", b""
    for number, encoded, value in sections:
        if encoded and number == 0 and value.count("'") >= 2:
            charset, _language, value = value.split("'", 2)
        raw = value.encode("utf-8", "surrogateescape")
        data += unquote_to_bytes(raw) if encoded else raw
    return _one_line(decode_bytes(data, charset, hint))


def _default_name(content_type: str, part: MimeMessage, hint: str) -> str:
    """A name for a part that has none: its Content-Description, else its
    kind, with the type's usual extension ("video.mov", not "video.quicktime")."""
    main = content_type.partition("/")[0]
    extension = EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ".bin"
    description = _one_line(header_text(_raw(part, "Content-Description"), hint))
    stem = re.sub(r'[\\/:*?"<>|]', "_", description)[:100].strip(" .")
    if not stem:
        stem = main if main in {"image", "video", "audio", "text", "message"} else "attachment"
    return stem if stem.lower().endswith(extension) else stem + extension


def _failed_recipients(part: MimeMessage) -> list[str]:
    """The Final-Recipient of each per-recipient block whose Action is
    "failed" (RFC 3464); the blocks are parsed as header sets."""
    blocks = part.get_payload()
    failed = []
    for block in blocks[1:21] if isinstance(blocks, list) else []:
        action = str(block.get("Action") or "").strip().lower()
        status = str(block.get("Status") or "").strip()
        if action == "failed" or (not action and status.startswith("5")):
            kind, _semicolon, address = str(block.get("Final-Recipient") or "").partition(";")
            address = address.strip().strip("<>").lower()
            if kind.strip().lower() == "rfc822":
                try:
                    validate_email(address)
                except ValidationError:
                    continue
                failed.append(address)
    return failed


def _bounced_id(data: bytes) -> str:
    match = re.search(rb"(?im)^message-id:[ \t]*(<[^<>\s]{1,250}>)", data)
    return match.group(1).decode("ascii", "replace") if match else ""

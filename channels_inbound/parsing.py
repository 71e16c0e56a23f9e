"""Raw email to the fields we store, without trusting any of it.

Python's email package raises on some hostile input (a multipart nested 1,000
deep gives RecursionError; an encoded CR/LF in a display name gives ValueError
with the default policy). So the message is parsed with the lenient compat32
policy, headers are decoded here, every limit is checked before the work it
bounds, and anything unexpected becomes an InboundParseError with a reason:
the worker stores the reason next to the raw bytes, which are never lost.
"""

import codecs
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from email import policy as email_policy
from email.header import decode_header
from email.message import Message as MimeMessage
from email.utils import getaddresses, parsedate_to_datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# More multipart sections than this is an attack or a broken generator, not mail.
MAX_MULTIPARTS = 100
MAX_PARTS = 1000
MAX_REFERENCES = 50
MAX_SUBJECT = 998
MULTIPART_HEADER = re.compile(rb"(?im)^content-type:[ \t]*multipart/")
# The headers that make a message what it is. The others (trace headers, what
# each ESP, relay and mailbox adds on top) differ between two routes of one
# message, so they are left out of its content hash (RELIABILITY rule 2, 8).
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
    multiparts = len(MULTIPART_HEADER.findall(raw))
    if multiparts > MAX_MULTIPARTS:
        raise InboundParseError(
            f"Message has {multiparts} multipart sections (at most {MAX_MULTIPARTS})."
        )
    try:
        mime = message_from_bytes(raw, policy=email_policy.compat32)
    except (RecursionError, ValueError, TypeError, LookupError, IndexError) as error:
        raise InboundParseError(f"Message cannot be parsed ({type(error).__name__}).") from None
    parsed = ParsedEmail()
    try:
        _read_headers(mime, parsed)
        _read_body(mime, parsed)
    except RecursionError:
        raise InboundParseError("Message is nested too deeply.") from None
    parsed.content_hash = content_hash(raw)
    return parsed


def content_hash(raw: bytes) -> str:
    """A hash of the message's content headers (unfolded, in any order) and
    its body (any line ends, without trailing blank lines): equal for one
    message that came by several routes, each with its own trace and ESP
    headers on top."""
    head, separator, body = raw.partition(b"\r\n\r\n")
    if not separator:
        head, separator, body = raw.partition(b"\n\n")
    kept = []
    for line in re.split(rb"\r?\n(?![ \t])", head):
        name, colon, value = line.partition(b":")
        name = name.strip().lower()
        if colon and name.decode("ascii", "replace") in CONTENT_HEADERS:
            kept.append(name + b":" + b" ".join(value.split()))
    digest = hashlib.sha256(b"\n".join(sorted(kept)))
    digest.update(b"\n\n")
    digest.update(body.replace(b"\r\n", b"\n").rstrip())
    return digest.hexdigest()


# Headers ----------------------------------------------------------------------


def _read_headers(mime: MimeMessage, parsed: ParsedEmail) -> None:
    parsed.message_id = _message_id(_raw(mime, "Message-ID"))
    parsed.in_reply_to = _message_id(_raw(mime, "In-Reply-To"))
    parsed.references = re.findall(r"<[^<>\s]{1,250}>", _raw(mime, "References"))[-MAX_REFERENCES:]
    subject = _one_line(decode_words(_raw(mime, "Subject")))
    if len(subject) > MAX_SUBJECT:
        parsed.notes.append(f"Subject shortened from {len(subject)} characters.")
        subject = subject[:MAX_SUBJECT]
    parsed.subject = subject
    senders = addresses(_raw(mime, "From"))
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
    value = mime.get(name)
    return "" if value is None else str(value)


def _raw_all(mime: MimeMessage, name: str) -> str:
    return ", ".join(str(v) for v in (mime.get_all(name) or []))


def _one_line(value: str) -> str:
    """No control characters (CR, LF, NUL, bidi overrides) and single spaces."""
    value = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in value)
    return " ".join(value.split())


def _message_id(value: str) -> str:
    match = re.search(r"<[^<>\s]{1,250}>", value)
    return match.group(0) if match else ""


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return moment if moment.tzinfo else None


def decode_words(value: str) -> str:
    """RFC 2047 encoded words to text, whatever charsets they claim."""
    if "=?" not in value:
        return value
    try:
        chunks = decode_header(value)
    except (ValueError, LookupError, AssertionError):
        return value
    text = []
    for data, charset in chunks:
        text.append(decode_bytes(data, charset) if isinstance(data, bytes) else data)
    return "".join(text)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes in their declared charset, else UTF-8, else Windows-1252; never
    raises. Mislabelled subsets are read as their supersets."""
    candidates = []
    label = (charset or "").strip().strip('"').lower()
    if label and label not in UNKNOWN_CHARSETS:
        candidates.append(CHARSET_ALIASES.get(label, label))
    candidates += ["utf-8", "cp1252"]
    for name in candidates:
        try:
            codecs.lookup(name)
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")


def addresses(value: str) -> list[tuple[str, str]]:
    """(name, address) pairs, strictly: an address with an encoded word, more
    than one @, control characters or that Django does not accept is dropped;
    names are decoded and cleaned (RELIABILITY 32)."""
    if not value:
        return []
    found = []
    for name, address in getaddresses([value]):
        address = address.strip()
        if not address or "=?" in address or address.count("@") != 1:
            continue
        if any(c in address for c in '"\\,;: <>()[]'):
            continue  # quoted or escaped local parts: legal, unused, a spoofing tool
        if any(unicodedata.category(c)[0] == "C" for c in address):
            continue
        try:
            validate_email(address)
        except ValidationError:
            continue
        found.append((_one_line(decode_words(name))[:200], address))
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


def _read_body(mime: MimeMessage, parsed: ParsedEmail) -> None:
    """Walk the parts without recursion and without entering attached messages."""
    texts, htmls = [], []
    stack = [mime]
    seen = 0
    while stack:
        part = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            parsed.notes.append(f"Only the first {MAX_PARTS} parts were read.")
            break
        content_type = part.get_content_type()
        if content_type == "multipart/report":
            report_type = str(part.get_param("report-type") or "").lower()
            parsed.bounce = parsed.bounce or report_type == "delivery-status"
        if part.is_multipart() and not content_type.startswith("message/"):
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend(reversed(payload))
            continue
        disposition = str(part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        filename = _filename(part)
        if (
            content_type in {"text/plain", "text/html"}
            and not filename
            and disposition != "attachment"
        ):
            text = decode_bytes(_payload(part), part.get_content_charset())
            (htmls if content_type == "text/html" else texts).append(text)
            continue
        if content_type in {"message/rfc822-headers", "text/rfc822-headers"} and parsed.bounce:
            parsed.bounced_message_id = _bounced_id(_payload(part))
        if content_type == "message/delivery-status" and parsed.bounce:
            parsed.bounced_recipients += _failed_recipients(part)
            continue
        data = _payload(part) if not part.is_multipart() else _attached_message(part)
        if content_type == "message/rfc822":
            if parsed.bounce and not parsed.bounced_message_id:
                parsed.bounced_message_id = _bounced_id(data)
            filename = filename or "message.eml"
        content_id = _message_id(str(part.get("Content-ID") or "")).strip("<>")
        parsed.attachments.append(
            ParsedPart(
                filename=filename or _default_name(content_type),
                content_type=content_type,
                data=data,
                content_id=content_id,
                # Referenced by cid: from the HTML, whatever the disposition says.
                inline=disposition == "inline" or bool(content_id),
            )
        )
    parsed.text = "\n\n".join(t.strip("\n") for t in texts if t.strip()).replace("\x00", "")
    parsed.html = "\n".join(htmls).replace("\x00", "")


def _payload(part: MimeMessage) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, AssertionError):
        data = None
    if data is None:
        payload = part.get_payload()
        data = payload.encode("utf-8", "replace") if isinstance(payload, str) else b""
    return data


def _attached_message(part: MimeMessage) -> bytes:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if inner is None:
        return b""
    try:
        return inner.as_bytes(policy=email_policy.compat32)
    except (RecursionError, ValueError, TypeError, LookupError, UnicodeError):
        return b""


def _filename(part: MimeMessage) -> str:
    try:
        name = part.get_filename() or ""
    except (ValueError, TypeError, LookupError, IndexError):
        name = ""
    if isinstance(name, tuple):  # an RFC 2231 value Python could not decode
        name = decode_bytes(name[2].encode("latin-1", "replace"), name[0])
    return _one_line(decode_words(str(name)))


def _default_name(content_type: str) -> str:
    main, _slash, sub = content_type.partition("/")
    extension = {"jpeg": "jpg", "plain": "txt", "ms-tnef": "dat"}.get(sub, sub[:10] or "bin")
    return f"{main or 'attachment'}.{extension}"


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

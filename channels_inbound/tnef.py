"""The files inside a TNEF part (winmail.dat, application/ms-tnef), as mail
clients that understand Outlook's format show them: each attachment under its
long name, and the message's rich body as body.rtf or body.html.

Read here from the format (MS-OXTNEF) with every count and length checked
against the bytes left, so a hostile stream costs at most one pass over it:
libraries that trust the counts loop billions of times on a short stream.
None means "not readable": the caller keeps winmail.dat as it came.
"""

import struct
from dataclasses import dataclass, field

SIGNATURE = 0x223E9F78
MAX_OBJECTS = 10_000
MAX_PROPERTIES = 10_000  # per property list
MAX_FILES = 500
# Compressed RTF is expanded in pure Python (compressed-rtf), at most about
# 8.5 bytes out per byte in: above this (real bodies are a few KB) the rich
# copy of a body is left out rather than spending seconds on it.
MAX_COMPRESSED_RTF = 256 * 1024

LEVEL_MESSAGE, LEVEL_ATTACHMENT = 1, 2
# Attribute ids (the low 16 bits of an attribute's id).
ATT_ATTACH_REND_DATA = 0x9002  # starts an attachment
ATT_ATTACH_TITLE = 0x8010
ATT_ATTACH_DATA = 0x800F
ATT_ATTACHMENT = 0x9005  # the attachment's MAPI properties
ATT_MSG_PROPS = 0x9003  # the message's MAPI properties
# MAPI property ids.
PR_BODY_HTML = 0x1013
PR_RTF_COMPRESSED = 0x1009
PR_DISPLAY_NAME = 0x3001
PR_ATTACH_DATA = 0x3701  # binary data, or an embedded object
PR_ATTACH_FILENAME = 0x3704
PR_ATTACH_LONG_FILENAME = 0x3707
# MAPI property types: fixed sizes, and those stored as counted byte strings.
FIXED = {0x0002: 2, 0x000B: 2, 0x0003: 4, 0x0004: 4, 0x000A: 4}
FIXED |= {0x0005: 8, 0x0006: 8, 0x0007: 8, 0x0014: 8, 0x0040: 8, 0x0048: 16, 0x0001: 0}
STRING8, UNICODE, OBJECT, BINARY = 0x001E, 0x001F, 0x000D, 0x0102
COUNTED = {STRING8, UNICODE, OBJECT, BINARY, 0x0000}
MULTI_VALUE = 0x1000


class Unreadable(Exception):
    pass


@dataclass
class TnefFile:
    filename: str
    data: bytes


@dataclass
class _Attachment:
    title: str = ""
    data: bytes = b""
    properties: dict[int, tuple[int, bytes]] = field(default_factory=dict)


def tnef_files(data: bytes) -> list[TnefFile] | None:
    """The files a TNEF stream holds, in order (attachments, then the rich
    body); None when `data` is not a readable TNEF stream."""
    try:
        return _files(data)
    except (Unreadable, struct.error, UnicodeError, ValueError):
        return None


def _files(data: bytes) -> list[TnefFile]:
    if len(data) < 6 or struct.unpack_from("<I", data)[0] != SIGNATURE:
        raise Unreadable
    position, objects = 6, 0
    attachments: list[_Attachment] = []
    message: dict[int, tuple[int, bytes]] = {}
    while position < len(data):
        objects += 1
        if objects > MAX_OBJECTS or len(data) - position < 11:
            raise Unreadable
        level, ident, length = struct.unpack_from("<BII", data, position)
        start = position + 9
        if length > len(data) - start - 2:
            raise Unreadable
        value = data[start : start + length]
        position = start + length + 2  # the checksum is not needed to read
        name = ident & 0xFFFF
        if level == LEVEL_ATTACHMENT:
            if name == ATT_ATTACH_REND_DATA or not attachments:
                if len(attachments) >= MAX_FILES:
                    raise Unreadable
                attachments.append(_Attachment())
            attachment = attachments[-1]
            if name == ATT_ATTACH_TITLE:
                attachment.title = value.split(b"\0")[0].decode("cp1252", "replace")
            elif name == ATT_ATTACH_DATA:
                attachment.data = value
            elif name == ATT_ATTACHMENT:
                attachment.properties.update(_properties(value))
        elif level == LEVEL_MESSAGE and name == ATT_MSG_PROPS:
            message.update(_properties(value))
        elif level not in (LEVEL_MESSAGE, LEVEL_ATTACHMENT):
            raise Unreadable
    files = [_attachment_file(a, number) for number, a in enumerate(attachments, 1)]
    files = [f for f in files if f is not None]
    rtf = _rtf(message.get(PR_RTF_COMPRESSED, (0, b""))[1])
    if rtf:
        files.append(TnefFile("body.rtf", rtf))
    elif message.get(PR_BODY_HTML, (0, b""))[1]:
        kind, html = message[PR_BODY_HTML]
        text = html.decode("utf-16-le") if kind == UNICODE else html
        encoded = text.encode("utf-8") if isinstance(text, str) else text
        files.append(TnefFile("body.html", encoded.rstrip(b"\0")))
    return files


def _attachment_file(attachment: _Attachment, number: int) -> TnefFile | None:
    properties = attachment.properties
    data = attachment.data
    if PR_ATTACH_DATA in properties:
        kind, value = properties[PR_ATTACH_DATA]
        data = value[16:] if kind == OBJECT else value  # an object starts with its IID
    name = ""
    for key in (PR_ATTACH_LONG_FILENAME, PR_ATTACH_FILENAME):
        if key in properties:
            name = _text(*properties[key])
            if name:
                break
    name = name or attachment.title
    if not name and PR_DISPLAY_NAME in properties:
        name = _text(*properties[PR_DISPLAY_NAME])
    if not name and not data:
        return None  # an attachment record with nothing in it
    return TnefFile(name or f"attachment-{number}.bin", data)


def _text(kind: int, value: bytes) -> str:
    text = value.decode("utf-16-le", "replace") if kind == UNICODE else value.decode("cp1252")
    return text.split("\0")[0].strip()


def _properties(data: bytes) -> dict[int, tuple[int, bytes]]:
    """A MAPI property list: id -> (type, first value's bytes). Values that are
    not byte strings are skipped over, not read."""
    found: dict[int, tuple[int, bytes]] = {}
    if len(data) < 4:
        return found
    (count,) = struct.unpack_from("<I", data)
    position = 4
    if count > MAX_PROPERTIES or count > (len(data) - 4) // 4:
        raise Unreadable
    for _ in range(count):
        kind, ident = struct.unpack_from("<HH", data, position)
        position += 4
        if ident >= 0x8000:  # a named property: a GUID, then an id or a name
            (naming,) = struct.unpack_from("<I", data, position + 16)
            position += 20
            if naming == 0:
                position += 4
            else:
                (size,) = struct.unpack_from("<I", data, position)
                position += 4 + size + (-size % 4)
        values = 1
        if kind & MULTI_VALUE or kind & 0x0FFF in COUNTED:
            (values,) = struct.unpack_from("<I", data, position)
            position += 4
            if values > (len(data) - position) // 2 + 1:
                raise Unreadable
        kind &= 0x0FFF
        if kind in COUNTED:
            for number in range(values):
                (size,) = struct.unpack_from("<I", data, position)
                position += 4
                if size > len(data) - position:
                    raise Unreadable
                if number == 0:
                    found.setdefault(ident, (kind, data[position : position + size]))
                position += size + (-size % 4)
        elif kind in FIXED:
            size = FIXED[kind] * values
            position += size + (-size % 4)
        else:
            raise Unreadable  # a type we cannot measure: the rest cannot be found
        if position > len(data):
            raise Unreadable
    return found


def _rtf(compressed: bytes) -> bytes:
    """Compressed RTF (MS-OXRTFCP) expanded; b"" when it cannot be."""
    if not compressed or len(compressed) > MAX_COMPRESSED_RTF:
        return b""
    from compressed_rtf import decompress

    try:
        return bytes(decompress(compressed))
    except Exception:  # the library raises bare Exception on a bad header or CRC
        return b""

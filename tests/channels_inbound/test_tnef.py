"""Outlook's winmail.dat (application/ms-tnef) arrives as the files inside it
(issue 15), and a hostile TNEF stream costs no more than reading it."""

import struct

from channels_inbound.parsing import parse_email
from tests.channels_inbound.mail import mail
from tests.timing import cpu_budget


def attribute(level: int, ident: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BII", level, ident, len(data)) + data + struct.pack("<H", checksum)


def unicode_property(ident: int, text: str) -> bytes:
    value = (text + "\0").encode("utf-16-le")
    padding = b"\0" * (-len(value) % 4)
    return struct.pack("<HHII", 0x001F, ident, 1, len(value)) + value + padding


def tnef(*files: tuple[str, bytes], count: int | None = None) -> bytes:
    """A TNEF stream as Outlook writes one: per file its rendering record,
    a short title, the data, and MAPI properties with the long name."""
    stream = struct.pack("<IH", 0x223E9F78, 1)
    stream += attribute(1, 0x00089006, struct.pack("<I", 0x00010000))  # version
    for name, data in files:
        stream += attribute(2, 0x00069002, b"\0" * 14)
        stream += attribute(2, 0x00018010, name[:8].encode() + b"\0")
        stream += attribute(2, 0x0006800F, data)
        properties = unicode_property(0x3707, name)
        stream += attribute(2, 0x00069005, struct.pack("<I", count or 1) + properties)
    return stream


def with_winmail(data: bytes) -> bytes:
    return mail(
        text="See the attachment.",
        attachments=[("winmail.dat", data, "application", "ms-tnef", None)],
    )


def test_winmail_dat_becomes_the_files_inside_it_under_their_long_names():
    stream = tnef(("Quarterly report 2026.xlsx", b"PK\x03\x04sheet"), ("notes.txt", b"hello"))
    parsed = parse_email(with_winmail(stream))
    assert [(a.filename, a.data) for a in parsed.attachments] == [
        ("Quarterly report 2026.xlsx", b"PK\x03\x04sheet"),
        ("notes.txt", b"hello"),
    ]
    assert parsed.attachments[1].content_type == "text/plain"
    assert parsed.text == "See the attachment."


def test_winmail_dat_that_is_no_tnef_is_kept_as_it_came():
    parsed = parse_email(with_winmail(b"not a TNEF stream at all"))
    assert [(a.filename, a.data) for a in parsed.attachments] == [
        ("winmail.dat", b"not a TNEF stream at all")
    ]


def test_hostile_tnef_counts_cost_one_pass_and_keep_winmail_dat():
    """A property list claiming four billion properties in a few bytes is
    refused on its count, not looped over."""
    stream = tnef(("a.txt", b"x"), count=0xFFFFFFFF)
    truncated = tnef(("a.txt", b"x"))[:-7]
    for data in (stream, truncated, stream * 2000):
        with cpu_budget(1):
            parsed = parse_email(with_winmail(data))
        assert [a.filename for a in parsed.attachments] == ["winmail.dat"]


def test_the_rich_body_of_winmail_dat_is_kept_as_body_rtf():
    from compressed_rtf import compress

    rtf = rb"{\rtf1\ansi Hello {\b there}\par}"
    compressed = compress(rtf)
    value = struct.pack("<HHII", 0x0102, 0x1009, 1, len(compressed)) + compressed
    value += b"\0" * (-len(compressed) % 4)
    stream = tnef() + attribute(1, 0x00069003, struct.pack("<I", 1) + value)
    parsed = parse_email(with_winmail(stream))
    assert [(a.filename, a.content_type, a.data) for a in parsed.attachments] == [
        ("body.rtf", "application/rtf", rtf)
    ]


def test_only_the_first_three_winmail_dat_parts_are_unpacked():
    stream = tnef(("a.txt", b"x"))
    attachments = [("winmail.dat", stream, "application", "ms-tnef", None)] * 5
    parsed = parse_email(mail(attachments=attachments))
    assert [a.filename for a in parsed.attachments] == ["a.txt"] * 3 + ["winmail.dat"] * 2

"""Attachments for the demo, drawn in code so the repository holds no binaries:
a PNG screenshot and a one-page PDF, both small and valid."""

import struct
import zlib

# Colours of the screenshot (RGB).
WHITE = (255, 255, 255)
FRAME = (226, 232, 240)
DOTS = ((239, 68, 68), (245, 158, 11), (34, 197, 94))
BANNER = (254, 226, 226)
BANNER_EDGE = (220, 38, 38)
TEXT = (148, 163, 184)
BUTTON = (37, 99, 235)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_screenshot(width: int = 320, height: int = 200) -> bytes:
    """A customer's screenshot: a browser window showing an error banner above
    a form with a blue button. 8-bit RGB, no filter, one IDAT chunk."""

    def colour(x: int, y: int) -> tuple[int, int, int]:
        if y < 22:
            for index, dot in enumerate(DOTS):
                if (x - 14 - 16 * index) ** 2 + (y - 11) ** 2 <= 20:
                    return dot
            return FRAME
        if 40 <= y < 72 and 16 <= x < width - 16:
            edge = y in (40, 71) or x in (16, width - 17) or x < 22
            return BANNER_EDGE if edge else BANNER
        for top in (92, 122):  # two labelled input lines
            if top <= y < top + 6 and 16 <= x < 120:
                return TEXT
            if top + 10 <= y < top + 12 and 16 <= x < width - 16:
                return FRAME
        if 160 <= y < 184 and width - 112 <= x < width - 16:
            return BUTTON
        return WHITE

    rows = b"".join(
        b"\x00" + b"".join(bytes(colour(x, y)) for x in range(width)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )


def _pdf_text(value: str) -> str:
    """A PDF literal string; the demo's text is Latin-1 (Helvetica's WinAnsi)."""
    escaped = value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return f"({escaped})"


def pdf_document(title: str, lines: list[str]) -> bytes:
    """A one-page A4 PDF: the title in bold, then the lines, in the standard
    Helvetica fonts (nothing embedded). The cross-reference table holds the
    exact byte offset of each object, as readers expect."""
    text = [f"BT /F2 18 Tf 56 770 Td {_pdf_text(title)} Tj ET"]
    for index, line in enumerate(lines):
        text.append(f"BT /F1 11 Tf 56 {730 - 18 * index} Td {_pdf_text(line)} Tj ET")
    stream = "\n".join(text).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    document = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(document))
        document += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(document)
    document += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    document += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    document += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    document += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(document)

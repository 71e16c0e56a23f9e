"""Reading an uploaded import file: a CSV (any delimiter, UTF-8 or UTF-16)
or a Zendesk export (JSON, NDJSON, or a zip of them).

A file we cannot read is refused whole with one clear sentence
(`FileRefused`), before anything is stored from it.
"""

import codecs
import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

# A line longer than this is not a row of data (a file with no line ends, a
# pasted binary): refused rather than read into memory as one field.
MAX_LINE = 2**20
csv.field_size_limit(MAX_LINE)
DELIMITERS = ",;\t|"


class FileRefused(Exception):
    """The file cannot be imported; `message` says why, for the admin."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass
class CsvFile:
    text: str
    encoding: str
    delimiter: str
    header: list[str]

    def rows(self):
        """(line number, cells) of every data row, blank lines left out."""
        reader = csv.reader(
            io.StringIO(self.text, newline=""), delimiter=self.delimiter, strict=True
        )
        try:
            next(reader, None)
            for cells in reader:
                if any(cell.strip() for cell in cells):
                    yield reader.line_num, cells
        except csv.Error as error:
            raise FileRefused(
                _("Line %(line)s cannot be read as CSV (%(reason)s).")
                % {"line": reader.line_num, "reason": error}
            ) from error


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and encoding: UTF-8 (with or without its mark) or
    UTF-16 with its mark. Anything else is refused with where it failed:
    guessing a legacy code page turns Korean or Polish names into garbage."""
    if not data.strip():
        raise FileRefused(_("The file is empty."))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:
            raise FileRefused(_("The file is not valid UTF-16 text.")) from error
    if b"\x00" in data[:4096] or data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF")):
        raise FileRefused(
            _(
                "This is not a CSV file (it looks like a spreadsheet, an archive or another "
                "binary file). Save it as “CSV UTF-8” and upload that."
            )
        )
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FileRefused(
            _(
                "The file is not UTF-8 text (line %(line)s has a byte UTF-8 does not allow). "
                "Save it as “CSV UTF-8” and upload it again."
            )
            % {"line": line}
        ) from error


def read_csv(data: bytes) -> CsvFile:
    """The CSV in `data` with its header, or FileRefused."""
    text, encoding = decode(data)
    first_line_end = text.find("\n")
    first_line = text if first_line_end < 0 else text[:first_line_end]
    if len(first_line) > MAX_LINE or (first_line_end < 0 and len(text) > MAX_LINE):
        raise FileRefused(_("The first line is longer than 1 MB: this is not a CSV file."))
    stripped = text.lstrip()
    if stripped.startswith(("{", "[", "<")):
        raise FileRefused(
            _("This is not a CSV file (it looks like JSON, HTML or XML). Save it as CSV first.")
        )
    delimiter = _delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [cell.strip() for cell in next(reader)]
    except csv.Error as error:
        raise FileRefused(
            _("The first line cannot be read as CSV (%(reason)s).") % {"reason": error}
        ) from error
    if not any(header):
        raise FileRefused(_("The first line has no column names."))
    file = CsvFile(text=text, encoding=encoding, delimiter=delimiter, header=header)
    for _line, _cells in file.rows():  # reads every line once: a broken one is found now
        pass
    return file


def _delimiter(line: str) -> str:
    """The delimiter the header uses most (Excel writes ";" in much of Europe)."""
    counts = {d: line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","

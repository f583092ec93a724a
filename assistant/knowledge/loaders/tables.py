"""Spreadsheet files read as a header and data rows: CSV (encoding detected or given, malformed records reported
by line number and skipped) and XLSX (first sheet). The row-to-document step is in `csv.py`, shared by both."""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from assistant.errors import LoadError

_DELIMITERS = (",", ";", "\t")
#: What charset-normalizer may choose between when a file is not UTF-8: the code pages office exports use for
#: the languages the assistant serves (en, fr, es, pt, sw: Windows-1252, Latin-1/9; ar: Windows-1256, ISO
#: 8859-6) and UTF-16/32. Left unrestricted it reads short French text as Central European (cp1250: "à" becomes
#: "ŕ"); with Mac Roman among them, curly quotes and "€" come out as "ì", "î", "Ä".
_CANDIDATE_ENCODINGS = ["utf_8", "cp1252", "latin_1", "iso8859_15", "cp1256", "iso8859_6"]
_CANDIDATE_ENCODINGS += ["utf_16", "utf_32"]


@dataclass
class Table:
    header: list[str]
    #: (line number in the file, cells) of each data row; blank lines are left out.
    rows: list[tuple[int, list[str]]]
    #: "line N: why" for every record that could not be read as a row; never made into a document.
    malformed: list[str] = field(default_factory=list)
    #: The text encoding used (None: the format has none of its own), and whether it was detected (False: UTF-8
    #: as expected, or given by the caller).
    encoding: str | None = "utf-8"
    detected: bool = False
    #: The CSV delimiter, when there is one.
    delimiter: str | None = None


def _raise_field_size_limit() -> None:
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:  # C long is 32-bit on some platforms
            limit //= 10


def sniff_delimiter(header_line: str) -> str:
    """The most frequent of , ; TAB in the header line outside quotes (',' when none)."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: unquoted.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def decode(path: Path, data: bytes, encoding: str | None = None) -> tuple[str, str, bool]:
    """(text, encoding used, detected?): `encoding` when given, UTF-8 when the bytes are UTF-8, else detected."""
    if encoding:
        try:
            return data.decode(encoding), encoding, False
        except LookupError:
            raise LoadError(path, f"unknown encoding '{encoding}'") from None
        except UnicodeDecodeError as exc:
            raise LoadError(path, f"not valid {encoding} text ({exc.reason} at byte {exc.start})") from None
    try:
        return data.decode("utf-8-sig"), "utf-8", False
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=_CANDIDATE_ENCODINGS).best()
    if best is None:
        raise LoadError(path, "not UTF-8, and its encoding could not be detected; pass --encoding (e.g. cp1252)")
    return str(best), best.encoding, True


class _Lines:
    """The physical lines from `start` on, fed to csv.reader one at a time (so `line_num` says where it is)."""

    def __init__(self, lines: list[str], start: int):
        self._it = iter(lines[start:])

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        return next(self._it) + "\n"


def _check_width(cells: list[str], width: int) -> str | None:
    """Why a record does not fit the header, or None. Trailing empty cells beyond the header are tolerated."""
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        return f"{len(cells)} fields where the header has {width} (an unquoted delimiter or a stray quote?)"
    if len(cells) < width:
        return f"{len(cells)} fields where the header has {width}"
    return None


def _records(lines: list[str], start: int, delimiter: str, width: int, table: Table) -> None:
    """Parse the data records from line index `start`; a bad record is reported and parsing resumes on the line
    after the one it started on, so an unterminated quote costs one row, not the rest of the file."""
    while start < len(lines):
        reader = csv.reader(_Lines(lines, start), delimiter=delimiter, strict=True)
        while True:
            first = start + reader.line_num  # index of the line this record starts on
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                # a quote left open runs into the lines after it, up to the end or to the next quote
                ran_on = "end of data" in str(exc) or start + reader.line_num - first > 1
                reason = "unterminated quote" if ran_on else f"malformed quoting ({exc})"
                table.malformed.append(f"line {first + 1}: {reason}")
                start = first + 1
                break
            if not cells or not any(c.strip() for c in cells):
                continue
            problem = _check_width(cells, width)
            if problem:
                table.malformed.append(f"line {first + 1}: {problem}")
                if start + reader.line_num - first > 1:  # it swallowed following lines: read them again
                    start = first + 1
                    break
                continue
            table.rows.append((first + 1, cells[:width]))


def read_csv_table(path: Path, encoding: str | None = None) -> Table:
    text, used, detected = decode(path, path.read_bytes(), encoding)
    if "\x00" in text:
        raise LoadError(path, "binary content in a text file")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")  # also inside quoted cells
    if lines and lines[-1] == "":
        lines.pop()
    _raise_field_size_limit()
    delimiter = sniff_delimiter(lines[0] if lines else "")
    reader = csv.reader(_Lines(lines, 0), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise LoadError(path, "the CSV is empty") from None
    except csv.Error as exc:
        raise LoadError(path, f"the header row cannot be read ({exc})") from None
    if not any(header):
        raise LoadError(path, "the CSV has no header row (the first line is blank)")
    table = Table(header, [], encoding=used, detected=detected, delimiter=delimiter)
    _records(lines, reader.line_num, delimiter, len(header), table)
    return table


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV export would show: 6.0 -> "6", dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def read_xlsx_table(path: Path) -> Table:
    """The first sheet of a workbook: its first non-empty row is the header."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        if not workbook.worksheets:
            raise LoadError(path, "the workbook has no sheet")
        sheet = workbook.worksheets[0]
        header: list[str] | None = None
        table = Table([], [], encoding=None)
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [cell_text(v).strip() if header is None else cell_text(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                while cells and not cells[-1]:
                    cells.pop()
                header = table.header = cells
                continue
            problem = _check_width(cells, len(header)) if len(cells) > len(header) else None
            if problem:
                table.malformed.append(f"row {number}: {problem}")
                continue
            table.rows.append((number, cells[: len(header)] + [""] * (len(header) - len(cells))))
    finally:
        workbook.close()
    if header is None:
        raise LoadError(path, f"the first sheet ('{sheet.title}') is empty")
    return table

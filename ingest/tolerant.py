"""Tolerant reading of upstream text files: the harmless variations real copies show, normalised and counted.

Files that reach users are not always the bytes the publisher wrote: a yearly CSV re-saved in a
spreadsheet gains trailing commas on its title lines, a copy from a mirror is UTF-8 with a byte-order
mark, a hand-edited one has zero-padded dates or quoted numbers with thousands separators. None of
that changes a value, so none of it may cost a row. Each variation met is counted in a
`FormatNotes` (by kind), which the run summary prints as "format notes", so a user sees what was
normalised; only what cannot be read is set aside, and then one row at a time (`RowIssue`).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

BOM = "\ufeff"
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PADDED_DATE = re.compile(r"(^|[/-])0\d")
_PADDED_TIME = re.compile(r"^0\d:")


class FormatNotes(Counter):
    """How many times each kind of harmless variation was normalised (kind → count)."""

    def note(self, kind: str, n: int = 1) -> None:
        if n:
            self[kind] += n


@dataclass(frozen=True)
class RowIssue:
    """One row that could not be read: its 1-based line number in the file, the reason and its text."""

    line: int
    reason: str
    text: str = ""


class Unreadable(ValueError):
    """A whole file (or a whole block) cannot be read; `reason` says why in words a user can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode(raw: bytes, notes: FormatNotes, publisher_encoding: str = "cp932") -> str:
    """Text of `raw`: UTF-8 (with or without a byte-order mark) or the publisher's encoding.

    UTF-8 is tried first because Japanese text in CP932 is practically never valid UTF-8, whereas
    UTF-8 bytes often decode as CP932 without error (into mojibake). Pure ASCII is the same in both.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        notes.note("byte-order mark")
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = raw.decode(publisher_encoding)
        except UnicodeDecodeError as exc:
            raise Unreadable(
                f"wrong encoding: neither UTF-8 nor {publisher_encoding.upper()} ({exc.reason} at byte {exc.start})"
            ) from exc
    else:
        if not text.isascii() and publisher_encoding.lower() not in ("utf-8", "utf8"):
            notes.note(f"UTF-8 instead of {publisher_encoding.upper()}")
    if "\x00" in text:
        raise Unreadable("binary content (NUL bytes): not a text file")
    return text.lstrip(BOM)


def numbered_lines(text: str, notes: FormatNotes) -> list[tuple[int, str]]:
    """(1-based line number, line) for every line; CRLF and LF are both native, CR-only is noted."""
    if "\r" in text.replace("\r\n", ""):
        notes.note("CR line endings")
    return list(enumerate(text.splitlines(), start=1))


def cells(line: str, notes: FormatNotes, width: int | None = None) -> list[str]:
    """The stripped cells of one CSV line (quotes understood), trailing empty cells dropped.

    With `width`, empty cells beyond it are a "trailing separators" note (a spreadsheet's re-save);
    a short row is padded with empty cells to `width`, because TEPCO leaves the cells of hours not
    yet measured blank and a writer may drop the separators after them.
    """
    if '"' in line:
        parsed = next(csv.reader([line]))
        if any(_THOUSANDS.match(c.strip()) for c in parsed):
            notes.note("quoted numbers with thousands separators")
        elif parsed != line.split(","):
            notes.note("quoted cells")
    else:
        parsed = line.split(",")
    out = [c.strip() for c in parsed]
    full = len(out)
    while out and out[-1] == "":
        out.pop()
    if width is not None:
        if full > width and len(out) <= width:
            notes.note("trailing separators")
        out += [""] * (width - len(out))
    return out


def is_blank(line: str) -> bool:
    """A blank line, or one holding only separators (`,,` from a spreadsheet's re-save)."""
    return line.replace(",", "").strip() == ""


def normalise_header(cell: str) -> str:
    """Header spelling for comparison: full-width → half-width (NFKC), no spaces, upper case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell)).upper()


def number(cell: str, notes: FormatNotes) -> float | None:
    """A numeric cell; empty → None. Thousands separators ("4,123") are accepted and noted."""
    if cell == "":
        return None
    text = cell
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    try:
        value = float(text)
    except ValueError:
        raise Unreadable(f"non-numeric cell {cell!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise Unreadable(f"non-numeric cell {cell!r}")
    return value


def padded(cell: str, notes: FormatNotes, kind: str) -> None:
    """Count zero-padded dates (`2016/04/01`) and times (`09:00`); both parse the same."""
    pattern = _PADDED_DATE if kind == "date" else _PADDED_TIME
    if pattern.search(cell):
        notes.note(f"zero-padded {kind}s")

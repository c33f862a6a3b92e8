"""Drifted copies of real TEPCO files: the harmless variations copies in the wild show, and corruptions.

Each variation is a function of the original bytes, applied to a real yearly `juyo-YYYY.csv` and to
a real daily `YYYYMMDD_power_usage.csv` (from `../shared/data`, never copied into the repository).
`tests/test_drift_corpus.py` checks that every harmless variant lands exactly the rows the clean
file lands, and that corrupted rows cost those rows only.

    python -m tests.drift_corpus --data ../shared/data --out /tmp/drift   # write the corpus to look at
"""

from __future__ import annotations

import argparse
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

ENCODING = "cp932"


def _text(raw: bytes) -> str:
    return raw.decode(ENCODING)


def _lines(raw: bytes) -> tuple[list[str], str]:
    text = _text(raw)
    eol = "\r\n" if "\r\n" in text else "\n"
    return text.split(eol), eol


def _join(lines: list[str], eol: str) -> bytes:
    return eol.join(lines).encode(ENCODING)


_DATA_ROW = re.compile(r"^\d{4}/\d{1,2}/\d{1,2},")


def other_line_endings(raw: bytes) -> bytes:
    lines, eol = _lines(raw)
    return _join(lines, "\n" if eol == "\r\n" else "\r\n")


def utf8(raw: bytes) -> bytes:
    return _text(raw).encode("utf-8")


def utf8_with_bom(raw: bytes) -> bytes:
    return b"\xef\xbb\xbf" + _text(raw).encode("utf-8")


def trailing_separators_on_title(raw: bytes) -> bytes:
    """What a spreadsheet's re-save writes: `… UPDATE,,` and `,,` for the blank line after it."""
    lines, eol = _lines(raw)
    lines[0] += ",,"
    if len(lines) > 1 and lines[1] == "":
        lines[1] = ",,"
    return _join(lines, eol)


def trailing_separators_on_rows(raw: bytes) -> bytes:
    lines, eol = _lines(raw)
    return _join([line + "," if _DATA_ROW.match(line) else line for line in lines], eol)


def trailing_blank_lines(raw: bytes) -> bytes:
    lines, eol = _lines(raw)
    return _join(lines + ["", "", ""], eol)


def zero_padded(raw: bytes) -> bytes:
    """`2016/4/1,0:00` → `2016/04/01,00:00` on every data row."""

    def pad(line: str) -> str:
        m = re.match(r"^(\d{4})/(\d{1,2})/(\d{1,2}),(\d{1,2}):(\d{2})(.*)$", line)
        if not m:
            return line
        y, mo, d, h, mi, rest = m.groups()
        return f"{y}/{int(mo):02d}/{int(d):02d},{int(h):02d}:{mi}{rest}"

    lines, eol = _lines(raw)
    return _join([pad(line) for line in lines], eol)


def header_spelling(raw: bytes) -> bytes:
    """`実績(万kW)` → `KW` (yearly files); full-width digits → half-width, `kW` → `KW` (daily files)."""
    lines, eol = _lines(raw)
    out = []
    for line in lines:
        if line.startswith("DATE,TIME,実績(万kW)"):
            line = line.replace("実績(万kW)", "KW")
        elif line.startswith("DATE,TIME,"):
            line = line.replace("５", "5").replace("万kW", "万KW")
        out.append(line)
    return _join(out, eol)


def quoted_thousands(raw: bytes) -> bytes:
    """Numbers of 1,000 and more quoted with a thousands separator: `2555` → `"2,555"`."""

    def quote(line: str) -> str:
        if not _DATA_ROW.match(line):
            return line
        cells = line.split(",")
        return ",".join(f'"{int(c):,}"' if c.isdigit() and int(c) >= 1000 else c for c in cells)

    lines, eol = _lines(raw)
    return _join([quote(line) for line in lines], eol)


def everything_at_once(raw: bytes) -> bytes:
    out = raw
    for f in (
        zero_padded,
        quoted_thousands,
        trailing_separators_on_rows,
        header_spelling,
        trailing_separators_on_title,
        trailing_blank_lines,
        other_line_endings,
    ):
        out = f(out)
    return utf8_with_bom(out)


HARMLESS: dict[str, Callable[[bytes], bytes]] = {
    "other_line_endings": other_line_endings,
    "utf8": utf8,
    "utf8_with_bom": utf8_with_bom,
    "trailing_separators_on_title": trailing_separators_on_title,
    "trailing_separators_on_rows": trailing_separators_on_rows,
    "trailing_blank_lines": trailing_blank_lines,
    "zero_padded": zero_padded,
    "header_spelling": header_spelling,
    "quoted_thousands": quoted_thousands,
    "everything_at_once": everything_at_once,
}


def corrupt_rows(raw: bytes, n: int = 3) -> tuple[bytes, list[int]]:
    """`n` data rows made unreadable (a letter in the value, a time that is not an hour, a cut row),
    spread through the file; returns the bytes and the 1-based line numbers damaged."""
    lines, eol = _lines(raw)
    rows = [i for i, line in enumerate(lines) if _DATA_ROW.match(line)]
    picks = [rows[len(rows) * (k + 1) // (n + 1)] for k in range(n)]
    damage = [lambda c: c[:2] + ["12a4"] + c[3:], lambda c: [c[0], "25:00"] + c[2:], lambda c: c[:1]]
    for k, i in enumerate(picks):
        cells = lines[i].split(",")
        lines[i] = ",".join(damage[k % len(damage)](cells))
    return _join(lines, eol), [i + 1 for i in picks]


def real_daily_csv(data: Path, member: str = "20230615_power_usage.csv") -> bytes:
    with zipfile.ZipFile(data / "tepco" / "power_usage" / f"{member[:6]}_power_usage.zip") as zf:
        return zf.read(member)


def real_yearly_csv(data: Path, year: int = 2023) -> bytes:
    return (data / "tepco" / "juyo" / f"juyo-{year}.csv").read_bytes()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.drift_corpus", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for label, raw in (("juyo-2023", real_yearly_csv(args.data)), ("20230615_power_usage", real_daily_csv(args.data))):
        for name, variant in HARMLESS.items():
            (args.out / f"{label}__{name}.csv").write_bytes(variant(raw))
        bad, lines = corrupt_rows(raw)
        (args.out / f"{label}__corrupt_rows_{'_'.join(map(str, lines))}.csv").write_bytes(bad)
    print(f"{len(list(args.out.glob('*.csv')))} files in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

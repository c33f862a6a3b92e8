"""Parsers for TEPCO「でんき予報」files: daily CSVs (in monthly zips) and yearly juyo CSVs.

TEPCO writes CP932 text. A daily CSV has a `YYYY/M/D H:MM UPDATE` first line and blocks separated
by blank lines (peak summaries for the day and the next day, the hourly block, the five-minute
block); a yearly file has the same title line, a blank line, `DATE,TIME,実績(万kW)` and one row per
hour.

Tolerant in what is read (`ingest.tolerant`): UTF-8 or CP932, a byte-order mark, any line endings,
trailing separators, zero-padded dates and times, header spellings that mean the same column,
quoted numbers with thousands separators, blank cells for hours not yet measured, blocks TEPCO
may add or drop. Each variation is counted in the caller's `FormatNotes`.

Strict in what is kept: a row that cannot be read becomes a `RowIssue` (line number, reason, text)
and every other row still loads; `TepcoParseError` is raised only when nothing of a file can be
trusted (not text, no data block, a file dated differently from its name).

Time convention (documented in the dbt docs too): TEPCO labels an hourly row by the hour's *start*
in JST (`13:00` = 13:00–14:00), five-minute rows likewise.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import PurePosixPath

from core.time import JST
from ingest.tolerant import (
    FormatNotes,
    RowIssue,
    Unreadable,
    cells,
    decode,
    is_blank,
    normalise_header,
    number,
    numbered_lines,
    padded,
)

#: Refuse zip members bigger than this (real daily CSVs are ~15 KB).
MAX_MEMBER_BYTES = 2_000_000
#: Refuse a zip with more daily CSVs than this (a month has at most 31), or more entries of any
#: kind (folders, a macOS re-zip's `__MACOSX/` shadows, a readme) than MAX_ENTRIES.
MAX_MEMBERS = 64
MAX_ENTRIES = 1000
DAILY_MEMBER_RE = re.compile(r"^(\d{8})_power_usage\.csv$")

HOURLY_HEADER = ["DATE", "TIME", "当日実績(万kW)", "予測値(万kW)", "使用率(%)", "供給力(万kW)"]
FIVE_MIN_HEADER = [
    "DATE",
    "TIME",
    "当日実績(５分間隔値)(万kW)",
    "太陽光発電実績(５分間隔値)(万kW)",
    "太陽光発電量(電力使用量に対する割合)(%)",
]
JUYO_HEADER = ["DATE", "TIME", "実績(万kW)"]
#: Spellings of the yearly file's value column seen in copies (compared after `normalise_header`);
#: all of them mean hourly demand in 万kW.
JUYO_VALUE_HEADERS = {"実績(万KW)", "KW", "万KW", "実績", "需要実績(万KW)", "当日実績(万KW)"}

# first header cell → block key
SUMMARY_BLOCKS: dict[str, str] = {
    "ピーク時供給力(万kW)": "peak_supply",
    "予想最大電力(万kW)": "forecast_peak",
    "使用率ピーク時供給力(万kW)": "usage_peak_supply",
    "使用率ピーク時予想電力(万kW)": "usage_peak_demand",
    "最大使用率(%)": "max_usage",
}
_SUMMARY_BY_NORMAL = {normalise_header(k): v for k, v in SUMMARY_BLOCKS.items()}
NEXT_DAY_PREFIX = "翌日の"


class TepcoParseError(Unreadable):
    """A file that cannot be trusted at all; `reason` says why in words a user can act on."""


@dataclass
class DailyReport:
    """Everything one daily CSV holds, as plain columns (万kW, %, JST), plus the rows set aside."""

    report_date: date
    file_updated_at: datetime | None
    hourly: list[dict] = field(default_factory=list)
    five_minute: list[dict] = field(default_factory=list)
    summary: list[dict] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)


def _parse_date(cell: str, notes: FormatNotes) -> date:
    parts = re.split(r"[/-]", cell)
    try:
        y, m, d = (int(p) for p in parts)
        value = date(y, m, d)
    except ValueError:
        raise Unreadable(f"bad date {cell!r}") from None
    padded(cell, notes, "date")
    if "-" in cell:
        notes.note("ISO dates (YYYY-MM-DD)")
    return value


def _parse_hm(cell: str, notes: FormatNotes | None = None) -> tuple[int, int]:
    parts = cell.split(":")
    try:
        if len(parts) == 3 and int(parts[2]) == 0:
            if notes is not None:
                notes.note("times with seconds")
            parts = parts[:2]
        h, m = (int(p) for p in parts)
    except ValueError:
        raise Unreadable(f"bad time {cell!r}") from None
    if not (0 <= h <= 24 and 0 <= m < 60):
        raise Unreadable(f"bad time {cell!r}")
    if notes is not None:
        padded(cell, notes, "time")
    return h, m


def parse_update_line(line: str, notes: FormatNotes | None = None) -> datetime:
    """`2022/7/15 23:55 UPDATE` (trailing separators tolerated) → aware JST datetime."""
    stripped = line.strip()
    if stripped.endswith(","):
        if notes is not None:
            notes.note("trailing separators")
        stripped = stripped.rstrip(", \t")
    m = re.match(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2}) +(\d{1,2}):(\d{2})(?::\d{2})? +UPDATE$", stripped)
    if not m:
        raise TepcoParseError(f"first line is not 'YYYY/M/D H:MM UPDATE': {line[:40]!r}")
    y, mo, d, h, mi = (int(g) for g in m.groups())
    return datetime(y, mo, d, h, mi, tzinfo=JST)


def _title(lines: list[tuple[int, str]], notes: FormatNotes) -> datetime | None:
    """The file's update stamp, or None (noted) when the title line is missing or unreadable:
    it is provenance, not data, so its absence costs no row."""
    if not lines:
        return None
    try:
        return parse_update_line(lines[0][1], notes)
    except TepcoParseError:
        notes.note("title line without 'UPDATE' stamp")
        return None


def _read_text(raw: bytes, notes: FormatNotes) -> tuple[list[tuple[int, str]], datetime | None]:
    """Numbered lines of a TEPCO file (UTF-8 or CP932) and the stamp of its title line."""
    try:
        text = decode(raw, notes)
    except Unreadable as exc:
        raise TepcoParseError(exc.reason) from None
    lines = numbered_lines(text, notes)
    return lines, _title(lines, notes)


def _stamp(md: str, hm: str, near: date) -> datetime | None:
    """`7/16`,`0:50` (no year) → JST datetime, the year taken from the report date."""
    if not md or not hm:
        return None
    try:
        mo, d = (int(p) for p in md.split("/"))
    except ValueError:
        raise Unreadable(f"bad update stamp {md!r} {hm!r}") from None
    h, mi = _parse_hm(hm)
    candidates = []
    for k in (-1, 0, 1):  # no year in the stamp: the one nearest the report date (12/31 → 1/1)
        try:
            candidates.append(date(near.year + k, mo, d))
        except ValueError:  # 2/29 outside a leap year
            continue
    if not candidates:
        raise Unreadable(f"bad update stamp {md!r} {hm!r}")
    day = min(candidates, key=lambda c: abs((c - near).days))
    return datetime(day.year, day.month, day.day, tzinfo=JST) + timedelta(hours=h, minutes=mi)


def _band(cell: str) -> int | None:
    """`11:00～12:00` → 11 (the band's start hour)."""
    if cell == "":
        return None
    m = re.match(r"^(\d{1,2}):(\d{2})\s*[～~〜-]\s*(\d{1,2}):(\d{2})$", cell)
    if not m:
        raise Unreadable(f"bad time band {cell!r}")
    return int(m.group(1))


Block = list[tuple[int, str]]


def _split_blocks(lines: list[tuple[int, str]], titled: bool) -> list[Block]:
    """Blocks of numbered lines (after the title line, when there is one), split at blank (or
    separator-only) lines."""
    blocks: list[Block] = []
    current: Block = []
    for n, line in lines[1:] if titled else lines:
        if is_blank(line):
            if current:
                blocks.append(current)
                current = []
        else:
            current.append((n, line))
    if current:
        blocks.append(current)
    return blocks


def _data_block_kind(header: list[str], notes: FormatNotes) -> str | None:
    """`hourly`, `five_minute`, or None for a block that is not a DATE,TIME data block."""
    norm = [normalise_header(c) for c in header]
    if norm[:2] != ["DATE", "TIME"]:
        return None
    for kind, canonical in (("hourly", HOURLY_HEADER), ("five_minute", FIVE_MIN_HEADER)):
        if norm == [normalise_header(c) for c in canonical]:
            if header != canonical:
                notes.note("header spelling")
            return kind
    value = norm[2] if len(norm) > 2 else ""
    if "実績" in value or "KW" in value:  # a respelled header: classify by what the value column says
        notes.note("header spelling")
        return "five_minute" if "5分" in value else "hourly"
    return "unknown"


def parse_daily_csv(
    raw: bytes, name: str = "?", notes: FormatNotes | None = None, keep_unmeasured: bool = False
) -> DailyReport:
    """Parse one `YYYYMMDD_power_usage.csv` (or the live `juyo-d1-j.csv`, with `keep_unmeasured`: its
    hours not yet measured carry TEPCO's forecast): every readable row, and the unreadable ones as issues."""
    notes = notes if notes is not None else FormatNotes()
    lines, updated = _read_text(raw, notes)
    m = DAILY_MEMBER_RE.match(PurePosixPath(name).name)
    name_date = date(int(m.group(1)[:4]), int(m.group(1)[4:6]), int(m.group(1)[6:])) if m else None

    data_blocks: dict[str, Block] = {}
    summary: dict[tuple[str, str], tuple[int, list[str]]] = {}
    titled = updated is not None or bool(lines) and "UPDATE" in lines[0][1].upper()
    for block in _split_blocks(lines, titled):
        header = cells(block[0][1], notes)
        if not header:
            continue
        kind = _data_block_kind(header, notes)
        if kind in ("hourly", "five_minute"):
            if kind in data_blocks:
                raise TepcoParseError(f"two {kind} blocks (line {block[0][0]})")
            data_blocks[kind] = block[1:]
            continue
        if kind == "unknown":
            notes.note("unknown data blocks ignored")
            continue
        horizon, key = "today", normalise_header(header[0])
        if key.startswith(NEXT_DAY_PREFIX):
            horizon, key = "next_day", key[len(NEXT_DAY_PREFIX) :]
        if key not in _SUMMARY_BY_NORMAL:
            notes.note("unknown blocks ignored")
            continue
        if len(block) >= 2:
            summary[(horizon, _SUMMARY_BY_NORMAL[key])] = (block[1][0], cells(block[1][1], notes, 8))

    if "hourly" not in data_blocks and "five_minute" not in data_blocks:
        raise TepcoParseError(
            "no hourly block (DATE,TIME,当日実績(万kW),…) and no five-minute block: not a TEPCO daily file"
        )
    report_date = name_date or _block_date(data_blocks, notes)
    rep = DailyReport(report_date=report_date, file_updated_at=updated)
    if "hourly" in data_blocks:
        _hourly_rows(data_blocks["hourly"], rep, notes, keep_unmeasured)
    else:
        rep.issues.append(RowIssue(0, "hourly block is missing"))
    if "five_minute" in data_blocks:
        _five_minute_rows(data_blocks["five_minute"], rep, notes)
    else:
        notes.note("five-minute block missing")
    if name_date and not rep.hourly and not rep.five_minute and rep.issues:
        dated = {i.reason for i in rep.issues if "is dated" in i.reason}
        if dated:
            raise TepcoParseError(f"every row {sorted(dated)[0]}, file name says {name_date}")
    expected = {(h, k) for h in ("today", "next_day") for k in SUMMARY_BLOCKS.values()} - {("next_day", "max_usage")}
    if expected - set(summary):
        notes.note("peak summary blocks missing", len(expected - set(summary)))
    for horizon, offset in (("today", 0), ("next_day", 1)):
        if not any(h == horizon for h, _ in summary):
            continue
        try:
            rep.summary.append(_summary_row(summary, horizon, report_date, report_date + timedelta(days=offset), notes))
        except Unreadable as exc:
            line = min(n for (h, _), (n, _) in summary.items() if h == horizon)
            rep.issues.append(RowIssue(line, f"{horizon} peak summary: {exc.reason}"))
    return rep


def _block_date(blocks: dict[str, Block], notes: FormatNotes) -> date:
    """The report date when the file name does not say it: the date most rows carry."""
    seen: dict[date, int] = {}
    for block in blocks.values():
        for _, line in block:
            try:
                d = _parse_date(cells(line, notes)[0], FormatNotes())
            except (Unreadable, IndexError):
                continue
            seen[d] = seen.get(d, 0) + 1
    if not seen:
        raise TepcoParseError("no row carries a readable date")
    return max(seen, key=lambda d: seen[d])


def _row_time(row: list[str], report_date: date, notes: FormatNotes) -> tuple[int, int]:
    day = _parse_date(row[0], notes)
    h, mi = _parse_hm(row[1], notes)
    if day != report_date:
        raise Unreadable(f"row is dated {day}, the file is for {report_date}")
    return h, mi


@dataclass(frozen=True)
class _DataBlock:
    """How one DATE,TIME block reads: its cells, its time step, its value columns, where rows go."""

    label: str  # "hourly block" / "five-minute block"
    width: int
    step_minutes: int
    key: str  # the time column stored: hour_jst or minute_of_day
    columns: tuple[str, ...]  # value columns, in file order; the first is demand
    rows: str  # DailyReport attribute the rows go to


HOURLY = _DataBlock(
    "hourly block", 6, 60, "hour_jst", ("demand_man_kw", "forecast_man_kw", "usage_pct", "supply_man_kw"), "hourly"
)
FIVE_MINUTE = _DataBlock(
    "five-minute block", 5, 5, "minute_of_day", ("demand_man_kw", "solar_man_kw", "solar_share_pct"), "five_minute"
)


def _block_rows(
    block: Block, spec: _DataBlock, rep: DailyReport, notes: FormatNotes, keep_unmeasured: bool = False
) -> set[int]:
    """Read one data block into `rep`; unreadable rows become issues. Returns the times seen (in
    `spec.key` units). A row whose demand is blank is an interval not yet measured: skipped and
    noted, or kept with a null demand (`keep_unmeasured`: the live file, whose forecast is the point)."""
    seen: set[int] = set()
    out: list[dict] = getattr(rep, spec.rows)
    blank = 0
    for n, line in block:
        row = cells(line, notes, spec.width)
        try:
            h, mi = _row_time(row, rep.report_date, notes)
            minute = h * 60 + mi
            if minute % spec.step_minutes or minute >= 1440:
                raise Unreadable(
                    f"time {row[1]!r} is not {'an hour' if spec.step_minutes == 60 else 'a five-minute mark'}"
                )
            t = minute // 60 if spec.step_minutes == 60 else minute
            if t in seen:
                raise Unreadable(f"second row for {row[1]}")
            values = [number(c, notes) for c in row[2 : 2 + len(spec.columns)]]
        except Unreadable as exc:
            rep.issues.append(RowIssue(n, f"{spec.label}: {exc.reason}", line))
            continue
        seen.add(t)
        if values[0] is None and not keep_unmeasured:  # not yet measured (a day published in part)
            blank += 1
            continue
        out.append({spec.key: t, **dict(zip(spec.columns, values))})
    notes.note(f"{'hours' if spec.step_minutes == 60 else 'five-minute intervals'} not yet measured (blank)", blank)
    out.sort(key=lambda r: r[spec.key])
    return seen


def _hourly_rows(block: Block, rep: DailyReport, notes: FormatNotes, keep_unmeasured: bool = False) -> None:
    seen = _block_rows(block, HOURLY, rep, notes, keep_unmeasured)
    missing = sorted(set(range(24)) - seen)
    if len(block) < 24 and missing:  # rows absent, not unreadable (those are issues of their own)
        rep.issues.append(RowIssue(0, f"hourly block is short: {len(block)} of 24 rows, none for {_ranges(missing)}"))


def _five_minute_rows(block: Block, rep: DailyReport, notes: FormatNotes) -> None:
    _block_rows(block, FIVE_MINUTE, rep, notes)


def _ranges(hours: list[int]) -> str:
    """[19, 20, 21, 23] → '19:00–21:00, 23:00'."""
    parts: list[str] = []
    start = prev = hours[0]
    for h in hours[1:] + [None]:  # type: ignore[list-item]
        if h is not None and h == prev + 1:
            prev = h
            continue
        parts.append(f"{start}:00" if start == prev else f"{start}:00–{prev}:00")
        if h is not None:
            start = prev = h
    return ", ".join(parts)


def _summary_row(
    blocks: dict[tuple[str, str], tuple[int, list[str]]], horizon: str, report: date, target: date, notes: FormatNotes
) -> dict:
    def blk(key: str) -> list[str]:
        return blocks[(horizon, key)][1] if (horizon, key) in blocks else [""] * 8

    ps, fp, us, ud, mx = (blk(k) for k in SUMMARY_BLOCKS.values())

    def num(cell: str) -> float | None:
        return number(cell, notes)

    return {
        "horizon": horizon,
        "target_date": target,
        "peak_supply_man_kw": num(ps[0]),
        "peak_band_start_hour": _band(ps[1]),
        "peak_band": ps[1] or None,
        "peak_supply_updated_at": _stamp(ps[2], ps[3], report),
        "peak_reserve_pct": num(ps[4]),
        "peak_usage_pct": num(ps[5]),
        "forecast_peak_man_kw": num(fp[0]),
        "forecast_peak_band_start_hour": _band(fp[1]),
        "forecast_peak_band": fp[1] or None,
        "forecast_peak_updated_at": _stamp(fp[2], fp[3], report),
        "usage_peak_supply_man_kw": num(us[0]),
        "usage_peak_band_start_hour": _band(us[1]),
        "usage_peak_band": us[1] or None,
        "usage_peak_supply_updated_at": _stamp(us[2], us[3], report),
        "usage_peak_reserve_pct": num(us[4]),
        "usage_peak_usage_pct": num(us[5]),
        "usage_peak_demand_man_kw": num(ud[0]),
        "usage_peak_demand_updated_at": _stamp(ud[2], ud[3], report),
        "max_usage_pct": num(mx[0]) if horizon == "today" else None,
        "max_usage_band_start_hour": _band(mx[1]) if horizon == "today" else None,
    }


@dataclass
class ZipMember:
    name: str
    data: bytes


def read_monthly_zip(raw: bytes, zip_name: str, notes: FormatNotes | None = None) -> list[ZipMember]:
    """The daily CSVs of a monthly zip, opened safely.

    Refused (the whole zip): not a zip, path traversal, absurd sizes or member counts. Tolerated and
    noted: a folder around the CSVs, and members that are not daily CSVs (a readme), which are
    skipped.
    """
    notes = notes if notes is not None else FormatNotes()
    try:
        zf = zipfile.ZipFile(BytesIO(raw))
        infos = zf.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise TepcoParseError(f"truncated or corrupt zip: {exc}") from exc
    if len(infos) > MAX_ENTRIES:
        raise TepcoParseError(f"zip has {len(infos)} entries, at most {MAX_ENTRIES} expected")
    members: list[ZipMember] = []
    for info in infos:
        name = info.filename
        p = PurePosixPath(name.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts:
            raise TepcoParseError(f"zip member {name!r} has a path (traversal refused)")
        if info.file_size > MAX_MEMBER_BYTES:
            raise TepcoParseError(f"zip member {name!r} would unpack to {info.file_size} bytes (refused)")
        if info.is_dir():
            continue
        if not DAILY_MEMBER_RE.match(p.name) or "__MACOSX" in p.parts:
            notes.note("zip members that are not daily CSVs skipped")
            continue
        if len(p.parts) > 1:
            notes.note("zip members inside a folder")
        try:
            with zf.open(info) as fh:
                data = fh.read(MAX_MEMBER_BYTES + 1)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise TepcoParseError(f"truncated or corrupt zip member {name!r}: {exc}") from exc
        if len(data) > MAX_MEMBER_BYTES:
            raise TepcoParseError(f"zip member {name!r} is larger than declared (refused)")
        members.append(ZipMember(name=p.name, data=data))
        if len(members) > MAX_MEMBERS:
            raise TepcoParseError(f"zip has more than {MAX_MEMBERS} daily files")
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise TepcoParseError("zip holds two members with the same daily file name")
    return sorted(members, key=lambda m: m.name)


@dataclass
class JuyoFile:
    updated_at: datetime | None
    rows: list[dict]
    issues: list[RowIssue] = field(default_factory=list)


def parse_juyo_csv(raw: bytes, name: str = "?", notes: FormatNotes | None = None) -> JuyoFile:
    """Parse a yearly `juyo-YYYY.csv` (hourly actuals only, 万kW): every readable row, the rest as issues."""
    notes = notes if notes is not None else FormatNotes()
    lines, updated = _read_text(raw, notes)
    header_at = None
    for i, (_, line) in enumerate(lines):
        head = [normalise_header(c) for c in cells(line, notes)]
        if head[:2] == ["DATE", "TIME"]:
            if len(head) < 3 or head[2] not in JUYO_VALUE_HEADERS:
                raise TepcoParseError(
                    f"header {line.strip()[:60]!r}: the value column is not one of "
                    f"{','.join(JUYO_HEADER)}'s known spellings"
                )
            if cells(line, FormatNotes())[:3] != JUYO_HEADER:
                notes.note("header spelling")
            header_at = i
            break
    if header_at is None:
        raise TepcoParseError(f"header {','.join(JUYO_HEADER)} not found: not a TEPCO yearly file")
    rows: list[dict] = []
    issues: list[RowIssue] = []
    seen: set[tuple[date, int]] = set()
    for n, line in lines[header_at + 1 :]:
        if is_blank(line):
            continue
        row = cells(line, notes, 3)
        try:
            day = _parse_date(row[0], notes)
            h, mi = _parse_hm(row[1], notes)
            if mi != 0 or h > 23:
                raise Unreadable(f"time {row[1]!r} is not an hour")
            if (day, h) in seen:
                raise Unreadable(f"second row for {day} {h}:00")
            value = number(row[2], notes)
            if len([c for c in row[3:] if c]):
                raise Unreadable(f"{len(row)} cells where 3 are expected")
        except Unreadable as exc:
            issues.append(RowIssue(n, exc.reason, line))
            continue
        seen.add((day, h))
        if value is None:
            notes.note("hours not yet measured (blank)")
            continue
        rows.append({"date_jst": day, "hour_jst": h, "demand_man_kw": value})
    if not rows and issues:
        raise TepcoParseError(f"no readable row ({len(issues)} unreadable; line {issues[0].line}: {issues[0].reason})")
    return JuyoFile(updated_at=updated, rows=rows, issues=issues)

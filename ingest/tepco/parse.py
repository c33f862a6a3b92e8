"""Parsers for TEPCO「でんき予報」files: daily CSVs (in monthly zips) and yearly juyo CSVs.

Both formats are CP932 text.  A daily CSV has a `YYYY/M/D H:MM UPDATE` first line
and eleven blocks separated by blank lines (peak summaries for the day and the
next day, the hourly block, the five-minute block).  Every check here raises
`TepcoParseError` with a human reason, so the caller can quarantine exactly that
file and go on with the rest of the batch.

Time convention (documented in the dbt docs too): TEPCO labels an hourly row by
the hour's *start* in JST (`13:00` = 13:00–14:00), five-minute rows likewise.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from io import BytesIO
from pathlib import PurePosixPath

JST = timezone(timedelta(hours=9))

#: Refuse zip members bigger than this (real daily CSVs are ~15 KB).
MAX_MEMBER_BYTES = 2_000_000
MAX_MEMBERS = 40
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

# first header cell → (block key, number of header cells we read)
SUMMARY_BLOCKS: dict[str, str] = {
    "ピーク時供給力(万kW)": "peak_supply",
    "予想最大電力(万kW)": "forecast_peak",
    "使用率ピーク時供給力(万kW)": "usage_peak_supply",
    "使用率ピーク時予想電力(万kW)": "usage_peak_demand",
    "最大使用率(%)": "max_usage",
}
NEXT_DAY_PREFIX = "翌日の"


class TepcoParseError(ValueError):
    """A file that cannot be trusted; `reason` says why in words a user can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class DailyReport:
    """Everything one daily CSV holds, as plain columns (万kW, %, JST)."""

    report_date: date
    file_updated_at: datetime
    hourly: list[dict] = field(default_factory=list)
    five_minute: list[dict] = field(default_factory=list)
    summary: list[dict] = field(default_factory=list)


def decode_cp932(raw: bytes, expected_marker: str) -> str:
    """Decode CP932 strictly; tell a UTF-8 (or otherwise mis-encoded) file apart clearly."""
    try:
        text = raw.decode("cp932")
    except UnicodeDecodeError as exc:
        if _is_utf8_with(raw, expected_marker):
            raise TepcoParseError("wrong encoding: file is UTF-8, TEPCO publishes CP932") from exc
        raise TepcoParseError(f"wrong encoding: not valid CP932 ({exc.reason} at byte {exc.start})") from exc
    if expected_marker not in text:
        if _is_utf8_with(raw, expected_marker):
            raise TepcoParseError("wrong encoding: file is UTF-8, TEPCO publishes CP932")
        raise TepcoParseError(f"not a TEPCO file: header {expected_marker!r} not found")
    return text.lstrip("\ufeff")


def _is_utf8_with(raw: bytes, marker: str) -> bool:
    try:
        return marker in raw.decode("utf-8")
    except UnicodeDecodeError:
        return False


def _cells(line: str) -> list[str]:
    cells = [c.strip() for c in line.split(",")]
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def _num(cell: str, what: str) -> float | None:
    """A numeric cell; empty → None (TEPCO leaves not-yet-known cells blank)."""
    if cell == "":
        return None
    try:
        return float(cell)
    except ValueError:
        raise TepcoParseError(f"non-numeric cell {cell!r} in {what}") from None


def _parse_date(cell: str, what: str) -> date:
    try:
        y, m, d = (int(p) for p in cell.split("/"))
        return date(y, m, d)
    except ValueError:
        raise TepcoParseError(f"bad date {cell!r} in {what}") from None


def _parse_hm(cell: str, what: str) -> tuple[int, int]:
    try:
        h, m = (int(p) for p in cell.split(":"))
    except ValueError:
        raise TepcoParseError(f"bad time {cell!r} in {what}") from None
    if not (0 <= h <= 24 and 0 <= m < 60):
        raise TepcoParseError(f"bad time {cell!r} in {what}")
    return h, m


def parse_update_line(line: str) -> datetime:
    """`2022/7/15 23:55 UPDATE` → aware JST datetime."""
    m = re.match(r"^\s*(\d{4})/(\d{1,2})/(\d{1,2}) (\d{1,2}):(\d{2}) UPDATE\s*$", line)
    if not m:
        raise TepcoParseError(f"first line is not 'YYYY/M/D H:MM UPDATE': {line[:40]!r}")
    y, mo, d, h, mi = (int(g) for g in m.groups())
    return datetime(y, mo, d, h, mi, tzinfo=JST)


def _stamp(md: str, hm: str, near: date, what: str) -> datetime | None:
    """`7/16`,`0:50` (no year) → JST datetime, the year taken from the report date."""
    if not md or not hm:
        return None
    try:
        mo, d = (int(p) for p in md.split("/"))
    except ValueError:
        raise TepcoParseError(f"bad update stamp {md!r} {hm!r} in {what}") from None
    h, mi = _parse_hm(hm, what)
    candidates = []
    for k in (-1, 0, 1):  # no year in the stamp: the one nearest the report date (12/31 → 1/1)
        try:
            candidates.append(date(near.year + k, mo, d))
        except ValueError:  # 2/29 outside a leap year
            continue
    if not candidates:
        raise TepcoParseError(f"bad update stamp {md!r} {hm!r} in {what}")
    day = min(candidates, key=lambda c: abs((c - near).days))
    return datetime(day.year, day.month, day.day, tzinfo=JST) + timedelta(hours=h, minutes=mi)


def _band(cell: str, what: str) -> int | None:
    """`11:00～12:00` → 11 (the band's start hour)."""
    if cell == "":
        return None
    m = re.match(r"^(\d{1,2}):(\d{2})[～~〜-](\d{1,2}):(\d{2})$", cell)
    if not m:
        raise TepcoParseError(f"bad time band {cell!r} in {what}")
    return int(m.group(1))


def _split_blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[1:]:
        if line.strip() == "":
            if current:
                blocks.append(current)
                current = []
        else:
            current.append(line)
    if current:
        blocks.append(current)
    return blocks


def parse_daily_csv(raw: bytes, name: str = "?") -> DailyReport:
    """Parse one `YYYYMMDD_power_usage.csv`; every block must be present and complete."""
    text = decode_cp932(raw, "DATE,TIME")
    first = text.split("\n", 1)[0].strip("\r")
    updated = parse_update_line(first)
    m = DAILY_MEMBER_RE.match(PurePosixPath(name).name)
    name_date = date(int(m.group(1)[:4]), int(m.group(1)[4:6]), int(m.group(1)[6:])) if m else None

    hourly_rows: list[list[str]] | None = None
    five_rows: list[list[str]] | None = None
    summary: dict[tuple[str, str], list[str]] = {}
    for block in _split_blocks(text):
        header = _cells(block[0])
        if not header:
            continue
        if header[0] == "DATE":
            if header == HOURLY_HEADER:
                hourly_rows = [_cells(line) for line in block[1:]]
            elif header == FIVE_MIN_HEADER:
                five_rows = [_cells(line) for line in block[1:]]
            else:
                raise TepcoParseError(f"unknown data block header {block[0][:60]!r}")
            continue
        horizon = "today"
        key = header[0]
        if key.startswith(NEXT_DAY_PREFIX):
            horizon, key = "next_day", key[len(NEXT_DAY_PREFIX) :]
        if key not in SUMMARY_BLOCKS:
            raise TepcoParseError(f"unknown block header {block[0][:60]!r}")
        if len(block) < 2:
            raise TepcoParseError(f"block {header[0]!r} has no value row")
        summary[(horizon, SUMMARY_BLOCKS[key])] = _cells(block[1]) + [""] * 6

    if hourly_rows is None:
        raise TepcoParseError("hourly block (DATE,TIME,当日実績(万kW),…) is missing")
    if five_rows is None:
        raise TepcoParseError("five-minute block (DATE,TIME,当日実績(５分間隔値)…) is missing")
    if len(hourly_rows) != 24:
        raise TepcoParseError(f"hourly block is short: {len(hourly_rows)} of 24 rows")
    if len(five_rows) != 288:
        raise TepcoParseError(f"five-minute block is short: {len(five_rows)} of 288 rows")
    expected = {(h, k) for h in ("today", "next_day") for k in SUMMARY_BLOCKS.values()} - {("next_day", "max_usage")}
    missing = expected - set(summary)
    if missing:
        raise TepcoParseError(f"peak summary block(s) missing: {sorted(missing)}")

    report_date = _parse_date(hourly_rows[0][0], "hourly block")
    if name_date and report_date != name_date:
        raise TepcoParseError(f"hourly block is dated {report_date}, file name says {name_date}")
    rep = DailyReport(report_date=report_date, file_updated_at=updated)

    for i, cells in enumerate(hourly_rows):
        what = f"hourly block row {i + 1}"
        if len(cells) < 6:
            raise TepcoParseError(f"{what} has {len(cells)} of 6 cells")
        if _parse_date(cells[0], what) != report_date or _parse_hm(cells[1], what) != (i, 0):
            raise TepcoParseError(f"{what} is {cells[0]} {cells[1]}, expected {report_date} {i}:00")
        rep.hourly.append(
            {
                "hour_jst": i,
                "demand_man_kw": _num(cells[2], what),
                "forecast_man_kw": _num(cells[3], what),
                "usage_pct": _num(cells[4], what),
                "supply_man_kw": _num(cells[5], what),
            }
        )
    for i, cells in enumerate(five_rows):
        what = f"five-minute block row {i + 1}"
        if len(cells) < 5:
            raise TepcoParseError(f"{what} has {len(cells)} of 5 cells")
        h, mi = _parse_hm(cells[1], what)
        if _parse_date(cells[0], what) != report_date or h * 60 + mi != i * 5:
            raise TepcoParseError(f"{what} is {cells[0]} {cells[1]}, out of sequence")
        rep.five_minute.append(
            {
                "minute_of_day": i * 5,
                "demand_man_kw": _num(cells[2], what),
                "solar_man_kw": _num(cells[3], what),
                "solar_share_pct": _num(cells[4], what),
            }
        )
    for horizon, offset in (("today", 0), ("next_day", 1)):
        rep.summary.append(_summary_row(summary, horizon, report_date, report_date + timedelta(days=offset)))
    return rep


def _summary_row(blocks: dict[tuple[str, str], list[str]], horizon: str, report: date, target: date) -> dict:
    def blk(key: str) -> list[str]:
        return blocks.get((horizon, key), [""] * 8)

    ps, fp, us, ud, mx = (blk(k) for k in SUMMARY_BLOCKS.values())
    w = f"{horizon} peak summary"
    return {
        "horizon": horizon,
        "target_date": target,
        "peak_supply_man_kw": _num(ps[0], w),
        "peak_band_start_hour": _band(ps[1], w),
        "peak_band": ps[1] or None,
        "peak_supply_updated_at": _stamp(ps[2], ps[3], report, w),
        "peak_reserve_pct": _num(ps[4], w),
        "peak_usage_pct": _num(ps[5], w),
        "forecast_peak_man_kw": _num(fp[0], w),
        "forecast_peak_band_start_hour": _band(fp[1], w),
        "forecast_peak_band": fp[1] or None,
        "forecast_peak_updated_at": _stamp(fp[2], fp[3], report, w),
        "usage_peak_supply_man_kw": _num(us[0], w),
        "usage_peak_band_start_hour": _band(us[1], w),
        "usage_peak_band": us[1] or None,
        "usage_peak_supply_updated_at": _stamp(us[2], us[3], report, w),
        "usage_peak_reserve_pct": _num(us[4], w),
        "usage_peak_usage_pct": _num(us[5], w),
        "usage_peak_demand_man_kw": _num(ud[0], w),
        "usage_peak_demand_updated_at": _stamp(ud[2], ud[3], report, w),
        "max_usage_pct": _num(mx[0], w) if horizon == "today" else None,
        "max_usage_band_start_hour": _band(mx[1], w) if horizon == "today" else None,
    }


@dataclass
class ZipMember:
    name: str
    data: bytes


def read_monthly_zip(raw: bytes, zip_name: str) -> list[ZipMember]:
    """Open a monthly zip safely: refuse path traversal, absurd sizes and strangers."""
    try:
        zf = zipfile.ZipFile(BytesIO(raw))
        infos = zf.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise TepcoParseError(f"truncated or corrupt zip: {exc}") from exc
    if len(infos) > MAX_MEMBERS:
        raise TepcoParseError(f"zip has {len(infos)} members, at most {MAX_MEMBERS} expected")
    members: list[ZipMember] = []
    for info in infos:
        name = info.filename
        p = PurePosixPath(name.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts or len(p.parts) != 1:
            raise TepcoParseError(f"zip member {name!r} has a path (traversal refused)")
        if info.file_size > MAX_MEMBER_BYTES:
            raise TepcoParseError(f"zip member {name!r} would unpack to {info.file_size} bytes (refused)")
        if info.is_dir():
            continue
        if not DAILY_MEMBER_RE.match(name):
            raise TepcoParseError(f"unexpected zip member {name!r}")
        try:
            with zf.open(info) as fh:
                data = fh.read(MAX_MEMBER_BYTES + 1)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise TepcoParseError(f"truncated or corrupt zip member {name!r}: {exc}") from exc
        if len(data) > MAX_MEMBER_BYTES:
            raise TepcoParseError(f"zip member {name!r} is larger than declared (refused)")
        members.append(ZipMember(name=name, data=data))
    return sorted(members, key=lambda m: m.name)


@dataclass
class JuyoFile:
    updated_at: datetime
    rows: list[dict]


def parse_juyo_csv(raw: bytes, name: str = "?") -> JuyoFile:
    """Parse a yearly `juyo-YYYY.csv` (hourly actuals only, 万kW)."""
    text = decode_cp932(raw, "DATE,TIME")
    lines = text.replace("\r\n", "\n").split("\n")
    updated = parse_update_line(lines[0])
    try:
        start = next(i for i, line in enumerate(lines) if _cells(line)[:3] == JUYO_HEADER) + 1
    except StopIteration:
        raise TepcoParseError(f"header {','.join(JUYO_HEADER)} not found") from None
    rows = []
    for n, line in enumerate(lines[start:], start=start + 1):
        cells = _cells(line)
        if not cells:
            continue
        what = f"line {n}"
        if len(cells) < 3:
            raise TepcoParseError(f"{what} has {len(cells)} of 3 cells")
        h, mi = _parse_hm(cells[1], what)
        if mi != 0 or h > 23:
            raise TepcoParseError(f"{what}: time {cells[1]!r} is not an hour")
        rows.append({"date_jst": _parse_date(cells[0], what), "hour_jst": h, "demand_man_kw": _num(cells[2], what)})
    if not rows:
        raise TepcoParseError("no data rows")
    return JuyoFile(updated_at=updated, rows=rows)

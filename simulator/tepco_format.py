"""The でんき予報 daily CSV layout, shared by the generator and the fault injectors.

Kept in one place so the synthetic files and the served (possibly damaged) files
can never drift apart from what TEPCO publishes.  The block headers below are
copied verbatim from the real ``YYYYMMDD_power_usage.csv`` members (CP932, CRLF).

Fault injection works on *bytes*: CP932 trail bytes are 0x40-0xFC, so splitting
on CR/LF is safe, and every byte we do not mean to change stays identical.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

ENCODING = "cp932"
CRLF = "\r\n"

#: The 11 block headers of a daily member, in file order.
BLOCK_HEADERS: tuple[str, ...] = (
    "ピーク時供給力(万kW),時間帯,供給力情報更新日,供給力情報更新時刻,ピーク時予備率(%),ピーク時使用率(%)",
    "予想最大電力(万kW),時間帯,予想最大電力情報更新日,予想最大電力情報更新時刻",
    "使用率ピーク時供給力(万kW),時間帯,供給力情報更新日,供給力情報更新時刻,使用率ピーク時予備率(%),使用率ピーク時使用率(%)",
    "使用率ピーク時予想電力(万kW),時間帯,予想電力情報更新日,予想電力情報更新時刻",
    "DATE,TIME,当日実績(万kW),予測値(万kW),使用率(%),供給力(万kW)",
    "最大使用率(%),時間帯",
    "翌日のピーク時供給力(万kW),時間帯,供給力情報更新日,供給力情報更新時刻,ピーク時予備率(%),ピーク時使用率(%)",
    "翌日の予想最大電力(万kW),時間帯,予想最大電力情報更新日,予想最大電力情報更新時刻",
    "翌日の使用率ピーク時供給力(万kW),時間帯,供給力情報更新日,供給力情報更新時刻,使用率ピーク時予備率(%),使用率ピーク時使用率(%)",
    "翌日の使用率ピーク時予想電力(万kW),時間帯,予想電力情報更新日,予想電力情報更新時刻",
    "DATE,TIME,当日実績(５分間隔値)(万kW),太陽光発電実績(５分間隔値)(万kW),太陽光発電量(電力使用量に対する割合)(%)",
)
HOURLY_BLOCK = 4
FIVE_MIN_BLOCK = 10
JUYO_HEADER = "DATE,TIME,実績(万kW)"

_MEMBER_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})_power_usage\.csv$")


def tepco_date(d: dt.date) -> str:
    """TEPCO writes dates without zero padding: ``2024/6/1``."""
    return f"{d.year}/{d.month}/{d.day}"


def tepco_md(d: dt.date) -> str:
    """Update stamps in the peak blocks are ``M/D``."""
    return f"{d.month}/{d.day}"


def tepco_time(hour: int, minute: int = 0) -> str:
    """Times are ``H:MM`` (no padding on the hour)."""
    return f"{hour}:{minute:02d}"


def tepco_band(hour: int) -> str:
    """Peak blocks name an hour as a band ``H:00～H+1:00`` (full-width tilde U+FF5E)."""
    return f"{hour}:00～{hour + 1}:00"


def parse_tepco_date(text: str) -> dt.date:
    """Parse ``YYYY/M/D``."""
    y, m, d = (int(x) for x in text.split("/"))
    return dt.date(y, m, d)


def member_name(d: dt.date) -> str:
    """Name of a day's member inside the monthly zip."""
    return f"{d:%Y%m%d}_power_usage.csv"


def member_date(name: str) -> dt.date | None:
    """Date of a member from its name, or None for names we do not recognise."""
    m = _MEMBER_RE.match(name.rsplit("/", 1)[-1])
    if not m:
        return None
    return dt.date(int(m[1]), int(m[2]), int(m[3]))


def render_member(update_line: str, blocks: list[list[str]]) -> bytes:
    """Join blocks like TEPCO: CRLF lines, a blank line after every block (also the last)."""
    lines: list[str] = [update_line]
    for block in blocks:
        lines.extend(block)
        lines.append("")
    return (CRLF.join(lines) + CRLF).encode(ENCODING)


def build_zip(members: list[tuple[str, bytes, dt.datetime]]) -> bytes:
    """Write a zip like TEPCO's (deflate, Unix 0644 members) with fixed timestamps.

    Every header field comes from the arguments, so the same members always give
    the same bytes: clients can compare or hash what they downloaded.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data, stamp in members:
            info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


# --- byte-level helpers for fault injection -------------------------------------------


def _newline(data: bytes) -> bytes:
    return b"\r\n" if b"\r\n" in data else b"\n"


def hourly_row_span(data: bytes) -> tuple[list[bytes], int, int, bytes]:
    """Split a member into lines and locate the hourly block's data rows.

    Returns ``(lines, first_row, end_row, newline)`` with ``lines[first_row:end_row]``
    the hourly rows.  The hourly block is the first one whose header starts with
    ``DATE,TIME,`` (the five-minute block is the second).
    """
    nl = _newline(data)
    lines = data.split(nl)
    for i, line in enumerate(lines):
        if line.startswith(b"DATE,TIME,"):
            end = i + 1
            while end < len(lines) and lines[end].strip():
                end += 1
            return lines, i + 1, end, nl
    raise ValueError("no hourly block (DATE,TIME header) in member")


def corrupt_cell(data: bytes) -> bytes:
    """Replace the 12:00 (else last) hourly actual-demand cell by ``abc``."""
    lines, start, end, nl = hourly_row_span(data)
    target = next((i for i in range(start, end) if lines[i].split(b",")[1:2] == [b"12:00"]), end - 1)
    cells = lines[target].split(b",")
    cells[2] = b"abc"
    lines[target] = b",".join(cells)
    return nl.join(lines)


def drop_last_rows(data: bytes, n: int = 5) -> bytes:
    """Remove the last ``n`` rows of the hourly block (a half-written file)."""
    lines, start, end, nl = hourly_row_span(data)
    cut = max(start, end - n)
    return nl.join(lines[:cut] + lines[end:])


def revise_noon(data: bytes, delta: int = 100) -> bytes:
    """Add ``delta`` to the 12:00 actual demand, like TEPCO's after-the-fact revisions."""
    lines, start, end, nl = hourly_row_span(data)
    for i in range(start, end):
        cells = lines[i].split(b",")
        if len(cells) > 2 and cells[1] == b"12:00":
            cells[2] = str(int(cells[2]) + delta).encode("ascii")
            lines[i] = b",".join(cells)
            return nl.join(lines)
    raise ValueError("no 12:00 row in hourly block")


def scale_noon(data: bytes, factor: int = 10) -> bytes:
    """Multiply the 12:00 actual demand by ``factor`` (a unit slip: an impossible hour)."""
    lines, start, end, nl = hourly_row_span(data)
    for i in range(start, end):
        cells = lines[i].split(b",")
        if len(cells) > 2 and cells[1] == b"12:00":
            cells[2] = str(int(cells[2]) * factor).encode("ascii")
            lines[i] = b",".join(cells)
            return nl.join(lines)
    raise ValueError("no 12:00 row in hourly block")


def copy_hourly_actuals(data: bytes, source: bytes) -> bytes:
    """``data`` with the 24 hourly actuals of ``source`` (a day re-published under another date)."""
    lines, start, end, nl = hourly_row_span(data)
    src_lines, s_start, s_end, _ = hourly_row_span(source)
    values = [ln.split(b",")[2] for ln in src_lines[s_start:s_end]]
    for i, value in zip(range(start, end), values):
        cells = lines[i].split(b",")
        cells[2] = value
        lines[i] = b",".join(cells)
    return nl.join(lines)


def to_utf8(data: bytes) -> bytes:
    """Re-encode a CP932 member as UTF-8 (a plausible upstream encoding slip)."""
    return data.decode(ENCODING).encode("utf-8")


def render_live(stamp: dt.datetime, day: dt.date, rows: list[dict]) -> bytes:
    """TEPCO's live same-day file `juyo-d1-j.csv`: the title stamp and the hourly block of `day`
    (the actual blank for hours not yet measured, the forecast blank where there is none).

    The simulated file has no five-minute or peak blocks: the archived chart it is built from has
    none, and the live file is parsed by its block headers, so it reads either way."""

    def cell(v: float | None) -> str:
        return "" if v is None else str(int(round(v)))

    body = [BLOCK_HEADERS[HOURLY_BLOCK]]
    for r in rows:
        body.append(
            ",".join(
                [
                    tepco_date(day),
                    tepco_time(r["hour_jst"]),
                    cell(r["demand_man_kw"]),
                    cell(r["forecast_man_kw"]),
                    cell(r["usage_pct"]),
                    cell(r["supply_man_kw"]),
                ]
            )
        )
    return render_member(f"{tepco_date(stamp.date())} {tepco_time(stamp.hour, stamp.minute)} UPDATE", [body])

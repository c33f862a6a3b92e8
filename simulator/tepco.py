"""TEPCO static files as they would have looked on the morning of ``as_of``.

The live same-day file `juyo-d1-j.csv` is served as it stood at the simulated moment (date and
time, JST): from the archive of TEPCO's live chart where it holds that day
(`tepco/intraday_forecast/*.tar.gz`, usable 2022-07-26 … 2023-03-31: the latest snapshot at or
before the moment, TEPCO's forecast included), otherwise built from the day's stored hourly
actuals with TEPCO's publication lag (`core.time.LIVE_PUBLICATION_LAG`) and no forecast.

The pipeline runs at 04:00 JST, so on ``as_of`` the days before it are complete and
``as_of`` itself is not published yet.  Months and years that were already closed
are served byte for byte; the current month's zip and the current year's juyo CSV
are cut, keeping every surviving byte identical to the stored file, so a test can
compare what the ingestion landed with the stored file.
"""

from __future__ import annotations

import datetime as dt
import functools
import zipfile
from dataclasses import dataclass
from pathlib import Path

from core.time import JST, LIVE_PUBLICATION_LAG, live_hours_known
from ingest.tepco.chart import ChartArchive, load_archive
from simulator import tepco_format as tf
from simulator.faults import FaultSet

SCOPE = "tepco"
_CONTENT_FAULTS = ("corrupt_csv", "short_block", "wrong_encoding", "revised_value", "spike_hour", "copied_day")


@dataclass(frozen=True)
class Member:
    """One daily CSV inside a monthly zip."""

    name: str
    date: dt.date
    data: bytes
    stamp: dt.datetime


@functools.lru_cache(maxsize=64)
def _read_members(path: Path, mtime_ns: int, size: int) -> tuple[Member, ...]:
    """Members of a stored zip (cached by path + mtime so edits are picked up)."""
    with zipfile.ZipFile(path) as zf:
        out = []
        for info in zf.infolist():
            day = tf.member_date(info.filename)
            if day is not None:
                out.append(Member(info.filename, day, zf.read(info), dt.datetime(*info.date_time)))
    return tuple(out)


def _members(path: Path) -> tuple[Member, ...]:
    st = path.stat()
    return _read_members(path, st.st_mtime_ns, st.st_size)


class TepcoFiles:
    """Answers for ``…/images/{YYYYMM}_power_usage.zip`` and ``…/images/juyo-{YYYY}.csv``."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "tepco"
        self._charts: ChartArchive | None = None

    def chart_archive(self) -> ChartArchive | None:
        """The archive of TEPCO's live chart, read on first use (about 7 s), or None when absent."""
        if self._charts is None:
            found = sorted((self.root / "intraday_forecast").glob("*.tar.gz"))
            if not found:
                return None
            self._charts = load_archive(found[0])
        return self._charts

    def live(self, moment: dt.datetime) -> bytes | None:
        """Bytes of `juyo-d1-j.csv` as it stood at `moment`, or None (404) when the day is unknown."""
        local = moment.astimezone(JST)
        day = local.date()
        archive = self.chart_archive()
        snap = archive.latest_at(moment) if archive is not None else None
        if snap is not None:
            rows = snap.rows()
            return tf.render_live(rows[0]["file_updated_at"], day, rows)
        member = self._member(day)
        if member is None:
            return None
        known = live_hours_known(moment)
        lines, first, end, nl = tf.hourly_row_span(member)
        rows = []
        for h, line in enumerate(lines[first:end][:24]):
            cells = line.decode(tf.ENCODING).split(",")
            actual = float(cells[2]) if h < known and cells[2].strip() else None
            supply = float(cells[5]) if len(cells) > 5 and cells[5].strip() else None
            usage = round(actual / supply * 100) if actual is not None and supply else None
            rows.append(
                {
                    "hour_jst": h,
                    "demand_man_kw": actual,
                    "forecast_man_kw": None,
                    "usage_pct": usage,
                    "supply_man_kw": supply,
                }
            )
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=JST)
        stamp = midnight + dt.timedelta(hours=known) + LIVE_PUBLICATION_LAG if known else midnight
        return tf.render_live(stamp, day, rows)

    def _member(self, day: dt.date) -> bytes | None:
        """The stored daily CSV of `day` (from its month's zip), or None."""
        path = self.root / "power_usage" / f"{day:%Y%m}_power_usage.zip"
        if not path.is_file():
            return None
        return next((m.data for m in _members(path) if m.date == day), None)

    def power_usage(self, yyyymm: str, as_of: dt.date, faults: FaultSet) -> bytes | None:
        """Bytes of the monthly zip, or None for 404 (not published / absent)."""
        try:
            month = dt.date(int(yyyymm[:4]), int(yyyymm[4:6]), 1)
        except ValueError:
            return None
        current = (month.year, month.month) == (as_of.year, as_of.month)
        if month > as_of or (current and faults.has("not_published", SCOPE)):
            return None
        path = self.root / "power_usage" / f"{yyyymm}_power_usage.zip"
        if not path.is_file():
            return None
        if current or any(faults.has(name, SCOPE) for name in _CONTENT_FAULTS):
            members = [m for m in _members(path) if not current or m.date < as_of]
            if not members:
                return None
            data = tf.build_zip([(m.name, m.data, m.stamp) for m in _damage(members, as_of, faults)])
        else:
            data = path.read_bytes()
        if faults.has("truncated_zip", SCOPE):
            data = data[: len(data) // 2]
        return data

    def juyo(self, year: int, as_of: dt.date, faults: FaultSet | None = None) -> bytes | None:
        """Bytes of the yearly juyo CSV, cut to rows dated before ``as_of`` in its year.

        With ``juyo_frozen:DATE`` the files stopped growing on DATE, as TEPCO's did on 2025-07-22:
        the file of DATE's year ends the day before DATE, its title says it was updated on DATE,
        and later years are not published.
        """
        path = self.root / "juyo" / f"juyo-{year}.csv"
        if year > as_of.year or not path.is_file():
            return None
        data = path.read_bytes()
        frozen = faults.get("juyo_frozen", SCOPE) if faults is not None else None
        if frozen is not None and frozen.date is not None and frozen.date <= as_of:
            if year > frozen.date.year:
                return None
            if year == frozen.date.year:
                return retitle(cut_juyo(data, frozen.date), frozen.date)
        return data if year < as_of.year else cut_juyo(data, as_of)


def cut_juyo(data: bytes, as_of: dt.date) -> bytes:
    """Keep the header lines and the data rows dated before ``as_of`` (original bytes)."""
    lines = data.splitlines(keepends=True)
    header_end = next((i + 1 for i, ln in enumerate(lines) if ln.startswith(b"DATE,")), min(3, len(lines)))
    kept = list(lines[:header_end])
    for line in lines[header_end:]:
        try:
            day = tf.parse_tepco_date(line.split(b",", 1)[0].decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            continue
        if day < as_of:
            kept.append(line)
    return b"".join(kept)


def retitle(data: bytes, day: dt.date) -> bytes:
    """Replace the `YYYY/M/D H:MM UPDATE` title line with one stamped 05:40 on ``day``."""
    first, sep, rest = data.partition(b"\n")
    eol = b"\r" if first.endswith(b"\r") else b""
    return f"{day.year}/{day.month}/{day.day} 5:40 UPDATE".encode("ascii") + eol + sep + rest


def _damage(members: list[Member], as_of: dt.date, faults: FaultSet) -> list[Member]:
    """Apply the member-level faults; the latest member is the one TEPCO is still writing."""
    out = list(members)
    revised = faults.get("revised_value", SCOPE)
    if revised is not None:
        target = revised.date or as_of - dt.timedelta(days=1)
        idx = next((i for i, m in enumerate(out) if m.date == target), None)
        if idx is None and revised.date is None:
            idx = 0
        if idx is not None:
            out[idx] = _replace(out[idx], tf.revise_noon(out[idx].data))
    last = max(range(len(out)), key=lambda i: out[i].date)
    data = out[last].data
    if faults.has("copied_day", SCOPE):
        week_before = next((m for m in out if m.date == out[last].date - dt.timedelta(days=7)), None)
        if week_before is not None:
            data = tf.copy_hourly_actuals(data, week_before.data)
    if faults.has("spike_hour", SCOPE):
        data = tf.scale_noon(data)
    if faults.has("short_block", SCOPE):
        data = tf.drop_last_rows(data, 5)
    if faults.has("corrupt_csv", SCOPE):
        data = tf.corrupt_cell(data)
    if faults.has("wrong_encoding", SCOPE):
        data = tf.to_utf8(data)
    out[last] = _replace(out[last], data)
    return out


def _replace(member: Member, data: bytes) -> Member:
    return Member(member.name, member.date, data, member.stamp)

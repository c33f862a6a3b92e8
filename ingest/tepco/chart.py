"""TEPCO's live chart (でんき予報's ECharts configuration), as archived in snapshots.

Before the project captured TEPCO's live same-day file itself, someone captured the chart that
TEPCO's page draws from the same numbers, every 15–30 minutes from 2022-07-13 to 2023-03-31
(`../shared/data/tepco/intraday_forecast/`, a tar.gz of `<UTC capture stamp>_<hash>/component-chart.json`).
Each snapshot holds, for the day it was captured, 24 hourly values of four series (万kW): demand
actual (filled for the hours already measured), demand forecast (filled for the others), supply
actual, supply forecast. The layouts changed over time (series names differ or are missing); the
first snapshots hold a single series of another unit and are unusable, so the first usable day is
2022-07-26.

This module turns a snapshot into the rows of one live-file vintage, so that the archive can be
backfilled into `raw.tepco_live_hourly` (`python -m ingest live-archive`) and the simulator can
serve `juyo-d1-j.csv` as it stood at a simulated moment of an archived day.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
import tarfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from core.time import JST

#: Series names seen in the snapshots, by what they hold.
DEMAND_ACTUAL_NAMES = {"需要実績"}
DEMAND_FORECAST_NAMES = {"需要予想", "予想需要"}
SUPPLY_ACTUAL_NAMES = {"供給実績", "供給力実績"}
SUPPLY_FORECAST_NAMES = {"供給予想", "予想供給力"}
_MEMBER_RE = re.compile(r"(\d{8}T\d{6}Z)_[0-9a-f]+/component-chart\.json$")


class ChartError(ValueError):
    """A snapshot that does not hold the four hourly series of one day."""


@dataclass(frozen=True)
class ChartDay:
    """One snapshot: the JST day it shows and its 24 hourly values per series (万kW, None = empty)."""

    captured_at: datetime  # UTC
    date_jst: date
    demand: tuple[float | None, ...]
    forecast: tuple[float | None, ...]
    supply: tuple[float | None, ...]  # the actual where measured, else the forecast

    @property
    def hours_measured(self) -> int:
        return sum(v is not None for v in self.demand)

    def rows(self) -> list[dict]:
        """The hourly rows of the live file this snapshot stands for (the capture time is its stamp)."""
        stamp = self.captured_at.astimezone(JST).replace(second=0, microsecond=0)
        return [
            {
                "date_jst": self.date_jst,
                "hour_jst": h,
                "demand_man_kw": self.demand[h],
                "forecast_man_kw": self.forecast[h],
                "usage_pct": _usage(self.demand[h] if self.demand[h] is not None else self.forecast[h], self.supply[h]),
                "supply_man_kw": self.supply[h],
                "file_updated_at": stamp,
            }
            for h in range(24)
        ]


def _usage(demand: float | None, supply: float | None) -> float | None:
    return round(demand / supply * 100, 0) if demand is not None and supply else None


def _values(series: dict) -> tuple[float | None, ...]:
    data = series.get("data")
    if not isinstance(data, list) or len(data) != 24:
        raise ChartError("a series without 24 hourly values")
    out = []
    for v in data:
        if v is None or isinstance(v, bool):
            out.append(None)
        elif isinstance(v, int | float):
            out.append(float(v))
        else:
            raise ChartError(f"a non-numeric value {v!r}")
    return tuple(out)


def parse_chart(doc: dict, captured_at: datetime) -> ChartDay:
    """A snapshot's JSON → its day. Named series are matched by name, unnamed ones by position
    (demand actual, demand forecast, supply actual, supply forecast)."""
    try:
        series = doc["config"]["base"]["series"]
    except (KeyError, TypeError):
        raise ChartError("no config.base.series") from None
    if not isinstance(series, list) or len(series) < 4:
        raise ChartError(f"{len(series) if isinstance(series, list) else 0} series, not 4")
    by_role: dict[str, tuple[float | None, ...]] = {}
    for i, s in enumerate(series[:4]):
        name = s.get("name")
        if name in DEMAND_ACTUAL_NAMES:
            role = "demand"
        elif name in DEMAND_FORECAST_NAMES:
            role = "forecast"
        elif name in SUPPLY_ACTUAL_NAMES:
            role = "supply_actual"
        elif name in SUPPLY_FORECAST_NAMES:
            role = "supply_forecast"
        elif name is None:
            role = ("demand", "forecast", "supply_actual", "supply_forecast")[i]
        else:
            raise ChartError(f"unknown series name {name!r}")
        by_role[role] = _values(s)
    if len(by_role) != 4:
        raise ChartError("the four series are not all there")
    local = captured_at.astimezone(JST)
    day = local.date()
    measured = sum(v is not None for v in by_role["demand"])
    elapsed_hours = local.hour + (1 if local.minute or local.second else 0)
    if measured > elapsed_hours:  # just after midnight the chart still shows the day before
        raise ChartError(f"{measured} hours measured at {local:%H:%M} JST: the chart of the day before")
    supply = tuple(a if a is not None else f for a, f in zip(by_role["supply_actual"], by_role["supply_forecast"]))
    return ChartDay(captured_at, day, by_role["demand"], by_role["forecast"], supply)


class ChartArchive:
    """The snapshot archive (a tar.gz or an unpacked folder), indexed by capture time."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._docs: dict[datetime, dict] = {}
        if self.path.is_dir():
            for file in sorted(self.path.rglob("component-chart.json")):
                self._add(str(file.relative_to(self.path)), file.read_bytes())
        else:
            with tarfile.open(self.path) as tar:
                for member in tar:
                    if member.isfile() and _MEMBER_RE.search(member.name):
                        fh = tar.extractfile(member)
                        if fh is not None:
                            self._add(member.name, fh.read())
        self.captures = sorted(self._docs)

    def _add(self, name: str, data: bytes) -> None:
        m = _MEMBER_RE.search(name)
        if not m:
            return
        captured = datetime.strptime(m[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        try:
            self._docs[captured] = json.loads(data)
        except ValueError:
            return

    def latest_at(self, moment: datetime) -> ChartDay | None:
        """The latest usable snapshot of `moment`'s JST day captured at or before `moment`."""
        day = moment.astimezone(JST).date()
        for i in range(bisect.bisect_right(self.captures, moment) - 1, -1, -1):
            captured = self.captures[i]
            if captured.astimezone(JST).date() != day:
                return None
            try:
                return parse_chart(self._docs[captured], captured)
            except ChartError:
                continue
        return None

    def days(self) -> list[date]:
        """The JST days some snapshot was captured on."""
        return sorted({c.astimezone(JST).date() for c in self.captures})

    def vintages_at(self, hour: int, minute: int = 0) -> list[ChartDay]:
        """For each archived day, the latest usable snapshot at or before HH:MM JST of that day."""
        out = []
        for day in self.days():
            moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=JST)
            snap = self.latest_at(moment)
            if snap is not None:
                out.append(snap)
        return out


def load_archive(path: Path) -> ChartArchive:
    """The archive at `path`, read once per process (about 7 s for the 15,811 snapshots), again if it changes."""
    st = Path(path).stat()
    return _load(Path(path).resolve(), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=4)
def _load(path: Path, mtime_ns: int, size: int) -> ChartArchive:
    return ChartArchive(path)

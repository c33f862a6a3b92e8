"""JMA hourly station temperature (気象庁 過去の気象データ), an optional history source.

Open-Meteo's archive reaches back decades in production, but a deployment that only has JMA
station files for early years (as the bundled data does: Open-Meteo from 2023, JMA Tokyo from
2016) can land them here. dbt then fills hours without Open-Meteo observations with the JMA
value mapped onto the area mean by a per-hour-of-day linear fit on the overlap, and flags those
hours (`temperature_source = 'jma_calibrated'`); it never mixes the two sources uncalibrated
(JMA Tokyo reads about 1.1 °C warmer than the area mean).

JMA's download service is an interactive form, so files are taken from a folder laid out as
`temperature-YYYY.csv` (`JMA_DIR`) or from a server with the same names (`JMA_BASE_URL`, which
the simulator provides). Neither set → this source is skipped.

Format: CP932; a download-time line, a blank line, three header lines (station; element;
quality/homogeneity), then `YYYY/M/D H:MM:SS,value,quality,homogeneity`. JMA stamps the hour at
its *end* of observation (`1:00:00` is the reading at 01:00; `2017/1/1 00:00:00` closes 2016);
temperature is an instantaneous reading, so we store that instant as `valid_at`, like Open-Meteo.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import dlt
import pandas as pd
from dlt.extract import DltResource

from core import settings as config
from core.load import columns
from core.settings import Settings
from core.time import JST_NAME
from ingest.http import Fetcher, Request
from ingest.quarantine import read_or_set_aside
from ingest.report import RunReport, progress
from ingest.tolerant import FormatNotes, RowIssue, Unreadable, decode, numbered_lines

SOURCE = "jma"
STATION = "tokyo"
ROW_RE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2}),([^,]*),([^,]*),([^,]*)\s*$")


class JmaParseError(ValueError):
    pass


def parse_jma_csv(raw: bytes, notes: FormatNotes | None = None, issues: list[RowIssue] | None = None) -> pd.DataFrame:
    """Rows of (valid_at UTC, temperature_c, quality_code, homogeneity_code); a row that cannot be
    read is appended to `issues` (line number, reason) and the others are kept."""
    notes = notes if notes is not None else FormatNotes()
    issues = issues if issues is not None else []
    try:
        text = decode(raw, notes)
    except Unreadable as exc:
        raise JmaParseError(exc.reason) from None
    if "気温" not in text:
        raise JmaParseError("not a JMA temperature file: header 気温(℃) not found")
    rows = []
    for n, line in numbered_lines(text, notes):
        if not line or not line[0].isdigit():
            continue
        m = ROW_RE.match(line.rstrip(", "))
        if not m:
            issues.append(RowIssue(n, "unexpected row", line[:200]))
            continue
        y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
        value, quality, homog = m.group(7), m.group(8), m.group(9)
        try:
            temp = float(value) if value.strip() else None
            stamp = datetime(y, mo, d) + pd.Timedelta(hours=h, minutes=mi, seconds=s)
            codes = (int(quality) if quality.strip() else None, int(homog) if homog.strip() else None)
        except ValueError as exc:
            issues.append(RowIssue(n, f"unreadable value ({exc})", line[:200]))
            continue
        rows.append((stamp, temp, *codes))
    if not rows:
        raise JmaParseError(
            "no data rows" + (f" ({len(issues)} unreadable, first at line {issues[0].line})" if issues else "")
        )
    df = pd.DataFrame(rows, columns=["local", "temperature_c", "quality_code", "homogeneity_code"])
    df["valid_at"] = df["local"].dt.tz_localize(JST_NAME).dt.tz_convert("UTC")
    return df.drop(columns="local")


def _read(fetcher: Fetcher, name: str, year: int) -> bytes | None:
    folder, base = config.jma_dir(), config.jma_base_url() or ""
    if folder:
        path = Path(folder) / name
        if not path.exists():
            fetcher.report.not_published.append(f"jma {year}")
            return None
        fetcher.report.files_fetched += 1
        return path.read_bytes()
    return fetcher.get(
        Request(url=f"{base}/{name}", source=SOURCE, name=name, expect="csv", not_published_label=f"jma {year}")
    )


def configured() -> bool:
    return bool(config.jma_dir() or config.jma_base_url())


def base_url() -> str | None:
    """`JMA_BASE_URL` when the JMA history comes from a server (None for a folder or not at all)."""
    return config.jma_base_url()


def fetch(fetcher: Fetcher, settings: Settings, start: date, end: date, report: RunReport) -> pd.DataFrame:
    """JMA Tokyo hourly temperature for the years touching [start, end] (file year = label year)."""
    frames = []
    for year in range(start.year, end.year + 1):
        name = f"temperature-{year}.csv"
        raw = _read(fetcher, name, year)
        if raw is None:
            continue
        df = read_or_set_aside(settings, report, SOURCE, name, raw, _with_issues, JmaParseError)
        if df is None:
            continue
        local_day = df["valid_at"].dt.tz_convert(JST_NAME).dt.date
        frames.append(df[(local_day >= start) & (local_day <= end)])
        progress(f"  jma {year}: {len(frames[-1])} hours")
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["valid_at"])


def _with_issues(raw: bytes, notes: FormatNotes) -> tuple[pd.DataFrame, list[RowIssue]]:
    issues: list[RowIssue] = []
    return parse_jma_csv(raw, notes, issues), issues


@dlt.resource(
    name="jma_hourly_temperature",
    primary_key=("station_id", "valid_at"),
    write_disposition="merge",
    columns=columns(
        "valid_at",
        station_id="text",
        valid_at="timestamp",
        temperature_c="double",
        quality_code="bigint",
        homogeneity_code="bigint",
        loaded_at="timestamp",
    ),
)
def jma_hourly_temperature(df: pd.DataFrame, loaded_at: datetime) -> Iterator[pd.DataFrame]:
    """Hourly temperature at the JMA Tokyo station (`valid_at` is the reading's instant)."""
    df = df.copy()
    df["station_id"] = STATION
    df["loaded_at"] = loaded_at
    yield df


@dlt.source(name="jma", max_table_nesting=0)
def jma(
    fetcher: Fetcher, settings: Settings, report: RunReport, loaded_at: datetime, days: tuple[date, date] | None
) -> DltResource:
    """JMA station temperature for the JST days `days` (first, last) when the history is configured
    (`JMA_DIR` / `JMA_BASE_URL`); otherwise nothing is fetched and the table is only created."""
    frame = pd.DataFrame(columns=["valid_at"])
    if days is not None and configured():
        progress(f"jma {days[0]} … {days[1]}: station temperature (history)")
        frame = fetch(fetcher, settings, days[0], days[1], report)
    return jma_hourly_temperature(frame, loaded_at)

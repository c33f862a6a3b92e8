"""Real TEPCO files as copies in the wild drift: every harmless variant lands exactly the rows the clean
file lands; unreadable rows cost those rows only, and are set aside with their line numbers."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

from ingest.tepco.parse import parse_daily_csv, parse_juyo_csv
from ingest.tolerant import FormatNotes
from simulator import SimulatorServer
from tests.conftest import isolated_env
from tests.drift_corpus import HARMLESS, corrupt_rows, real_daily_csv, real_yearly_csv

REPO = Path(__file__).resolve().parents[1]
DAILY = "20230615_power_usage.csv"


@pytest.mark.parametrize("variant", sorted(HARMLESS))
def test_a_drifted_yearly_file_reads_like_the_original(shared_data: Path, variant: str) -> None:
    raw = real_yearly_csv(shared_data)
    clean = parse_juyo_csv(raw, "juyo-2023.csv")
    notes = FormatNotes()
    drifted = parse_juyo_csv(HARMLESS[variant](raw), "juyo-2023.csv", notes)
    assert drifted.rows == clean.rows and len(clean.rows) == 8760
    assert drifted.issues == [] and drifted.updated_at == clean.updated_at
    if variant not in ("other_line_endings", "trailing_blank_lines"):  # both line endings are native
        assert notes, f"{variant}: a normalisation that is not counted"


@pytest.mark.parametrize("variant", sorted(HARMLESS))
def test_a_drifted_daily_file_reads_like_the_original(shared_data: Path, variant: str) -> None:
    raw = real_daily_csv(shared_data, DAILY)
    clean = parse_daily_csv(raw, DAILY)
    drifted = parse_daily_csv(HARMLESS[variant](raw), DAILY, FormatNotes())
    assert (drifted.hourly, drifted.five_minute, drifted.summary) == (clean.hourly, clean.five_minute, clean.summary)
    assert drifted.issues == [] and len(clean.hourly) == 24 and len(clean.five_minute) == 288


def test_three_unreadable_rows_of_a_year_cost_three_rows(shared_data: Path) -> None:
    bad, lines = corrupt_rows(real_yearly_csv(shared_data), 3)
    parsed = parse_juyo_csv(bad, "juyo-2023.csv")
    assert len(parsed.rows) == 8757
    assert [i.line for i in parsed.issues] == lines
    print(
        f"juyo-2023 with 3 unreadable rows: {len(parsed.rows)} rows, set aside: "
        + "; ".join(f"line {i.line}: {i.reason}" for i in parsed.issues)
    )


def _zip_with(original: Path, replace: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(original) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, replace.get(info.filename, src.read(info)))
    return buf.getvalue()


def _load(upstream: Path, data: Path) -> tuple[str, list[tuple], int]:
    env = isolated_env()
    with SimulatorServer(upstream, "2024-01-01") as sim:
        env.update(sim.env())
        env.pop("JMA_BASE_URL")
        env.update(
            {"ENERGY_DATA_DIR": str(data), "ENERGY_DUCKDB_PATH": str(data / "warehouse.duckdb"), "ENERGY_ARCHIVE": "0"}
        )
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "ingest",
                "backfill",
                "--start",
                "2023-06-01",
                "--end",
                "2023-06-30",
                "--no-weather",
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select source_kind, date_jst, hour_jst, demand_man_kw, forecast_man_kw, usage_pct, "
            "supply_man_kw from raw.tepco_hourly order by 1, 2, 3"
        ).fetchall()
        (five,) = con.execute("select count(*) from raw.tepco_five_minute").fetchone()
    return proc.stdout + proc.stderr, rows, five


@pytest.mark.slow  # a backfill of the real year through the simulator and the loader
def test_drifted_files_land_the_rows_clean_files_land(shared_data: Path, tmp_path: Path) -> None:
    """Through the simulator and the loader: a yearly file and a daily file with every variation at
    once land the same rows as the originals; a daily file with 3 bad rows loads all but those."""
    drifted = tmp_path / "upstream"
    (drifted / "tepco" / "juyo").mkdir(parents=True)
    (drifted / "tepco" / "power_usage").mkdir()
    for folder in ("open_meteo", "jma"):
        os.symlink(shared_data / folder, drifted / folder)
    (drifted / "tepco" / "juyo" / "juyo-2023.csv").write_bytes(
        HARMLESS["everything_at_once"](real_yearly_csv(shared_data))
    )
    bad_member, bad_lines = corrupt_rows(real_daily_csv(shared_data, "20230620_power_usage.csv"), 3)
    (drifted / "tepco" / "power_usage" / "202306_power_usage.zip").write_bytes(
        _zip_with(
            shared_data / "tepco" / "power_usage" / "202306_power_usage.zip",
            {
                DAILY: HARMLESS["everything_at_once"](real_daily_csv(shared_data, DAILY)),
                "20230620_power_usage.csv": bad_member,
            },
        )
    )

    clean_out, clean, clean_five = _load(shared_data, tmp_path / "clean")
    out, rows, five = _load(drifted, tmp_path / "drifted")
    assert "quarantined files: 0, rows: 0" in clean_out
    assert "format notes (normalised, nothing lost): tepco:" in out and "quarantined files: 0, rows: 3" in out
    lost = {(r[0], r[1], r[2]) for r in clean} - {(r[0], r[1], r[2]) for r in rows}
    assert all(k[0] == "power_usage" and str(k[1]) == "2023-06-20" for k in lost)
    assert len(lost) + (clean_five - five) == 3 and clean_five == 30 * 288  # exactly the 3 bad rows
    assert [r for r in clean if (r[0], r[1], r[2]) not in lost] == rows  # every other row, value for value
    with duckdb.connect(str(tmp_path / "drifted" / "warehouse.duckdb"), read_only=True) as con:
        events = con.execute("select line_number from raw.quarantine_events order by 1").fetchall()
    assert [e[0] for e in events] == bad_lines

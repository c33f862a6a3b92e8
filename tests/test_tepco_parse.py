"""TEPCO parsers on the real sample files, the real archive, generated files and broken ones."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from ingest.tepco.parse import (
    JST,
    TepcoParseError,
    parse_daily_csv,
    parse_juyo_csv,
    read_monthly_zip,
)
from ingest.tolerant import FormatNotes
from simulator.generate import generate


def _sample(shared_data: Path, day: str) -> bytes:
    return (shared_data / "tepco" / "samples" / f"{day}_power_usage.csv").read_bytes()


def test_real_sample_every_block(shared_data: Path) -> None:
    rep = parse_daily_csv(_sample(shared_data, "20220715"), "20220715_power_usage.csv")
    assert rep.report_date == date(2022, 7, 15)
    assert rep.file_updated_at == datetime(2022, 7, 15, 23, 55, tzinfo=JST)
    assert len(rep.hourly) == 24 and len(rep.five_minute) == 288
    first = rep.hourly[0]
    assert (first["demand_man_kw"], first["forecast_man_kw"], first["usage_pct"], first["supply_man_kw"]) == (
        2773,
        2744,
        85,
        3244,
    )
    assert rep.hourly[23]["demand_man_kw"] == 2975
    assert rep.five_minute[0] == {"minute_of_day": 0, "demand_man_kw": 2877, "solar_man_kw": 0, "solar_share_pct": 0}
    assert rep.five_minute[-1]["minute_of_day"] == 23 * 60 + 55
    today, nxt = rep.summary
    assert today["peak_supply_man_kw"] == 4786 and today["peak_band_start_hour"] == 11
    assert today["peak_reserve_pct"] == 19 and today["peak_usage_pct"] == 84
    assert today["forecast_peak_man_kw"] == 4030
    assert today["usage_peak_supply_man_kw"] == 3242 and today["usage_peak_band_start_hour"] == 6
    assert today["usage_peak_demand_man_kw"] == 2826
    assert today["max_usage_pct"] == 85 and today["max_usage_band_start_hour"] == 6
    assert nxt["target_date"] == date(2022, 7, 16)
    assert nxt["forecast_peak_man_kw"] == 3720 and nxt["forecast_peak_band_start_hour"] == 13
    assert nxt["peak_supply_updated_at"] == datetime(2022, 7, 16, 0, 50, tzinfo=JST)
    assert nxt["max_usage_pct"] is None


def test_real_sample_year_end_stamp_rolls_over(shared_data: Path) -> None:
    rep = parse_daily_csv(_sample(shared_data, "20221231"), "20221231_power_usage.csv")
    nxt = rep.summary[1]
    assert nxt["target_date"] == date(2023, 1, 1)
    assert nxt["forecast_peak_updated_at"] == datetime(2023, 1, 1, 23, 50, tzinfo=JST)


@pytest.mark.parametrize("day", ["20220715", "20221001", "20221231"])
def test_real_samples_parse(shared_data: Path, day: str) -> None:
    rep = parse_daily_csv(_sample(shared_data, day), f"{day}_power_usage.csv")
    assert all(r["demand_man_kw"] and 1500 < r["demand_man_kw"] < 7000 for r in rep.hourly)


def test_every_real_member_of_a_month_parses(shared_data: Path) -> None:
    # January 2023 holds the one file whose header carries two stray trailing commas.
    raw = (shared_data / "tepco" / "power_usage" / "202301_power_usage.zip").read_bytes()
    members = read_monthly_zip(raw, "202301_power_usage.zip")
    assert len(members) == 31
    days = [parse_daily_csv(m.data, m.name).report_date for m in members]
    assert days == [date(2023, 1, d) for d in range(1, 32)]


def test_leap_day_stamps(shared_data: Path) -> None:
    raw = (shared_data / "tepco" / "power_usage" / "202402_power_usage.zip").read_bytes()
    members = {m.name: m for m in read_monthly_zip(raw, "202402_power_usage.zip")}
    rep = parse_daily_csv(members["20240228_power_usage.csv"].data, "20240228_power_usage.csv")
    assert rep.summary[1]["peak_supply_updated_at"].date() == date(2024, 2, 29)


def test_real_juyo(shared_data: Path) -> None:
    parsed = parse_juyo_csv((shared_data / "tepco" / "juyo" / "juyo-2016.csv").read_bytes())
    assert len(parsed.rows) == 6600  # 2016-04-01 … 2016-12-31
    assert parsed.rows[0] == {"date_jst": date(2016, 4, 1), "hour_jst": 0, "demand_man_kw": 2555}


# --- generated files: every block, and every way a file can be broken ------------------


@pytest.fixture(scope="module")
def generated_member(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, bytes]:
    out = tmp_path_factory.mktemp("gen")
    generate(out, date(2024, 3, 1), date(2024, 3, 3), seed=1)
    zf = zipfile.ZipFile(out / "tepco" / "power_usage" / "202403_power_usage.zip")
    name = "20240302_power_usage.csv"
    return name, zf.read(name)


def test_generated_file_every_block(generated_member: tuple[str, bytes]) -> None:
    name, raw = generated_member
    rep = parse_daily_csv(raw, name)
    assert rep.report_date == date(2024, 3, 2)
    assert len(rep.hourly) == 24 and len(rep.five_minute) == 288 and len(rep.summary) == 2
    # the generator's hourly actual is the mean of its twelve five-minute values
    for h in (0, 12, 23):
        five = [r["demand_man_kw"] for r in rep.five_minute[h * 12 : h * 12 + 12]]
        assert abs(rep.hourly[h]["demand_man_kw"] - sum(five) / 12) <= 1
    assert all(v is not None for s in rep.summary for k, v in s.items() if k.startswith("peak_"))


def _text(raw: bytes) -> str:
    return raw.decode("cp932")


def _broken(raw: bytes, old: str, new: str, count: int = 1) -> bytes:
    text = _text(raw)
    assert old in text
    return text.replace(old, new, count).encode("cp932")


def test_non_numeric_cell_sets_that_hour_aside(generated_member: tuple[str, bytes]) -> None:
    name, raw = generated_member
    lines = _text(raw).split("\r\n")
    i = next(i for i, line in enumerate(lines) if line.startswith("2024/3/2,12:00,"))
    cells = lines[i].split(",")
    cells[2] = "abc"
    lines[i] = ",".join(cells)
    rep = parse_daily_csv("\r\n".join(lines).encode("cp932"), name)
    assert [h["hour_jst"] for h in rep.hourly] == [h for h in range(24) if h != 12]
    assert len(rep.five_minute) == 288
    (issue,) = rep.issues
    assert issue.line == i + 1 and "non-numeric cell 'abc'" in issue.reason and issue.text == lines[i]


def test_short_block_loads_the_hours_it_has(generated_member: tuple[str, bytes]) -> None:
    name, raw = generated_member
    lines = _text(raw).split("\r\n")
    lines = [line for line in lines if not line.startswith("2024/3/2,23:00,")]
    rep = parse_daily_csv("\r\n".join(lines).encode("cp932"), name)
    assert len(rep.hourly) == 23
    (issue,) = rep.issues
    assert issue.line == 0 and "hourly block is short: 23 of 24 rows, none for 23:00" in issue.reason


def test_missing_five_minute_block_keeps_the_hours(generated_member: tuple[str, bytes]) -> None:
    name, raw = generated_member
    text = _text(raw)
    cut = text.index("DATE,TIME,当日実績(５分間隔値)")
    notes = FormatNotes()
    rep = parse_daily_csv(text[:cut].encode("cp932"), name, notes)
    assert len(rep.hourly) == 24 and rep.five_minute == [] and not rep.issues
    assert notes["five-minute block missing"] == 1


def test_utf8_copy_reads_like_the_original(generated_member: tuple[str, bytes]) -> None:
    name, raw = generated_member
    notes = FormatNotes()
    rep = parse_daily_csv(_text(raw).encode("utf-8"), name, notes)
    orig = parse_daily_csv(raw, name)
    assert (rep.hourly, rep.five_minute, rep.summary) == (orig.hourly, orig.five_minute, orig.summary)
    assert notes["UTF-8 instead of CP932"] == 1


def test_garbage_bytes(generated_member: tuple[str, bytes]) -> None:
    name, _ = generated_member
    with pytest.raises(TepcoParseError, match="wrong encoding|not a TEPCO file|not a text file"):
        parse_daily_csv(b"\xff\xfe\x00garbage", name)


def test_date_mismatch(generated_member: tuple[str, bytes]) -> None:
    _, raw = generated_member
    with pytest.raises(TepcoParseError, match="file name says 2024-03-05"):
        parse_daily_csv(raw, "20240305_power_usage.csv")


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_truncated_zip(generated_member: tuple[str, bytes]) -> None:
    name, raw = generated_member
    data = _zip({name: raw})
    with pytest.raises(TepcoParseError, match="truncated or corrupt zip"):
        read_monthly_zip(data[: len(data) // 2], "x.zip")


@pytest.mark.parametrize("evil", ["../20240302_power_usage.csv", "/etc/20240302_power_usage.csv", "a/../../b.csv"])
def test_zip_path_traversal_refused(evil: str) -> None:
    with pytest.raises(TepcoParseError, match="traversal refused"):
        read_monthly_zip(_zip({evil: b"x"}), "evil.zip")


def test_zip_bomb_refused() -> None:
    bomb = _zip({"20240302_power_usage.csv": b"0" * 3_000_000})
    assert len(bomb) < 50_000
    with pytest.raises(TepcoParseError, match="would unpack to 3000000 bytes"):
        read_monthly_zip(bomb, "bomb.zip")


def test_zip_extra_member_and_folder_are_tolerated(generated_member: tuple[str, bytes]) -> None:
    name, raw = generated_member
    notes = FormatNotes()
    members = read_monthly_zip(_zip({"readme.txt": b"hi", f"202403/{name}": raw}), "x.zip", notes)
    assert [(m.name, m.data) for m in members] == [(name, raw)]
    assert notes == {"zip members that are not daily CSVs skipped": 1, "zip members inside a folder": 1}


def test_juyo_bad_line_is_set_aside_with_its_line_number() -> None:
    raw = "2024/1/2 5:40 UPDATE\r\n\r\nDATE,TIME,実績(万kW)\r\n2024/1/1,0:00,2402\r\n2024/1/1,1:30,2300\r\n"
    parsed = parse_juyo_csv(raw.encode("cp932"))
    assert parsed.rows == [{"date_jst": date(2024, 1, 1), "hour_jst": 0, "demand_man_kw": 2402}]
    (issue,) = parsed.issues
    assert issue.line == 5 and issue.reason == "time '1:30' is not an hour"


def test_juyo_with_no_readable_row_is_refused() -> None:
    raw = "2024/1/2 5:40 UPDATE\n\nDATE,TIME,実績(万kW)\n2024/1/1,x,2402\n"
    with pytest.raises(TepcoParseError, match="no readable row"):
        parse_juyo_csv(raw.encode("cp932"))


def test_a_day_published_in_part_loads_its_measured_hours(generated_member: tuple[str, bytes]) -> None:
    name, raw = generated_member
    lines = raw.decode("cp932").split("\r\n")
    for i, line in enumerate(lines):  # hours from 05:00 on not measured yet: blank cells, separators kept
        cells = line.split(",")
        if line.startswith("2024/3/2,") and len(cells) >= 5 and int(cells[1].split(":")[0]) >= 5:
            lines[i] = ",".join(cells[:2] + [""] * (len(cells) - 2))
    notes = FormatNotes()
    rep = parse_daily_csv("\r\n".join(lines).encode("cp932"), name, notes)
    assert [h["hour_jst"] for h in rep.hourly] == [0, 1, 2, 3, 4] and len(rep.five_minute) == 5 * 12
    assert not rep.issues
    assert notes["hours not yet measured (blank)"] == 19


def test_a_daily_file_without_its_title_line_keeps_every_block(generated_member: tuple[str, bytes]) -> None:
    name, raw = generated_member
    untitled = raw.split(b"\r\n", 1)[1]
    notes = FormatNotes()
    rep = parse_daily_csv(untitled, name, notes)
    orig = parse_daily_csv(raw, name)
    assert (rep.hourly, rep.five_minute, rep.summary) == (orig.hourly, orig.five_minute, orig.summary)
    assert rep.file_updated_at is None and notes["title line without 'UPDATE' stamp"] == 1


def test_a_macos_rezip_of_a_full_month_loads(generated_member: tuple[str, bytes]) -> None:
    name, raw = generated_member
    entries = {f"202403/202403{d:02d}_power_usage.csv": raw for d in range(1, 32)}
    entries.update({f"__MACOSX/202403/._202403{d:02d}_power_usage.csv": b"\x00\x05" for d in range(1, 32)})
    entries.update({"202403/": b"", "__MACOSX/": b"", "__MACOSX/202403/": b""})
    assert len(entries) == 65  # 31 days, their 31 AppleDouble shadows and 3 folders
    out = read_monthly_zip(_zip(entries), "202403_power_usage.zip")
    assert [m.name for m in out] == [f"202403{d:02d}_power_usage.csv" for d in range(1, 32)]

"""The raw-file archive: what is kept, where, for how long, and a replay that rebuilds the raw tables."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingest.__main__ import main as ingest_main
from ingest.archive import Archive, ArchiveClient, GcsStore, LocalStore, NotArchived, archive_name


def test_names_are_host_free_and_query_sensitive() -> None:
    a = archive_name("http://127.0.0.1:5000/forecast/juyo-2024.csv")
    assert a == archive_name("https://www.tepco.co.jp/forecast/juyo-2024.csv") == "forecast/juyo-2024.csv.gz"
    q1 = archive_name("http://x/v1/archive", {"latitude": 35.6, "start_date": "2024-06-01"})
    assert q1 == archive_name("http://y/v1/archive", {"start_date": "2024-06-01", "latitude": 35.6})
    assert q1 != archive_name("http://x/v1/archive", {"latitude": 35.6, "start_date": "2024-06-02"})


def test_a_copy_is_written_only_when_the_content_changes(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    Archive(store, date(2024, 6, 1)).keep("http://h/f.csv", None, b"v1")
    day2 = Archive(store, date(2024, 6, 2))
    day2.keep("http://h/f.csv", None, b"v1")
    assert (day2.written, day2.unchanged) == (0, 1)
    Archive(store, date(2024, 6, 3)).keep("http://h/f.csv", None, b"v2 (revised upstream)")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.gz")) == [
        "2024-06-01/f.csv.gz",
        "2024-06-03/f.csv.gz",
    ]
    assert gzip.decompress((tmp_path / "2024-06-01" / "f.csv.gz").read_bytes()) == b"v1"
    # a replay picks the newest copy fetched on or before its date
    assert ArchiveClient(store).get("http://other/f.csv").content == b"v2 (revised upstream)"
    assert ArchiveClient(store, date(2024, 6, 2)).get("http://other/f.csv").content == b"v1"
    with pytest.raises(NotArchived):
        ArchiveClient(store, date(2024, 5, 31)).get("http://other/f.csv")


def test_retention_prunes_old_folders_but_keeps_each_files_newest_copy(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    Archive(store, date(2024, 1, 1)).keep("http://h/a", None, b"a1")
    Archive(store, date(2024, 1, 1)).keep("http://h/b", None, b"b1")
    Archive(store, date(2024, 6, 1)).keep("http://h/a", None, b"a2")
    removed = Archive(store, date(2024, 6, 2)).prune(retention_days=30)
    assert removed == 1  # a1 has a newer copy; b1 is the only copy of b and stays
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.gz")) == [
        "2024-01-01/b.gz",
        "2024-06-01/a.gz",
    ]
    assert Archive(store, date(2024, 6, 2)).prune(retention_days=0) == 0


class FakeBlob:
    def __init__(self, bucket: FakeBucket, name: str) -> None:
        self.bucket, self.name = bucket, name

    def upload_from_string(self, data: bytes, content_type: str) -> None:
        self.bucket.objects[self.name] = data

    def download_as_bytes(self) -> bytes:
        return self.bucket.objects[self.name]

    def delete(self) -> None:
        del self.bucket.objects[self.name]


class FakeBucket:
    """The slice of google.cloud.storage's Bucket the archive uses (no GCS reachable here)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def blob(self, name: str) -> FakeBlob:
        return FakeBlob(self, name)

    def list_blobs(self, prefix: str) -> list[FakeBlob]:
        return [FakeBlob(self, n) for n in sorted(self.objects) if n.startswith(prefix)]


def test_gcs_store_uses_the_same_layout_under_its_prefix() -> None:
    bucket = FakeBucket()
    client = type("C", (), {"bucket": lambda self, name: bucket})()
    store = GcsStore("gs://energy-raw/archive", client=client)
    Archive(store, date(2024, 6, 1)).keep("http://h/forecast/juyo-2024.csv", None, b"x")
    Archive(GcsStore("gs://energy-raw/archive", client=client), date(2024, 6, 2)).keep(
        "http://h/forecast/juyo-2024.csv", None, b"x"
    )
    assert list(bucket.objects) == ["archive/2024-06-01/forecast/juyo-2024.csv.gz"]
    assert (
        ArchiveClient(GcsStore("gs://energy-raw/archive", client=client)).get("http://h/forecast/juyo-2024.csv").content
        == b"x"
    )
    with pytest.raises(ValueError, match="gs://bucket"):
        GcsStore("s3://nope", client=client)


def content_checksums(db: Path) -> dict[str, tuple]:
    """Count and checksum of every raw table over its content columns (not the load time or dlt ids)."""
    out = {}
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' "
                "and table_name not like '\\_dlt%' escape '\\' order by 1"
            ).fetchall()
        ]
        for t in tables:
            cols = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns where table_schema = 'raw' "
                    "and table_name = ? order by ordinal_position",
                    [t],
                ).fetchall()
                if r[0] not in ("loaded_at", "_dlt_load_id", "_dlt_id")
            ]
            expr = ", ".join(f'"{c}"' for c in cols)
            out[t] = con.execute(f"select count(*), sum(hash(({expr})::varchar)::hugeint) from raw.{t}").fetchone()
    return out


@pytest.mark.slow  # two backfills of a month of real data
def test_replaying_2024_06_from_the_archive_rebuilds_identical_raw_tables(
    shared_data: Path, simulator, warehouse_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = simulator(shared_data, "2024-07-01")
    args = ["backfill", "--start", "2024-06-01", "--end", "2024-06-30"]
    assert ingest_main(args) == 0
    original = warehouse_env / "warehouse.duckdb"
    archived = sorted(
        p.relative_to(warehouse_env / "archive").as_posix() for p in (warehouse_env / "archive").rglob("*.gz")
    )
    assert any(n.endswith("202406_power_usage.zip.gz") for n in archived) and len(archived) >= 11
    sim.stop()  # upstream gone: the replay must need nothing but the archive

    monkeypatch.setenv("ENERGY_DUCKDB_PATH", str(tmp_path / "replayed.duckdb"))
    monkeypatch.setenv("ENERGY_ARCHIVE_DIR", str(warehouse_env / "archive"))
    monkeypatch.setenv("ENERGY_DLT_PIPELINES_DIR", str(tmp_path / "dlt"))
    assert ingest_main([*args, "--from-archive"]) == 0
    first, replayed = content_checksums(original), content_checksums(tmp_path / "replayed.duckdb")
    print(
        f"\nreplay of 2024-06 from {len(archived)} archived files: "
        + ", ".join(f"{t} {n} rows" for t, (n, _) in sorted(first.items()) if n)
    )
    assert first == replayed
    assert first["tepco_hourly"][0] >= 720 and first["open_meteo_observed"][0] >= 9 * 720

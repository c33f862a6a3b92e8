"""The raw-file archive: every upstream response kept, gzip-compressed, under the date it was fetched.

    <archive>/<YYYY-MM-DD fetched (UTC)>/<upstream path>[__<query hash>].gz

`<archive>` is `ENERGY_ARCHIVE_DIR` (default `<data dir>/archive`) or, in production,
`ENERGY_ARCHIVE_URL=gs://bucket/prefix` (Google Cloud Storage, same layout). The host is left out
of the key, so a run against another base URL (a mirror, the simulator) finds the same files.

A copy is written only when the content differs from the newest copy already archived, so the
dated folders say when each version was first seen and a daily run adds a few kB, not a full set.
`ENERGY_ARCHIVE_RETENTION_DAYS` (unset or 0: keep forever) prunes whole dated folders; a file's
newest copy is never pruned, so a replay can always find something for every file ever seen.

Replays go through `ArchiveClient`, which answers `get()` from the archive instead of the network
(`python -m ingest backfill --from-archive [--archive-date D]`): the same parsers and the same
loader run on the same bytes, so the raw tables come out as they were. That is how a user recovers
after upstream revises or deletes data.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from core import settings as config
from core.settings import Settings
from ingest.http import Fetched, HttpClient, NotPublished

DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class NotArchived(NotPublished):
    """The archive holds no copy of this file (treated like a file upstream has not published)."""


class Store(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def dated_copies(self, name: str) -> list[str]: ...  # date folders holding `name`, any order
    def dates(self) -> list[str]: ...
    def names(self, day: str) -> list[str]: ...  # files of one date folder, relative to it
    def delete_date(self, day: str, keep: set[str]) -> int: ...


class LocalStore:
    """A folder on this machine (the default)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # a kill mid-write never leaves half a file under the real name

    def get(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def dated_copies(self, name: str) -> list[str]:
        return [d for d in self.dates() if (self.root / d / name).is_file()]

    def dates(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return [p.name for p in self.root.iterdir() if p.is_dir() and DATE_DIR.match(p.name)]

    def names(self, day: str) -> list[str]:
        base = self.root / day
        return [p.relative_to(base).as_posix() for p in base.rglob("*.gz") if p.is_file()]

    def delete_date(self, day: str, keep: set[str]) -> int:
        removed = 0
        base = self.root / day
        for path in sorted(base.rglob("*"), reverse=True):
            rel = path.relative_to(base).as_posix()
            if path.is_file() and rel not in keep:
                path.unlink()
                removed += 1
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        if base.is_dir() and not any(base.iterdir()):
            base.rmdir()
        return removed


class GcsStore:
    """A Cloud Storage bucket (`gs://bucket/prefix`), through google-cloud-storage (installed with
    dbt-bigquery); credentials as for BigQuery (GOOGLE_APPLICATION_CREDENTIALS)."""

    def __init__(self, url: str, client: Any = None) -> None:
        parts = urlsplit(url)
        if parts.scheme != "gs" or not parts.netloc:
            raise ValueError(f"ENERGY_ARCHIVE_URL must look like gs://bucket/prefix, got {url!r}")
        if client is None:
            from google.cloud import storage

            client = storage.Client()
        self.bucket = client.bucket(parts.netloc)
        self.prefix = parts.path.strip("/")
        self._cache: list[str] | None = None  # one listing per run, kept current by put/delete

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        self.bucket.blob(self._name(key)).upload_from_string(data, content_type="application/gzip")
        if self._cache is not None and key not in self._cache:
            self._cache.append(key)

    def get(self, key: str) -> bytes:
        return self.bucket.blob(self._name(key)).download_as_bytes()

    def _keys(self) -> list[str]:
        if self._cache is None:
            start = f"{self.prefix}/" if self.prefix else ""
            self._cache = [b.name[len(start) :] for b in self.bucket.list_blobs(prefix=start)]
        return self._cache

    def dated_copies(self, name: str) -> list[str]:
        return [k.split("/", 1)[0] for k in self._keys() if k.split("/", 1)[-1] == name and DATE_DIR.match(k[:10])]

    def dates(self) -> list[str]:
        return sorted({k.split("/", 1)[0] for k in self._keys() if DATE_DIR.match(k.split("/", 1)[0])})

    def names(self, day: str) -> list[str]:
        return [k.split("/", 1)[1] for k in self._keys() if k.startswith(day + "/")]

    def delete_date(self, day: str, keep: set[str]) -> int:
        removed = 0
        for key in list(self._keys()):
            d, _, rel = key.partition("/")
            if d == day and rel not in keep:
                self.bucket.blob(self._name(key)).delete()
                self._cache.remove(key)  # type: ignore[union-attr]
                removed += 1
        return removed


def store_from_env(settings: Settings) -> Store:
    url = config.archive_url()
    if url:
        return GcsStore(url)
    folder = config.archive_dir() if config.is_set("ENERGY_ARCHIVE_DIR") else settings.data_dir / "archive"
    return LocalStore(folder.resolve())


def archive_name(url: str, params: dict[str, Any] | None = None) -> str:
    """The file name of a request inside a dated folder: its path, plus a hash of its query."""
    parts = urlsplit(url)
    path = re.sub(r"[^A-Za-z0-9._/-]", "_", parts.path.strip("/")) or "index"
    query = "&".join(filter(None, [parts.query, urlencode(sorted((params or {}).items()), doseq=True)]))
    if query:
        path += "__" + hashlib.sha1(query.encode()).hexdigest()[:12]
    return path + ".gz"


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)  # mtime 0: same bytes in, same file out


class Archive:
    """Writes upstream responses into a store; one per run."""

    def __init__(self, store: Store, today: date | None = None) -> None:
        self.store = store
        self.today = (today or datetime.now(UTC).date()).isoformat()
        self.written = 0
        self.unchanged = 0

    def latest(self, name: str, on_or_before: str | None = None) -> str | None:
        days = sorted(d for d in self.store.dated_copies(name) if on_or_before is None or d <= on_or_before)
        return days[-1] if days else None

    def keep(self, url: str, params: dict[str, Any] | None, content: bytes) -> None:
        name = archive_name(url, params)
        packed = _gzip(content)  # deterministic: equal bytes in, equal file out
        last = self.latest(name)
        if last is not None and self.store.get(f"{last}/{name}") == packed:
            self.unchanged += 1
            return
        self.store.put(f"{self.today}/{name}", packed)
        self.written += 1

    def prune(self, retention_days: int) -> int:
        """Delete dated folders older than `retention_days`, except each file's newest copy."""
        if retention_days <= 0:
            return 0
        cutoff = (date.fromisoformat(self.today) - timedelta(days=retention_days)).isoformat()
        days = sorted(self.store.dates())
        removed = 0
        for day in (d for d in days if d < cutoff):
            newer = [d for d in days if d > day]
            keep = {name for name in self._names(day) if not any(self._has(d, name) for d in newer)}
            removed += self.store.delete_date(day, keep)
        return removed

    def _names(self, day: str) -> list[str]:
        return self.store.names(day)

    def _has(self, day: str, name: str) -> bool:
        return day in self.store.dated_copies(name)


class ArchivingClient:
    """An `HttpClient` whose answers can be archived: the shared fetch step (`ingest.http.Fetcher`)
    calls `keep` once an answer passed its content check, so the archive holds what upstream
    published, not a maintenance page (those are quarantined instead)."""

    def __init__(self, client: HttpClient, archive: Archive) -> None:
        self.client = client
        self.archive = archive
        self.settings = client.settings
        self._lock = threading.Lock()

    def get(self, url: str, params: dict[str, Any] | None = None) -> Fetched:
        return self.client.get(url, params=params)

    def keep(self, url: str, params: dict[str, Any] | None, content: bytes) -> None:
        try:
            with self._lock:  # one writer at a time: the per-point requests arrive from several threads
                self.archive.keep(url, params, content)
        except Exception as exc:  # noqa: BLE001 - a full disk or a storage error must not lose the load
            print(f"WARN archive: {archive_name(url, params)} not kept ({type(exc).__name__}: {exc})", flush=True)


class ArchiveClient:
    """Answers `get()` from the archive: the newest copy fetched on or before `as_of` (default: any)."""

    def __init__(self, store: Store, as_of: date | None = None) -> None:
        self.archive = Archive(store)
        self.as_of = as_of.isoformat() if as_of else None
        self.settings = None
        self.served = 0

    def get(self, url: str, params: dict[str, Any] | None = None) -> Fetched:
        name = archive_name(url, params)
        day = self.archive.latest(name, self.as_of)
        if day is None:
            raise NotArchived(f"{url} (not in the archive{f' on or before {self.as_of}' if self.as_of else ''})")
        self.served += 1
        return Fetched(url=url, content=gzip.decompress(self.archive.store.get(f"{day}/{name}")), status=200)


def enabled() -> bool:
    """Archiving is on unless ENERGY_ARCHIVE=0."""
    return config.archive_enabled()


def retention_days() -> int:
    return config.archive_retention_days()


def client_for(settings: Settings) -> tuple[HttpClient | ArchivingClient, Archive | None]:
    """The client a live run uses: archiving unless ENERGY_ARCHIVE=0."""
    client = HttpClient(settings.http)
    if not enabled():
        return client, None
    archive = Archive(store_from_env(settings))
    return ArchivingClient(client, archive), archive


def finish(archive: Archive | None) -> str | None:
    """Prune by the retention setting; one line for the run summary."""
    if archive is None:
        return None
    pruned = archive.prune(retention_days())
    return f"archive: {archive.written} files written, {archive.unchanged} unchanged" + (
        f", {pruned} pruned (retention {retention_days()} d)" if pruned else ""
    )

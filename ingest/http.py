"""The one fetch step every source goes through: timeouts, retries, outages, answers that are not data.

- **Retries** (dlt's `requests` helper): 429 / 5xx / read timeouts / a transfer cut short, with
  exponential backoff, honouring `Retry-After`.
- **Outages fail fast.** "The host cannot be reached" (name does not resolve, connection refused,
  no route, no answer to the connect) is not retried like a busy server: it is tried
  `connect_attempts` times with a short pause, then the host is marked down for the rest of the run
  and every later request to it fails at once, without touching the network. A connect timeout of
  its own (`connect_timeout_s`, much shorter than the read timeout) bounds a host that drops
  packets. `preflight()` probes every host of a run concurrently before the first request, so a
  run with no network ends in seconds with one line naming the hosts.
- **Not-yet-published is not a failure**: TEPCO answers 404 for a month it has not published yet.
- **An answer that is not what was asked for** (HTTP 200 with an HTML maintenance page, an empty
  body, a JSON error object where a zip or a CSV was expected) is an error naming what arrived; the
  bytes are quarantined and the next run asks again.

`Fetcher` ties these to a run's report and quarantine folder, and fetches many URLs concurrently
(bounded) for sources with one request per point.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from dlt.sources.helpers.requests import Client
from requests.exceptions import ChunkedEncodingError, ReadTimeout

from core.settings import HttpSettings

log = logging.getLogger(__name__)


class NotPublished(Exception):
    """The upstream answered 404: the file does not exist (yet)."""


class UpstreamError(Exception):
    """The upstream kept failing after all retries (5xx, 429, timeouts), or answered with an error."""


class HostUnreachable(UpstreamError):
    """The host could not be reached at all (DNS, refused, no route, connect timeout)."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"{host} cannot be reached ({reason})")
        self.host = host
        self.reason = reason


class UnexpectedContent(UpstreamError):
    """HTTP 200, but the body is not what was asked for (an HTML page, nothing, a JSON error)."""

    def __init__(self, reason: str, content: bytes) -> None:
        super().__init__(reason)
        self.reason = reason
        self.content = content


@dataclass
class Fetched:
    """Bytes of one upstream response plus what is needed to archive or report it."""

    url: str
    content: bytes
    status: int
    content_type: str = ""


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


def unreachable_reason(exc: BaseException) -> str | None:
    """Why a request never reached a server, or None if it did (then it is a retryable failure)."""
    text = repr(exc)
    if (
        "NameResolution" in text
        or "Name or service not known" in text
        or "nodename nor servname" in text
        or "Temporary failure in name resolution" in text
        or "getaddrinfo failed" in text
    ):
        return "the name does not resolve"
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "connection refused"
    if "No route to host" in text or "Network is unreachable" in text:
        return "no route to the host"
    if isinstance(exc, (requests.exceptions.ConnectTimeout, TimeoutError)) or "ConnectTimeout" in text:
        return "no answer to the connect (packets dropped?)"
    return None


def _retry_dropped_transfers(response: requests.Response | None, exc: BaseException | None) -> bool:
    """dlt retry predicate: a connection that broke after reaching the host is retried; one that
    never reached it is not (see `HttpClient`)."""
    return isinstance(exc, requests.ConnectionError) and unreachable_reason(exc) is None


class HttpClient:
    """A retrying session configured from `HttpSettings`, with fail-fast handling of dead hosts.

    Thread-safe: each thread gets its own session (the per-point requests run concurrently).
    """

    def __init__(self, settings: HttpSettings | None = None) -> None:
        self.settings = settings or HttpSettings()
        self._local = threading.local()
        self._lock = threading.Lock()
        self.down: dict[str, str] = {}  # host → why it cannot be reached

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            s = self.settings
            client = Client(
                request_timeout=s.timeout_s,
                raise_for_status=False,
                request_max_attempts=s.max_attempts,
                request_backoff_factor=s.backoff_factor,
                request_max_retry_delay=s.backoff_max_s,
                respect_retry_after_header=True,
                exceptions=(ReadTimeout, ChunkedEncodingError),
                retry_condition=_retry_dropped_transfers,
                session_attrs={"headers": {"User-Agent": s.user_agent}},
            )
            session = self._local.session = client.session
        return session

    def mark_down(self, host: str, reason: str) -> None:
        with self._lock:
            self.down.setdefault(host, reason)

    def preflight(self, urls: list[str]) -> dict[str, str]:
        """Probe every distinct host concurrently (TCP connect, `connect_attempts` tries); mark the
        dead ones down and return them (host → reason). Hosts behind a configured proxy are left to
        the real request, which classifies them the same way."""
        targets: dict[str, tuple[str, int]] = {}
        for url in urls:
            parts = urlsplit(url)
            if not parts.hostname or requests.utils.get_environ_proxies(url):
                continue
            port = parts.port or (443 if parts.scheme == "https" else 80)
            targets[parts.netloc] = (parts.hostname, port)

        def probe(item: tuple[str, tuple[str, int]]) -> tuple[str, str | None]:
            netloc, (hostname, port) = item
            reason: str | None = None
            for attempt in range(max(1, self.settings.connect_attempts)):
                if attempt:
                    time.sleep(self.settings.connect_pause_s)
                try:
                    socket.create_connection((hostname, port), timeout=self.settings.connect_timeout_s).close()
                    return netloc, None
                except OSError as exc:  # DNS, refused, no route, connect timeout: worded as for a request
                    reason = unreachable_reason(exc) or f"no route to the host ({exc.strerror or exc})"
            return netloc, reason

        if not targets:
            return {}
        with ThreadPoolExecutor(max_workers=min(8, len(targets))) as pool:
            results = list(pool.map(probe, targets.items()))
        for netloc, reason in results:
            if reason:
                self.mark_down(netloc, reason)
        return {h: r for h, r in results if r}

    def get(self, url: str, params: dict[str, Any] | None = None) -> Fetched:
        """GET with retries; 404 → `NotPublished`; unreachable → `HostUnreachable` (at once, once the
        host is known to be down); other failures → `UpstreamError`."""
        host = host_of(url)
        if host in self.down:
            raise HostUnreachable(host, self.down[host])
        timeout = (self.settings.connect_timeout_s, self.settings.timeout_s)
        resp = None
        for attempt in range(max(1, self.settings.connect_attempts)):
            if attempt:
                time.sleep(self.settings.connect_pause_s)
            try:
                resp = self._session().get(url, params=params, timeout=timeout)
                break
            except requests.RequestException as exc:  # retries exhausted, or the host never answered
                reason = unreachable_reason(exc)
                if reason is None:
                    raise UpstreamError(f"{type(exc).__name__} after retries from {url}") from exc
                if host in self.down:
                    raise HostUnreachable(host, self.down[host]) from exc
                last = (reason, exc)
        if resp is None:
            self.mark_down(host, last[0])
            raise HostUnreachable(host, last[0]) from last[1]
        if resp.status_code == 404:
            raise NotPublished(url)
        if resp.status_code >= 400:
            raise UpstreamError(f"HTTP {resp.status_code} after retries from {url}: {resp.text[:120]!r}")
        return Fetched(
            url=resp.url,
            content=resp.content,
            status=resp.status_code,
            content_type=resp.headers.get("Content-Type", ""),
        )


# --- is the answer what was asked for? --------------------------------------------------------------


def describe(content: bytes, content_type: str = "") -> str:
    """A short description of a body, for a message: `an HTML page titled 'メンテナンス中'`."""
    if not content.strip():
        return "an empty body"
    head = content[:4096]
    text = head.decode("utf-8", errors="replace").strip()
    low = text.lower()
    if low.startswith(("<!doctype html", "<html")) or "<html" in low[:500]:  # the body, not the header, decides
        m = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
        title = f" titled {m.group(1).strip()[:80]!r}" if m else ""
        return f"an HTML page{title}"
    if text.startswith("{"):
        try:
            doc = json.loads(content)
        except ValueError:
            return "broken JSON"
        if isinstance(doc, dict) and (doc.get("error") or "reason" in doc):
            return f"a JSON error ({str(doc.get('reason') or doc.get('error'))[:120]!r})"
        return "a JSON document"
    return f"{len(content)} bytes starting {content[:24]!r}"


def check_content(content: bytes, expect: str, content_type: str = "") -> str | None:
    """None when `content` can be what `expect` ("zip", "csv", "json") names, else what arrived instead."""
    what = describe(content, content_type)
    if expect == "zip":
        return None if content.startswith(b"PK") else f"expected a zip, got {what}"
    if expect == "csv":
        if not content.strip() or what.startswith(("an HTML page", "a JSON")):
            return f"expected a CSV file, got {what}"
        return None
    if expect == "json":
        if not content.lstrip().startswith(b"{"):
            return f"expected a JSON object, got {what}"
        if what.startswith("a JSON error"):
            return f"the API answered with {what[2:]}"
        return None
    raise ValueError(f"unknown expectation {expect!r}")


# --- the shared fetch step -------------------------------------------------------------------------


class Getter(Protocol):
    def get(self, url: str, params: dict[str, Any] | None = None) -> Fetched: ...


@dataclass
class Request:
    """One upstream file or API call: where, what it should be, and how to name it in reports."""

    url: str
    source: str  # tepco | open_meteo | jma
    name: str  # the file (or call) name used in the summary, the quarantine and the raw-file archive
    expect: str  # zip | csv | json
    params: dict[str, Any] | None = None
    not_published_label: str | None = None  # a 404 is "not published yet" (listed), not an error


class Fetcher:
    """Fetch requests for one run: every outcome lands in the run report, nothing raises.

    Returns the body, or None after noting why: not published (404, when the request allows it),
    the host is down (said once per host), the upstream kept failing, or the body is not what was
    asked for (quarantined with that reason).
    """

    def __init__(self, client: Getter, report: Any, quarantine_root: Path, workers: int = 4) -> None:
        self.client = client
        self.report = report
        self.quarantine_root = quarantine_root
        self.workers = workers
        self._lock = threading.Lock()

    def preflight(self, urls: list[str]) -> dict[str, str]:
        inner = getattr(self.client, "client", self.client)  # an ArchivingClient wraps the HttpClient
        return inner.preflight(urls) if hasattr(inner, "preflight") else {}

    def get(self, req: Request) -> bytes | None:
        try:
            fetched = self.client.get(req.url, params=req.params)
        except Exception as exc:  # noqa: BLE001 - one request never aborts a run: each outcome is noted
            self._note_failure(req, exc)
            return None
        problem = check_content(fetched.content, req.expect, fetched.content_type)
        with self._lock:
            self.report.files_fetched += 1
            if problem is not None:
                from ingest.quarantine import quarantine

                quarantine(self.quarantine_root, req.source, req.name, fetched.content, problem, self.report)
                self.report.errors.append(f"{req.source} {req.name}: {problem} (quarantined; asked again next run)")
                return None
        keep = getattr(self.client, "keep", None)  # the raw-file archive keeps what passed the check
        if keep is not None:
            keep(req.url, req.params, fetched.content)
        return fetched.content

    def _note_failure(self, req: Request, exc: Exception) -> None:
        with self._lock:
            if isinstance(exc, NotPublished) and req.not_published_label is not None:
                self.report.not_published.append(req.not_published_label)
            elif isinstance(exc, NotPublished):
                self.report.errors.append(f"{req.source} {req.name}: 404 from {req.url}")
            elif isinstance(exc, HostUnreachable):
                self.report.unreachable.setdefault(exc.host, exc.reason)
                self.report.skipped_by_outage += 1
            elif isinstance(exc, UpstreamError):
                self.report.errors.append(f"{req.source} {req.name}: {exc}")
            else:  # a bug or a library's surprise: said, and the rest of the run goes on
                self.report.errors.append(f"{req.source} {req.name}: {type(exc).__name__}: {exc}")

    def get_many(self, reqs: list[Request]) -> list[bytes | None]:
        """Bodies in the order of `reqs`, fetched by at most `workers` threads (polite to free tiers)."""
        if len(reqs) <= 1 or self.workers <= 1:
            return [self.get(r) for r in reqs]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return list(pool.map(self.get, reqs))

"""One HTTP client for every upstream: timeouts, retries with backoff, our User-Agent.

dlt's `requests` helper retries 429 / 5xx / timeouts / dropped connections with
exponential backoff and honours `Retry-After`; we only add the settings and a
"not yet published" notion, because TEPCO answers 404 for a month it has not
published yet and that is an expected state, not a failure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from dlt.sources.helpers.requests import Client

from ingest.config import HttpSettings

log = logging.getLogger(__name__)


class NotPublished(Exception):
    """The upstream answered 404: the file does not exist (yet)."""


class UpstreamError(Exception):
    """The upstream kept failing after all retries (5xx, 429, timeouts, refused)."""


@dataclass
class Fetched:
    """Bytes of one upstream response plus what is needed to archive or report it."""

    url: str
    content: bytes
    status: int


class HttpClient:
    """A retrying session configured from `HttpSettings`."""

    def __init__(self, settings: HttpSettings | None = None) -> None:
        self.settings = settings or HttpSettings()
        client = Client(
            request_timeout=self.settings.timeout_s,
            raise_for_status=False,
            request_max_attempts=self.settings.max_attempts,
            request_backoff_factor=self.settings.backoff_factor,
            request_max_retry_delay=self.settings.backoff_max_s,
            respect_retry_after_header=True,
            session_attrs={"headers": {"User-Agent": self.settings.user_agent}},
        )
        self._session = client.session

    def get(self, url: str, params: dict[str, Any] | None = None) -> Fetched:
        """GET with retries; 404 → `NotPublished`; other failures → `UpstreamError`."""
        try:
            resp = self._session.get(url, params=params)
        except requests.RequestException as exc:  # retries exhausted on timeouts/conn errors
            raise UpstreamError(f"{type(exc).__name__} after retries from {url}") from exc
        if resp.status_code == 404:
            raise NotPublished(url)
        if resp.status_code >= 400:
            raise UpstreamError(f"HTTP {resp.status_code} after retries from {url}: {resp.text[:120]!r}")
        return Fetched(url=resp.url, content=resp.content, status=resp.status_code)


def fetch_or_note(client: Any, url: str, report: Any, error_label: str, *, params: dict[str, Any] | None = None,
                  not_published_label: str | None = None) -> bytes | None:
    """The response body, or None after noting why in the run report, so one bad file never stops a run.

    A 404 is "not published" (listed, not an error) when `not_published_label` is given (TEPCO's
    monthly zip of a month that has not started), else an error; other failures are errors.
    """
    try:
        fetched = client.get(url, params=params)
    except NotPublished:
        if not_published_label is None:
            report.errors.append(f"{error_label}: 404 from {url}")
        else:
            report.not_published.append(not_published_label)
        return None
    except UpstreamError as exc:
        report.errors.append(f"{error_label}: {exc}")
        return None
    report.files_fetched += 1
    return fetched.content

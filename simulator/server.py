"""HTTP front of the simulator: routes, fault gates, control endpoint, lifecycle.

One process can serve many pipeline runs: ``POST /_sim/config`` moves the simulated
date or switches faults between runs, and ``GET /_sim/requests`` lets a test assert
how many attempts the ingestion made (e.g. that it retried after a 500);
``GET /_sim/request_paths`` lists the paths asked for, in order (e.g. that a resumed
bootstrap did not fetch again what had landed).

Per request, in this order: count it, sleep for ``slow``, refuse TEPCO requests
with a python-requests / missing User-Agent (403), answer an ``http429``/``http500``
switch that still has budget, then serve the content (with content faults).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import threading
import time
import traceback
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from core.time import ISSUE_HOUR_JST, JST
from simulator import om_json
from simulator import open_meteo as om
from simulator.faults import Fault, FaultSet
from simulator.tepco import TepcoFiles

TEPCO_PREFIX = "/tepco/forecast/html/images"
ARCHIVE_PATH = "/open-meteo/archive/v1/archive"
FORECAST_PATH = "/open-meteo/forecast/v1/forecast"
PREVIOUS_RUNS_PATH = "/open-meteo/previous-runs/v1/forecast"
REQUEST_KINDS = (
    "tepco_power_usage",
    "tepco_juyo",
    "tepco_live",
    "tepco_other",
    "open_meteo_archive",
    "open_meteo_forecast",
    "open_meteo_previous_runs",
    "open_meteo_other",
    "jma",
    "other",
)
CONFIG_KEYS = ("as_of", "faults", "noise_seed", "noise_rho", "archive_delay_days")
_ZIP_RE = re.compile(rf"^{TEPCO_PREFIX}/(\d{{6}})_power_usage\.zip$")
_JUYO_RE = re.compile(rf"^{TEPCO_PREFIX}/juyo-(\d{{4}})\.csv$")
LIVE_PATH = f"{TEPCO_PREFIX}/juyo-d1-j.csv"
JMA_PREFIX = "/jma/tokyo_hourly_temperature"
_JMA_RE = re.compile(rf"^{JMA_PREFIX}/temperature-(\d{{4}})\.csv$")


def _as_moment(value: str | dt.date) -> dt.datetime:
    """The simulated moment, JST: a date means 04:00 JST that day (when the daily job runs); a
    datetime or `YYYY-MM-DDTHH:MM` without a zone is JST wall-clock time."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day, ISSUE_HOUR_JST)
    else:
        text = str(value)
        moment = (
            dt.datetime.fromisoformat(text) if "T" in text or " " in text else _as_moment(dt.date.fromisoformat(text))
        )
    return moment.replace(tzinfo=JST) if moment.tzinfo is None else moment.astimezone(JST)


def classify(path: str) -> tuple[str, str | None]:
    """(request kind for the counters, fault scope or None for paths no fault touches)."""
    if _ZIP_RE.match(path):
        return "tepco_power_usage", "tepco"
    if _JUYO_RE.match(path):
        return "tepco_juyo", "tepco"
    if path == LIVE_PATH:
        return "tepco_live", "tepco"
    if path.startswith("/tepco/"):
        return "tepco_other", "tepco"
    if path == ARCHIVE_PATH:
        return "open_meteo_archive", "open_meteo"
    if path == FORECAST_PATH:
        return "open_meteo_forecast", "open_meteo"
    if path == PREVIOUS_RUNS_PATH:
        return "open_meteo_previous_runs", "open_meteo"
    if path.startswith("/open-meteo/"):
        return "open_meteo_other", "open_meteo"
    if _JMA_RE.match(path):
        return "jma", "jma"
    return "other", None


class SimulatorServer:
    """Serve a data folder as TEPCO + Open-Meteo would have on the morning of ``as_of``.

    ``as_of``, ``faults``, ``noise_seed``, ``noise_rho`` and ``archive_delay_days``
    may be changed while the server runs (assigning ``faults`` resets their budgets).
    """

    def __init__(
        self,
        data_dir: str | Path,
        as_of: str | dt.date,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        noise_seed: int | None = None,
        noise_rho: float = 0.95,
        archive_delay_days: int = 0,
        faults: Iterable[str | Fault] = (),
        log: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        if not self.data_dir.is_dir():
            raise FileNotFoundError(f"data folder not found: {self.data_dir}")
        self.host, self.port, self.log = host, port, log
        self.tepco = TepcoFiles(self.data_dir)
        self.open_meteo = om.OpenMeteoStore(self.data_dir)
        self._faults = FaultSet()
        self._counts = dict.fromkeys(REQUEST_KINDS, 0)
        self._paths: list[str] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._as_of: dt.datetime = _as_moment(as_of)
        self.noise_seed: int | None = None
        self.noise_rho = 0.95
        self.archive_delay_days = 0
        self.configure(
            as_of=as_of,
            faults=list(faults),
            noise_seed=noise_seed,
            noise_rho=noise_rho,
            archive_delay_days=archive_delay_days,
        )

    # --- configuration ---------------------------------------------------------------

    @property
    def as_of(self) -> dt.date:
        """The simulated JST date (files are served as on that morning)."""
        return self._as_of.date()

    @as_of.setter
    def as_of(self, value: str | dt.date) -> None:
        self._as_of = _as_moment(value)

    @property
    def as_of_at(self) -> dt.datetime:
        """The simulated moment (JST): 04:00 of `as_of` unless a time was given."""
        return self._as_of

    @property
    def faults(self) -> tuple[Fault, ...]:
        return self._faults.faults

    @faults.setter
    def faults(self, specs: Iterable[str | Fault]) -> None:
        self._faults = FaultSet(specs)

    @property
    def fault_set(self) -> FaultSet:
        return self._faults

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Validate and apply several settings at once (all or nothing); return the config."""
        unknown = set(changes) - set(CONFIG_KEYS)
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}; known: {list(CONFIG_KEYS)}")
        new: dict[str, Any] = {}
        if "as_of" in changes:
            new["as_of"] = _as_moment(changes["as_of"])
        if "faults" in changes:
            specs = changes["faults"]
            if isinstance(specs, str) or not isinstance(specs, Iterable):
                raise ValueError("faults must be a list of SPEC strings")
            new["faults"] = FaultSet(specs)
        if "noise_seed" in changes:
            seed = changes["noise_seed"]
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
                raise ValueError("noise_seed must be a non-negative integer or null")
            new["noise_seed"] = seed
        if "noise_rho" in changes:
            rho = changes["noise_rho"]
            if isinstance(rho, bool) or not isinstance(rho, (int, float)) or not 0 <= rho < 1:
                raise ValueError("noise_rho must be a number in [0, 1)")
            new["noise_rho"] = float(rho)
        if "archive_delay_days" in changes:
            delay = changes["archive_delay_days"]
            if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
                raise ValueError("archive_delay_days must be a non-negative integer")
            new["archive_delay_days"] = delay
        if "faults" in new:
            self._faults = new.pop("faults")
        for key, value in new.items():
            setattr(self, key, value)
        return self.config()

    def config(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "as_of_at": self.as_of_at.isoformat(),
            "faults": self._faults.specs(),
            "noise_seed": self.noise_seed,
            "noise_rho": self.noise_rho,
            "archive_delay_days": self.archive_delay_days,
            "data_dir": str(self.data_dir),
        }

    def request_counts(self) -> dict[str, int]:
        """Requests received per kind since start or the last reset (control calls excluded)."""
        with self._lock:
            return dict(self._counts)

    def reset_request_counts(self) -> None:
        with self._lock:
            self._counts = dict.fromkeys(REQUEST_KINDS, 0)
            self._paths = []

    def _count(self, kind: str, path: str = "") -> None:
        with self._lock:
            self._counts[kind] += 1
            self._paths.append(path)

    def request_paths(self) -> list[str]:
        """Every path requested since start or the last reset, in arrival order (control calls excluded)."""
        with self._lock:
            return list(self._paths)

    # --- lifecycle -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("simulator not started")
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self._httpd.server_address[1]}"

    def env(self) -> dict[str, str]:
        """Environment overrides that point the ingestion at this simulator."""
        base = self.base_url
        return {
            "TEPCO_BASE_URL": base + TEPCO_PREFIX,
            "OPEN_METEO_ARCHIVE_URL": base + ARCHIVE_PATH,
            "OPEN_METEO_FORECAST_URL": base + FORECAST_PATH,
            "OPEN_METEO_PREVIOUS_RUNS_URL": base + PREVIOUS_RUNS_PATH,
            "JMA_BASE_URL": base + JMA_PREFIX,
            "ENERGY_SIMULATOR_URL": base,
        }

    def start(self) -> str:
        """Listen (port 0 → a free port) and serve from a daemon thread; return the base URL."""
        if self._httpd is not None:
            raise RuntimeError("simulator already started")
        httpd = ThreadingHTTPServer((self.host, self.port), _Handler)
        httpd.daemon_threads = True
        httpd.sim = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="energy-simulator", daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> SimulatorServer:
        if self._httpd is None:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    """Routes one request; all state lives on the ``SimulatorServer`` (``self.server.sim``)."""

    protocol_version = "HTTP/1.1"
    server_version = "energy-simulator/1"

    @property
    def sim(self) -> SimulatorServer:
        return self.server.sim  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        if self.sim.log:
            sys.stderr.write(f"[simulator] {self.address_string()} {format % args}\n")

    def do_GET(self) -> None:
        self._dispatch(body=True)

    def do_HEAD(self) -> None:
        self._dispatch(body=False)

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/_sim/config":
            self._send(405, b"POST only on /_sim/config\n", "text/plain")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            changes = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(changes, dict):
                raise ValueError("body must be a JSON object")
            config = self.sim.configure(**changes)
        except (ValueError, TypeError) as exc:
            self._json(400, {"error": True, "reason": str(exc)})
            return
        self._json(200, config)

    def do_DELETE(self) -> None:
        if urlsplit(self.path).path != "/_sim/requests":
            self._send(405, b"DELETE only on /_sim/requests\n", "text/plain")
            return
        self.sim.reset_request_counts()
        self._json(200, self.sim.request_counts())

    # --- helpers ---------------------------------------------------------------------

    def _send(
        self, status: int, payload: bytes, content_type: str, body: bool = True, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if body:
            self.wfile.write(payload)

    def _json(self, status: int, doc: Any, body: bool = True) -> None:
        self._send(status, json.dumps(doc).encode(), "application/json", body)

    def _om_error(self, status: int, reason: str, body: bool) -> None:
        data = om_json.dumps({"error": True, "reason": reason}).encode()
        self._send(status, data, "application/json; charset=utf-8", body)

    def _html(self, status: int, title: str, body: bool, headers: dict[str, str] | None = None) -> None:
        page = f"<html><head><title>{status} {title}</title></head><body><h1>{title}</h1></body></html>\n"
        self._send(status, page.encode(), "text/html; charset=utf-8", body, headers)

    def _dispatch(self, body: bool) -> None:
        url = urlsplit(self.path)
        if url.path.startswith("/_sim/"):
            self._control(url.path, body)
            return
        sim = self.sim
        kind, scope = classify(url.path)
        sim._count(kind, url.path)
        moment, faults = sim.as_of_at, sim.fault_set  # one consistent snapshot per request
        as_of = moment.date()
        if scope is None:
            self._html(404, "Not Found", body)
            return
        delay = faults.delay(scope)
        if delay:
            time.sleep(delay)
        agent = self.headers.get("User-Agent", "")
        if scope == "tepco" and (not agent or agent.lower().startswith("python-requests")):
            self._html(403, "Forbidden", body)
            return
        if faults.has("maintenance_page", scope):
            page = (
                "<!DOCTYPE html><html><head><title>メンテナンス中 / Maintenance</title></head>"
                "<body><p>ただいまメンテナンス中です。</p></body></html>"
            ).encode()
            self._send(200, page, "text/html; charset=utf-8", body)
            return
        if faults.has("empty_body", scope):
            self._send(200, b"", "application/octet-stream", body)
            return
        status = faults.take_error(scope)
        if status is not None:
            extra = {"Retry-After": "1"} if status == 429 else None
            if scope == "open_meteo" and status == 429:
                reason = "Minutely API request limit exceeded. Please try again in one minute."
                data = om_json.dumps({"error": True, "reason": reason}).encode()
                self._send(429, data, "application/json; charset=utf-8", body, extra)
            else:
                self._html(status, "Too Many Requests" if status == 429 else "Internal Server Error", body, extra)
            return
        try:
            if scope == "tepco":
                self._tepco(url.path, as_of, moment, faults, body)
            elif scope == "jma":
                self._jma(url.path, as_of, body)
            else:
                self._open_meteo(kind, url.query, moment, faults, body)
        except Exception:  # noqa: BLE001 - a simulator bug must show up as a 500 plus a traceback, not a hang
            traceback.print_exc(file=sys.stderr)
            self._html(500, "Simulator Error", body)

    def _tepco(self, path: str, as_of: dt.date, moment: dt.datetime, faults: FaultSet, body: bool) -> None:
        if m := _ZIP_RE.match(path):
            data = self.sim.tepco.power_usage(m[1], as_of, faults)
            content_type = "application/zip"
        elif m := _JUYO_RE.match(path):
            data = self.sim.tepco.juyo(int(m[1]), as_of, faults)
            content_type = "text/csv"
        elif path == LIVE_PATH:
            data = self.sim.tepco.live(moment)
            content_type = "text/csv"
        else:
            data = None
            content_type = ""
        if data is None:
            self._html(404, "Not Found", body)
        else:
            self._send(200, data, content_type, body)

    def _jma(self, path: str, as_of: dt.date, body: bool) -> None:
        """JMA station files as stored, cut to readings before the simulated date."""
        m = _JMA_RE.match(path)
        year = int(m[1]) if m else 0
        file = self.sim.data_dir / "jma" / "tokyo_hourly_temperature" / f"temperature-{year}.csv"
        if not m or year > as_of.year or not file.exists():
            self._html(404, "Not Found", body)
            return
        kept = []
        for line in file.read_bytes().splitlines(keepends=True):
            head = line.split(b" ", 1)[0]
            if head[:1].isdigit() and head.count(b"/") == 2:
                y, mo, d = (int(x) for x in head.split(b"/"))
                if dt.date(y, mo, d) >= as_of:
                    continue
            kept.append(line)
        self._send(200, b"".join(kept), "text/csv", body)

    def _open_meteo(self, kind: str, query: str, moment: dt.datetime, faults: FaultSet, body: bool) -> None:
        sim = self.sim
        params = parse_qs(query, keep_blank_values=True)
        as_of = moment.date()
        try:
            if kind == "open_meteo_archive":
                doc = om.archive(sim.open_meteo, params, as_of, sim.archive_delay_days)
            elif kind == "open_meteo_forecast":
                doc = om.forecast(sim.open_meteo, params, as_of, sim.noise_seed, sim.noise_rho, faults)
            elif kind == "open_meteo_previous_runs":
                doc = om.previous_runs(sim.open_meteo, params, moment, sim.noise_seed, sim.noise_rho)
            else:
                self._om_error(404, "Not Found", body)
                return
        except om.OpenMeteoError as exc:
            self._om_error(400, exc.reason, body)
            return
        self._send(200, om_json.dumps(doc).encode("utf-8"), "application/json; charset=utf-8", body)

    def _control(self, path: str, body: bool) -> None:
        if path == "/_sim/config":
            self._json(200, self.sim.config(), body)
        elif path == "/_sim/requests":
            self._json(200, self.sim.request_counts(), body)
        elif path == "/_sim/request_paths":
            self._json(200, self.sim.request_paths(), body)
        else:
            self._json(404, {"error": True, "reason": f"unknown control path {path}"}, body)

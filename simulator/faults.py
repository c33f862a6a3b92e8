"""Fault switches: the upstream misbehaviour the ingestion must survive or detect.

Grammar (one switch per SPEC, several may be active)::

    SPEC  := NAME [":" ARG] ["@" SCOPE]
    SCOPE := "tepco" | "open_meteo" | "all"            (default "all")

    http500[:N]            first N matching requests answer 500 (no N: all of them)
    http429[:N]            first N matching requests answer 429 + "Retry-After: 1"
    slow:SECONDS           sleep SECONDS (float >= 0) before answering
    truncated_zip          monthly zips cut to half their bytes            (tepco only)
    corrupt_csv            latest member: one hourly cell becomes "abc"     (tepco only)
    short_block            latest member: hourly block loses its last 5 rows (tepco only)
    wrong_encoding         latest member re-encoded UTF-8                   (tepco only)
    not_published          zip of as_of's month answers 404                 (tepco only)
    revised_value[:DATE]   +100 on the 12:00 actual of DATE's member        (tepco only)
    tail_nulls:N           forecast: last N hours of every variable null    (open_meteo only)
    juyo_frozen:DATE       yearly juyo files stopped growing on DATE: the file of DATE's year holds
                           the rows before DATE under a `DATE 5:40 UPDATE` title, later years
                           answer 404 (TEPCO's files froze on 2025-07-22)  (tepco only)
    spike_hour             latest member: the 12:00 actual ×10 (an impossible hour)  (tepco only)
    copied_day             latest member: its 24 hourly actuals copied from the member a week
                           earlier (a day re-published under another date)          (tepco only)
    maintenance_page       HTTP 200 with an HTML maintenance page instead of the file or JSON
    empty_body             HTTP 200 with an empty body

Request-failing switches (http500/http429) are consulted in the order given; the
first one with budget left answers and spends one unit of its budget, so
``http429:1 http500:1`` gives 429, then 500, then the real answer.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass

SCOPES = ("tepco", "open_meteo", "all")
#: name -> (argument kind, argument required, the only scope it can act on or None)
_SPECS: dict[str, tuple[str | None, bool, str | None]] = {
    "http500": ("count", False, None),
    "http429": ("count", False, None),
    "slow": ("seconds", True, None),
    "truncated_zip": (None, False, "tepco"),
    "corrupt_csv": (None, False, "tepco"),
    "short_block": (None, False, "tepco"),
    "wrong_encoding": (None, False, "tepco"),
    "not_published": (None, False, "tepco"),
    "revised_value": ("date", False, "tepco"),
    "tail_nulls": ("count", True, "open_meteo"),
    "juyo_frozen": ("date", True, "tepco"),
    "spike_hour": (None, False, "tepco"),
    "copied_day": (None, False, "tepco"),
    "maintenance_page": (None, False, None),
    "empty_body": (None, False, None),
}
FAULT_NAMES = tuple(_SPECS)


@dataclass(frozen=True)
class Fault:
    """One parsed switch; ``arg`` is kept as text so ``str(fault)`` round-trips."""

    name: str
    arg: str | None = None
    scope: str = "all"

    def __str__(self) -> str:
        arg = f":{self.arg}" if self.arg is not None else ""
        return f"{self.name}{arg}@{self.scope}"

    def applies_to(self, scope: str) -> bool:
        """Whether this switch acts on requests of ``scope`` ("tepco" / "open_meteo")."""
        return self.scope in ("all", scope)

    @property
    def count(self) -> int | None:
        """N of ``http500:N`` / ``http429:N`` / ``tail_nulls:N``; None means unlimited."""
        return int(self.arg) if self.arg is not None else None

    @property
    def seconds(self) -> float:
        return float(self.arg or 0)

    @property
    def date(self) -> dt.date | None:
        return dt.date.fromisoformat(self.arg) if self.arg else None


def parse_fault(spec: str | Fault) -> Fault:
    """Parse and validate one SPEC; raise ValueError with a readable reason."""
    if isinstance(spec, Fault):
        return spec
    text = spec.strip()
    body, at, scope = text.rpartition("@")
    if not at:
        body, scope = text, "all"
    name, colon, arg = body.partition(":")
    if name not in _SPECS:
        raise ValueError(f"unknown fault {name!r} in {spec!r}; known: {', '.join(FAULT_NAMES)}")
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r} in {spec!r}; use one of {', '.join(SCOPES)}")
    kind, required, only_scope = _SPECS[name]
    if only_scope and scope not in ("all", only_scope):
        raise ValueError(f"fault {name!r} only acts on {only_scope!r}, not {scope!r}")
    if not colon:
        if required:
            raise ValueError(f"fault {name!r} needs an argument ({kind})")
        return Fault(name, None, scope)
    if kind is None:
        raise ValueError(f"fault {name!r} takes no argument")
    try:
        if kind == "count":
            ok = int(arg) > 0
        elif kind == "seconds":
            ok = float(arg) >= 0
        else:
            dt.date.fromisoformat(arg)
            ok = True
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"bad argument {arg!r} for fault {name!r} (expected {kind})")
    return Fault(name, arg, scope)


class FaultSet:
    """The active switches plus the remaining budget of the counted ones (thread-safe)."""

    def __init__(self, specs: Iterable[str | Fault] = ()) -> None:
        self.faults: tuple[Fault, ...] = tuple(parse_fault(s) for s in specs)
        self._remaining: list[int | None] = [f.count if f.name in ("http500", "http429") else None for f in self.faults]
        self._lock = threading.Lock()

    def specs(self) -> list[str]:
        return [str(f) for f in self.faults]

    def get(self, name: str, scope: str) -> Fault | None:
        """The first active switch called ``name`` acting on ``scope``."""
        return next((f for f in self.faults if f.name == name and f.applies_to(scope)), None)

    def has(self, name: str, scope: str) -> bool:
        return self.get(name, scope) is not None

    def delay(self, scope: str) -> float:
        """Total sleep requested by ``slow`` switches acting on ``scope``."""
        return sum(f.seconds for f in self.faults if f.name == "slow" and f.applies_to(scope))

    def take_error(self, scope: str) -> int | None:
        """Status code to answer instead of serving (500/429), spending one unit of budget."""
        with self._lock:
            for i, f in enumerate(self.faults):
                if f.name not in ("http500", "http429") or not f.applies_to(scope):
                    continue
                left = self._remaining[i]
                if left is None:
                    return int(f.name[4:])
                if left > 0:
                    self._remaining[i] = left - 1
                    return int(f.name[4:])
        return None

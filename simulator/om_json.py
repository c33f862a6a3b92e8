"""Open-Meteo's JSON byte format: compact, UTF-8, a fixed number of decimals per variable.

``json.dumps`` would write ``0.0`` where Open-Meteo writes ``0.00`` for precipitation
and ``85.0`` where it writes ``85`` for humidity.  Parsers do not care, but the
generator promises files byte-identical in format to the stored responses (a test
re-serialises a real file and compares bytes), and the server uses the same writer
so responses look like upstream ones.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

#: Decimals Open-Meteo prints per hourly variable (0 → integer).  Unknown → plain JSON.
DECIMALS: dict[str, int] = {
    "temperature_2m": 1,
    "apparent_temperature": 1,
    "dew_point_2m": 1,
    "relative_humidity_2m": 0,
    "precipitation": 2,
    "rain": 2,
    "showers": 2,
    "snowfall": 2,
    "weather_code": 0,
    "cloud_cover": 0,
    "wind_speed_10m": 1,
    "wind_direction_10m": 0,
    "shortwave_radiation": 1,
}


_LEAD_VARIABLE = re.compile(r"^(?P<base>.+?)(?:_previous_day(?P<lead>\d+))?$")


def split_lead(var: str) -> tuple[str, int]:
    """How the Previous Runs API names a variable: `temperature_2m_previous_day3` → (`temperature_2m`, 3);
    a plain name is lead 0 (the latest run)."""
    m = _LEAD_VARIABLE.match(var)
    assert m is not None  # `.+?` matches any non-empty name
    return m["base"], int(m["lead"] or 0)


def decimals_of(var: str) -> int | None:
    """Decimals of a variable, also as the Previous Runs API names it (`temperature_2m_previous_day3`)."""
    return DECIMALS.get(var, DECIMALS.get(split_lead(var)[0]))


def format_number(value: float | int | None, decimals: int | None) -> str:
    """One array element as Open-Meteo writes it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    if decimals is None:
        return json.dumps(value)
    if decimals == 0:
        return str(int(round(value)))
    return f"{round(float(value), decimals):.{decimals}f}"  # keeps "-0.0" like upstream


def _array(values: Sequence[Any], decimals: int | None) -> str:
    return "[" + ",".join(format_number(v, decimals) for v in values) + "]"


def _plain(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dumps(payload: dict[str, Any]) -> str:
    """Serialise a response dict (key order kept) in Open-Meteo's format."""
    parts = []
    for key, value in payload.items():
        if key == "hourly" and isinstance(value, dict):
            cols = [
                f'"{var}":' + (_plain(vals) if var == "time" else _array(vals, decimals_of(var)))
                for var, vals in value.items()
            ]
            parts.append(f'"hourly":{{{",".join(cols)}}}')
        else:
            parts.append(f"{_plain(key)}:{_plain(value)}")
    return "{" + ",".join(parts) + "}"

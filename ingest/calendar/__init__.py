"""Japanese public holidays from the `holidays` package (no hand-kept calendar).

Substitute holidays (振替休日) are flagged here because the calendar logic in dbt
treats them like any holiday but reports them separately; bridge days (国民の休日)
come named by the package as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import dlt
import holidays
import pandas as pd

from core.load import columns

FIRST_YEAR = 2016


def holiday_rows(first_year: int, last_year: int) -> pd.DataFrame:
    years = range(first_year, last_year + 1)
    ja = holidays.Japan(years=years, language="ja")
    en = holidays.Japan(years=years, language="en_US")
    rows = [
        {
            "country": "JP",
            "holiday_date": d,
            "name_ja": name,
            "name_en": en.get(d),
            "is_substitute": name == "振替休日",
        }
        for d, name in sorted(ja.items())
    ]
    return pd.DataFrame(rows)


@dlt.resource(
    name="jp_holidays",
    primary_key=("country", "holiday_date"),
    write_disposition="merge",
    columns=columns(
        "holiday_date",
        country="text",
        holiday_date="date",
        name_ja="text",
        name_en="text",
        is_substitute="bool",
        loaded_at="timestamp",
    ),
)
def jp_holidays(last_year: int, loaded_at: datetime, first_year: int) -> Iterator[pd.DataFrame]:
    """Every holiday from `first_year` to `last_year` (the as-of year + 2)."""
    df = holiday_rows(first_year, last_year)
    df["loaded_at"] = pd.Timestamp(loaded_at)
    yield df

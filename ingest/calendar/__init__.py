"""Japanese public holidays from the `holidays` package (no hand-kept calendar).

Substitute holidays (振替休日) are flagged here because the calendar logic in dbt
treats them like any holiday but reports them separately; bridge days (国民の休日)
come named by the package as well.
"""

from __future__ import annotations

from datetime import datetime

import holidays
import pandas as pd

from ingest.load import RawTable
from ingest.tables import JP_HOLIDAYS, JP_HOLIDAYS_KEY, table_from_frame

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


def to_raw_tables(last_year: int, loaded_at: datetime, first_year: int = FIRST_YEAR) -> list[RawTable]:
    """Every holiday from `first_year` to `last_year` (the as-of year + 2)."""
    df = holiday_rows(first_year, last_year)
    df["loaded_at"] = pd.Timestamp(loaded_at)
    df["loaded_at"] = pd.to_datetime(df["loaded_at"], utc=True)
    return [RawTable("jp_holidays", table_from_frame(df, JP_HOLIDAYS), JP_HOLIDAYS_KEY, "holiday_date")]

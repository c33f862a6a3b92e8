"""The local dashboard for DuckDB users without Looker Studio: one self-contained HTML page drawn
from the marts (`page.py`), and a headless-browser check that every chart drew data (`browser.py`).

    python -m dashboard [--out PATH] [--area tokyo]      (also: python -m ml report, make dashboard)
"""

from dashboard.page import DashboardData, load, render, write

__all__ = ["DashboardData", "load", "render", "write"]

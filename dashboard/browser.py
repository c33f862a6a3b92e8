"""Open a page in headless Chromium (Debian's `chromium`) and read back what it drew.

Used by the dashboard test and benchmark. No driver library: Chromium's own `--dump-dom` gives
the DOM after the scripts ran, `--enable-logging=stderr` gives the console, `--screenshot` a PNG.
The flags keep Chromium off the network (this machine has none; without them it retries for
Google's hosts at every start).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from core import settings

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--hide-scrollbars",
]


@dataclass
class PageCheck:
    status: str  # the page's own data-status: "ok" or "error: …"
    drawn: dict[str, int]  # chart id → marks drawn (data-drawn)
    console: list[str]  # every console message the page logged
    load_seconds: float  # browser start → DOM dumped (scripts finished)
    screenshot: Path | None = None


def chromium(wait_s: float = 0) -> str | None:
    """The chromium executable, or None. When a background install is under way
    (ENERGY_CHROMIUM_INSTALL_STATUS names the file it writes its exit status to, as .ci/run does, so the
    download overlaps the tests instead of delaying them), wait up to `wait_s` for it to finish first."""
    status = settings.get("ENERGY_CHROMIUM_INSTALL_STATUS")
    deadline = time.monotonic() + wait_s
    while status and not Path(status).exists() and time.monotonic() < deadline:
        time.sleep(2)
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def check_page(page: Path, screenshot: Path | None = None, width: int = 1280, height: int = 2400) -> PageCheck:
    exe = chromium(wait_s=900)
    if exe is None:
        raise RuntimeError("chromium not found: apt-get install chromium")
    url = page.resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        t0 = time.perf_counter()
        proc = subprocess.run(
            [exe, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=120,
        )
        seconds = time.perf_counter() - t0
        if screenshot is not None:
            subprocess.run(
                [
                    exe,
                    *FLAGS,
                    f"--user-data-dir={profile}",
                    f"--window-size={width},{height}",
                    f"--screenshot={screenshot}",
                    url,
                ],
                capture_output=True,
                timeout=120,
                check=True,
            )
    dom = proc.stdout
    status = re.search(r'<body[^>]*data-status="([^"]*)"', dom)
    drawn = {
        m.group(1): int(m.group(2)) for m in re.finditer(r'<svg[^>]*id="(chart-[a-z]+)"[^>]*data-drawn="(\d+)"', dom)
    }
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return PageCheck(
        status.group(1) if status else "no status (page did not load?)", drawn, console, seconds, screenshot
    )

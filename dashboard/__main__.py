"""`python -m dashboard [--out PATH] [--area AREA]`: write the local HTML dashboard from the marts."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from core import settings as config
from core.settings import KNOWN_AREAS


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dashboard", description=__doc__.split(":", 1)[1].strip())
    p.add_argument("--out", default=None, help="default <data dir>/dashboard/index.html")
    p.add_argument("--area", default=config.area(), choices=KNOWN_AREAS, help="supply area (env ENERGY_AREA)")
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:
        return 64 if exc.code else 0
    from dashboard import write

    t0 = time.perf_counter()
    out = write(config.Settings(), Path(args.out) if args.out else None, args.area)
    print(f"dashboard: {out} ({out.stat().st_size / 1024:.0f} KiB) in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

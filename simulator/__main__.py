"""``python -m simulator``: run the simulator until SIGTERM/SIGINT.

The only thing written to stdout is the ``export`` lines (flushed as soon as the
port is bound), so a wrapper script can start the simulator in the background,
wait for those lines and ``eval`` them; request logs go to stderr.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from simulator.faults import parse_fault
from simulator.server import SimulatorServer


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m simulator", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--data", required=True, type=Path, help="folder laid out like ../shared/data")
    p.add_argument(
        "--as-of",
        required=True,
        type=str,
        help="simulated moment: YYYY-MM-DD (04:00 JST that day, when the daily job runs; the days before it "
        "are published) or YYYY-MM-DDTHH:MM JST (the live same-day file as it stood then)",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    p.add_argument("--noise-seed", type=int, default=None, help="add seeded forecast noise (default: none)")
    p.add_argument("--noise-rho", type=float, default=0.95, help="hourly AR(1) correlation of the noise")
    p.add_argument(
        "--archive-delay-days", type=int, default=0, help="archive values are null from (as_of - N days) 00:00 on"
    )
    p.add_argument(
        "--fault",
        action="extend",
        nargs="+",
        default=[],
        metavar="SPEC",
        type=_fault,
        help="name[:arg][@tepco|open_meteo|all]; several per flag or repeated flags (grammar: simulator/faults.py)",
    )
    p.add_argument("--log", action="store_true", help="log requests to stderr")
    return p


def _fault(spec: str) -> str:
    try:
        parse_fault(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return spec


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        sim = SimulatorServer(
            args.data,
            args.as_of,
            host=args.host,
            port=args.port,
            noise_seed=args.noise_seed,
            noise_rho=args.noise_rho,
            archive_delay_days=args.archive_delay_days,
            faults=args.fault,
            log=args.log,
        )
    except (ValueError, FileNotFoundError) as exc:
        print(f"simulator: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        sim.start()
    except OSError as exc:  # port in use, bad host
        print(f"simulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    for key, value in sim.env().items():
        print(f"export {key}={value}")
    sys.stdout.flush()
    print(
        f"simulator: serving {sim.data_dir} as of {sim.as_of_at:%Y-%m-%d %H:%M} JST at {sim.base_url}",
        file=sys.stderr,
        flush=True,
    )
    while not stop.wait(0.5):
        pass
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m ingest.simulator.generate`: the same as `python -m simulator.generate` (kept for existing scripts)."""

import sys

from simulator.generate import generate, main

__all__ = ["generate", "main"]

if __name__ == "__main__":
    sys.exit(main())

"""`python -m ingest.simulator`: the same as `python -m simulator` (kept for existing scripts)."""

import sys

from simulator.__main__ import main

if __name__ == "__main__":
    sys.exit(main())

"""Local stand-in for the pipeline's network upstreams (TEPCO でんき予報 files, Open-Meteo).

The production machine and CI have no internet, so every network source must be
testable against something that answers in the exact upstream formats.  This
package serves a data folder laid out like ``../shared/data`` as if today were a
chosen ``as_of`` date, can inject the upstream failures we have seen (or fear),
and can generate a synthetic folder in the same byte formats so tests do not
depend on the licensed real files.

Entry points:

* ``python -m simulator --data DIR --as-of YYYY-MM-DD`` (see ``__main__``);
* :class:`SimulatorServer` for tests;
* ``python -m simulator.generate`` for synthetic data.
"""

from simulator.faults import Fault, parse_fault
from simulator.server import SimulatorServer

__all__ = ["Fault", "SimulatorServer", "parse_fault"]

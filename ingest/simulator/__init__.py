"""The old home of the upstream simulator, kept so `python -m ingest.simulator` and
`from ingest.simulator import SimulatorServer` keep working; the simulator is the `simulator`
package now (a dev/test tool, not part of the ingestion)."""

from simulator import Fault, SimulatorServer, parse_fault

__all__ = ["Fault", "SimulatorServer", "parse_fault"]

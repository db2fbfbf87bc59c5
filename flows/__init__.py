"""demogen: plans, store, dbt wrapper, reports, Prefect flows and the CLI."""

import sys
from pathlib import Path

# Prefect runs an entrypoint `flows/<module>.py:<flow>` by putting flows/ itself first on
# sys.path (and leaving it there): flows/dbt.py would then shadow the real dbt package.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [entry for entry in sys.path if entry != _HERE and str(Path(entry or ".").resolve()) != _HERE]

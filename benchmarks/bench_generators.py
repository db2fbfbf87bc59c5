"""Generator throughput: records per second for a big month, six months after one another, and the example
plan, median of runs.

Also the example plan in a new process, as a CLI command pays it: imports, then the plan,
with the locale pools read from their disk cache or (cache off) built from Faker.

Run: .venv/bin/python -m benchmarks.bench_generators [--runs 5] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import polars as pl

from generators import EntityFrames, Stage, TenantContext, generate_month, generate_plan
from generators.ids import id_range
from generators.pool_cache import CACHE_DIR_ENV

JOB = "2b0f5d1e-8c3a-4f6b-9d7e-0a1b2c3d4e5f"
AS_OF = datetime(2025, 7, 1, 12, tzinfo=UTC)
STAGES = (
    Stage("qualified", "Qualified", 1, False, False),
    Stage("proposal", "Proposal", 2, False, False),
    Stage("won", "Closed won", 3, True, False),
    Stage("lost", "Closed lost", 4, False, True),
)
# 500,000 records: 250k people, 20k companies, 30k deals, 200k activities (2 per contact).
BIG_MONTH = {
    "leadsCreated": 150_000,
    "contactsCreated": 100_000,
    "companiesCreated": 20_000,
    "dealsCreated": 30_000,
    "closedWonCount": 10_000,
    "closedWonValue": 120_000_000,
    "pipelineAddedValue": 300_000_000,
}
# Six months of a third of the big month each (999,996 records at --scale 1), in one plan: each month
# sees the records of the months before it (parents, taken emails and domains), as in a big patch.
SIX_MONTHS = [f"2025-0{month}" for month in range(1, 7)]
# A new process generating the example plan; it prints its import and generation seconds.
CHILD = """
import json, sys, time
started = time.perf_counter()
from benchmarks.bench_generators import AS_OF, JOB, tenant
from generators import generate_plan
imported = time.perf_counter()
frames = generate_plan(json.loads(sys.argv[1]), tenant(), as_of=AS_OF, job_id=JOB, seed="new-process")
print(json.dumps({"import_s": imported - started, "generate_s": time.perf_counter() - imported}))
"""


def example_plan() -> list[tuple[str, dict[str, int]]]:
    from tests.helpers import example_months  # imports the engine: only the parent process needs it

    return [(month, dict(deltas)) for month, deltas in example_months().items()]


def tenant() -> TenantContext:
    return TenantContext(
        tenant_id="7d9c1a52-0e4b-4d8f-a1c3-5b6e7f809a1b",
        timezone="America/New_York",
        locale="en_US",
        currency="USD",
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        owner_ids=("owner-1", "owner-2", "owner-3"),
        stages=STAGES,
        typical_deal_size=Decimal("12000"),
    )


def scaled(deltas: dict[str, int], scale: float) -> dict[str, int]:
    return {name: round(value * scale) for name, value in deltas.items()}


def measure(label: str, runs: int, make: Callable[[int], EntityFrames]) -> dict[str, object]:
    """Each run uses a fresh seed, so Faker pools are sampled anew as in a real job."""
    seconds, records = [], 0
    for run in range(runs):
        started = time.perf_counter()
        frames = make(run)
        seconds.append(time.perf_counter() - started)
        records = frames.records
    median = statistics.median(seconds)
    return {
        "scenario": label,
        "records": records,
        "runs": runs,
        "median_s": round(median, 3),
        "min_s": round(min(seconds), 3),
        "median_records_per_s": round(records / median),
    }


def measure_new_process(label: str, runs: int, plan: list[tuple[str, dict[str, int]]], cache: str) -> dict[str, object]:
    """Median seconds of a whole child process, and of its imports and its plan."""
    env = {**os.environ, CACHE_DIR_ENV: cache, "PYTHONPATH": os.getcwd()}
    walls, imports, plans = [], [], []
    for _ in range(runs):
        started = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(plan)], env=env, capture_output=True, text=True, check=True
        )
        walls.append(time.perf_counter() - started)
        timings = json.loads(child.stdout)
        imports.append(timings["import_s"])
        plans.append(timings["generate_s"])
    return {
        "scenario": label,
        "runs": runs,
        "median_process_s": round(statistics.median(walls), 3),
        "median_import_s": round(statistics.median(imports), 3),
        "median_generate_s": round(statistics.median(plans), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the big month")
    args = parser.parse_args()
    ctx = tenant()
    plan = example_plan()
    big = scaled(BIG_MONTH, args.scale)
    total = big["leadsCreated"] + 3 * big["contactsCreated"] + big["companiesCreated"] + big["dealsCreated"]
    generate_month("2025-03", plan[0][1], ctx, as_of=AS_OF, job_id=JOB, seed="warm-up")
    results = [
        measure(
            "big month",
            args.runs,
            lambda run: generate_month("2025-03", big, ctx, as_of=AS_OF, job_id=JOB, seed=f"big-{run}"),
        ),
        measure(
            "six months, a third of the big month each",
            max(1, args.runs // 2),  # half the runs: each is about 4 s on 2 cores
            lambda run: generate_plan(
                [(month, scaled(big, 1 / 3)) for month in SIX_MONTHS], ctx, as_of=AS_OF, job_id=JOB, seed=f"six-{run}"
            ),
        ),
        measure(
            "example plan, 3 months",
            args.runs,
            lambda run: generate_plan(plan, ctx, as_of=AS_OF, job_id=JOB, seed=f"example-{run}"),
        ),
        # The ids of the big month's records alone (generators/ids.py).
        measure(
            "ids alone",
            args.runs,
            lambda run: EntityFrames(activities=pl.DataFrame({"id": id_range(uuid.UUID(JOB), "activities", 0, total)})),
        ),
    ]
    with tempfile.TemporaryDirectory() as cache:
        measure_new_process("warm the pool cache", 1, plan, cache)
        results.append(measure_new_process("example plan, new process, pools cached", args.runs, plan, cache))
    results.append(measure_new_process("example plan, new process, pool cache off", args.runs, plan, ""))
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"nproc={cpus} load_avg_1m={os.getloadavg()[0]:.2f} python={platform.python_version()} polars={pl.__version__}"
    )
    for row in results:
        print("  ".join(f"{key}={value}" for key, value in row.items()))


if __name__ == "__main__":
    main()

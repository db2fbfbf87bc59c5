"""Benchmark: the steps before generation on a large tenant — prepare and load_context — and generation.

A tenant holding 1,000,000 records over two years (benchmarks/engine_fixtures.py: contacts
at companies, deals and activities on contacts), then two DELTAS plans on its last three
months: the example plan (678 records) and a 60,000-record one. Each is timed with the
working tree and with a baseline git ref (`--baseline`, by default the commit before the
context was scoped to the plan), on the same database, interleaved: each version runs in
its own process (benchmarks/context_worker.py), a warm-up then `--repeat` timed runs, for
`--rounds` rounds, alternating which version goes first.

    .venv/bin/python -m benchmarks.bench_context [--records 1000000] [--rounds 2] [--repeat 2]
        [--backend duckdb|postgres|both] [--baseline REF] [--postgres-url URL] [--quick] [--no-record]

Medians are written to benchmarks/results/context.json (not with --quick).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from benchmarks.bench_engine import make_plan
from benchmarks.engine_fixtures import ROOT, add_tenant, databases, load_synthetic, settle
from flows.plan.model import PatchPlan, plan_to_dict
from flows.store import open_store

RESULTS = ROOT / "benchmarks" / "results" / "context.json"
WORKER = ROOT / "benchmarks" / "context_worker.py"
BASELINE = "5b2e33b"  # the last commit that loaded every live record of the tenant before generation
SLUG = "context-bench"
FIRST_DATA_MONTH = "2023-04"  # two years of data, up to the plan's last month
DATA_MONTHS = 24
PLAN_MONTHS = ["2025-01", "2025-02", "2025-03"]
AS_OF = datetime(2025, 7, 15, 12, tzinfo=UTC)
STEPS = ("prepare_s", "load_context_s", "generate_s")


def plans(quick: bool) -> dict[str, PatchPlan]:
    example = yaml.safe_load((ROOT / "plans" / "examples" / "first-quarter-2025.yaml").read_text())
    example["tenant"] = SLUG
    per_month = 2_000 if quick else 20_000
    return {
        "example plan": PatchPlan.model_validate(example),
        f"{per_month * len(PLAN_MONTHS):,} records": make_plan(SLUG, PLAN_MONTHS, per_month, "context"),
    }


def export(ref: str, folder: Path) -> Path:
    """The code of git `ref` (flows, generators, dbt_project, plans) in `folder`, importable as packages."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "flows", "generators", "dbt_project", "plans"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def run_worker(code: Path, url: str, plan_file: Path, repeat: int) -> list[dict[str, Any]]:
    env = os.environ | {"PYTHONPATH": str(code)}
    done = subprocess.run(
        [sys.executable, str(WORKER), url, str(plan_file), AS_OF.isoformat(), str(repeat)],
        env=env,
        capture_output=True,
        text=True,
        cwd=code,
    )
    if done.returncode != 0:
        raise SystemExit(f"worker on {code} failed:\n{done.stderr[-3000:]}")
    runs: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])["runs"]
    return runs


def populate(url: str, records: int) -> None:
    """Run in a child process: dbt, which builds the views, keeps a DuckDB file open until its process ends."""
    with open_store(url) as store:
        tenant = add_tenant(store, SLUG, created_at=datetime(2023, 3, 1, tzinfo=UTC))
        load_synthetic(store, tenant, 1, records, FIRST_DATA_MONTH, DATA_MONTHS)
        settle(store)


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    medians = {step: round(statistics.median(r[step] for r in runs), 3) for step in STEPS}
    before = [r["prepare_s"] + r["load_context_s"] for r in runs]
    through = [r["prepare_s"] + r["load_context_s"] + r["generate_s"] for r in runs]
    return {
        "median_s": medians,
        "before_generation_median_s": round(statistics.median(before), 3),
        "through_generation_median_s": round(statistics.median(through), 3),
        "runs": runs,
        "context_rows": runs[0]["context_rows"],
        "records": runs[0]["records"],
        "same_rows_every_run": len({r["digest"] for r in runs}) == 1,
    }


def measure(url: str, variants: dict[str, Path], quick: bool, rounds: int, repeat: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="demogen-context-plans-") as folder:
        for name, plan in plans(quick).items():
            plan_file = Path(folder) / "plan.json"
            plan_file.write_text(json.dumps(plan_to_dict(plan)))
            runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
            for turn in range(rounds):
                order = list(variants) if turn % 2 == 0 else list(reversed(variants))
                for variant in order:
                    runs[variant] += run_worker(variants[variant], url, plan_file, repeat)
            result = {variant: summary(r) for variant, r in runs.items()}
            base, current = result["baseline"], result["current"]
            result["ratio_before_generation"] = round(
                current["before_generation_median_s"] / base["before_generation_median_s"], 3
            )
            result["ratio_through_generation"] = round(
                current["through_generation_median_s"] / base["through_generation_median_s"], 3
            )
            out[name] = result
            print(
                f"  {name}: before generation {base['before_generation_median_s']} s -> "
                f"{current['before_generation_median_s']} s ({result['ratio_before_generation']}x); "
                f"through generation {base['through_generation_median_s']} s -> "
                f"{current['through_generation_median_s']} s; context rows {base['context_rows']} -> "
                f"{current['context_rows']}",
                flush=True,
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per worker process, after a warm-up")
    parser.add_argument("--backend", choices=["duckdb", "postgres", "both"], default="both")
    parser.add_argument("--baseline", default=BASELINE, help="git ref of the code to compare with")
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--quick", action="store_true", help="20,000 records, one round, one run; records nothing")
    parser.add_argument("--no-record", action="store_true", help="Do not write benchmarks/results/.")
    args = parser.parse_args()
    if args.quick:
        args.records, args.rounds, args.repeat = 20_000, 1, 1

    backends = ["duckdb", "postgres"] if args.backend == "both" else [args.backend]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="demogen-baseline-code-") as folder:
        variants = {"baseline": export(args.baseline, Path(folder)), "current": ROOT}
        for backend in backends:
            with databases(backend, args.postgres_url) as dbs:
                url = dbs.new("context_bench")
                clock = time.perf_counter()
                child = multiprocessing.get_context("spawn").Process(target=populate, args=(url, args.records))
                child.start()
                child.join()
                if child.exitcode != 0:
                    raise SystemExit(f"{backend}: loading the tenant failed (exit {child.exitcode})")
                print(f"{backend}: loaded {args.records:,} records in {time.perf_counter() - clock:.0f} s", flush=True)
                results[backend] = measure(url, variants, args.quick, args.rounds, args.repeat)
    report = {
        "benchmark": "prepare + load_context (+ generation) on a large tenant, working tree vs baseline",
        "records": args.records,
        "baseline": args.baseline,
        "rounds": args.rounds,
        "repeat": args.repeat,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, nproc {os.cpu_count()}, {platform.python_implementation()} "
        f"{platform.python_version()}, load average {[round(x, 1) for x in os.getloadavg()]}",
        "backends": results,
    }
    print(json.dumps({k: v for k, v in report.items() if k != "backends"}, indent=2))
    if not args.quick and not args.no_record:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()

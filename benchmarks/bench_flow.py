"""Orchestration overhead: one plan through the apply_patch flow and through the engine directly, side by side.

Usage: .venv/bin/python -m benchmarks.bench_flow [--runs N] [--append benchmarks/RESULTS.md] [--quick]

Medians are written to benchmarks/results/flow.json (not with --quick, a smoke test).

Measures, each on a fresh copy of one DuckDB file (a demo tenant, no data):
  - the temporary Prefect server's start, on its own (what a call without PREFECT_API_URL would pay);
  - apply_plan(...) in-process vs apply_patch(...) as a flow run on that server (interleaved, medians);
  - `demogen apply --json` as a command, engine (default) vs flow (DEMOGEN_PREFECT=1): imports included;
  - if prefect-dbt is importable: the audit's dbt tests through dbt_runner.invoke vs prefect-dbt's runner.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "flow.json"
PLAN = "plans/examples/first-quarter-2025.yaml"  # 3 months, 678 records: the example plan
SETUP = """
import sys
from datetime import UTC, datetime
from flows.store import open_store
from tests.helpers import insert_tenant
with open_store(sys.argv[1]) as store:
    tenant = insert_tenant(store, slug="acme-corp-demo", name="Acme Corp Demo", timezone="America/New_York",
                           created_at=datetime(2024, 11, 1, 5, tzinfo=UTC))
    for n in range(3):
        store.execute("INSERT INTO users (id, tenant_id, email, name, role) VALUES (?, ?, ?, ?, 'sales_rep')",
                      (f"00000000-0000-4000-8000-00000000000{n}", tenant.id, f"rep{n}@acme.demo", f"Rep {n}"))
"""


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


class Copies:
    """Fresh copies of a template database built in a child process (this one never holds its lock)."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.template = work / "template.duckdb"
        self.n = 0
        # `python -c` puts the working directory, the project root, on the import path.
        subprocess.run([sys.executable, "-c", SETUP, f"duckdb:///{self.template}"], check=True, cwd=ROOT)

    def fresh(self) -> str:
        self.n += 1
        path = self.work / f"run-{self.n}.duckdb"
        shutil.copyfile(self.template, path)
        return f"duckdb:///{path}"


def engine_run(url: str) -> None:
    from flows.engine.run import apply_plan
    from flows.plan.readers import read_plan_file
    from flows.store import open_store

    with open_store(url) as store:
        job = apply_plan(store, read_plan_file(ROOT / PLAN), source="bench")
    assert job.status == "completed", job.error_message


def flow_run(url: str) -> None:
    from flows.patch import apply_patch, quiet_console

    with quiet_console():
        job = apply_patch(plan_path=PLAN, database_url=url)
    assert job["status"] == "completed"


def cli_run(url: str, api_url: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "DEMOGEN_PREFECT")}
    if api_url:
        env |= {"PREFECT_API_URL": api_url, "DEMOGEN_PREFECT": "1"}
    demogen = str(Path(sys.executable).parent / "demogen")
    done = subprocess.run([demogen, "apply", PLAN, "--database", url, "--json"], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "completed"


def dbt_runs(url: str, runs: int) -> dict[str, list[float]] | None:
    """The audit's dbt tests: our one door (dbt_runner.invoke) vs prefect-dbt's PrefectDbtRunner, in a flow."""
    try:
        from prefect_dbt import PrefectDbtRunner, PrefectDbtSettings
    except ImportError:
        return None
    from prefect import flow

    from flows.store import dbt_runner as dbt
    from flows.store import open_store

    variables = {"job_id": "00000000-0000-4000-8000-000000000000", "tenant_id": "00000000-0000-4000-8000-0000000000aa",
                 "as_of": datetime.now(UTC).isoformat(), "targets": []}  # fmt: skip
    args = ["test", "--select", "tag:audit", "--vars", json.dumps(variables)]

    @flow(name="bench-dbt-own")
    def own() -> None:
        with open_store(url) as store:
            dbt.invoke(store, args[:3], variables)

    @flow(name="bench-dbt-prefect-dbt")
    def prefect_dbt() -> None:
        with open_store(url) as store:
            env = store.dbt_env() | {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DEMOGEN_CRM_SCHEMA": store.crm_schema}
            settings = PrefectDbtSettings(project_dir=dbt.PROJECT_DIR, profiles_dir=dbt.PROJECT_DIR)
            with dbt._LOCK, dbt._environment(env), store.released():
                PrefectDbtRunner(settings=settings, raise_on_failure=False).invoke(
                    [*args, "--target", env["DEMOGEN_DBT_TARGET"], "--quiet"]
                )

    out: dict[str, list[float]] = {"own": [], "prefect-dbt": []}
    for _ in range(runs):
        out["own"].append(timed(own))
        out["prefect-dbt"].append(timed(prefect_dbt))
    return out


def median(values: list[float]) -> float:
    return statistics.median(values)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each variant (default 3)")
    parser.add_argument("--append", type=Path, help="append a '## Prefect orchestration' section to this file")
    parser.add_argument("--quick", action="store_true", help="one run, no CLI or dbt comparison; records nothing")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.append = 1, None
    load_before = os.getloadavg()[0]
    os.environ.pop("PREFECT_API_URL", None)
    work = Path(tempfile.mkdtemp(prefix="demogen-bench-flow-"))
    copies = Copies(work)

    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_ANALYTICS_ENABLED, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    from flows.patch import quiet_console

    times: dict[str, list[float]] = {"engine": [], "flow": [], "cli-engine": [], "cli-flow": []}
    started = time.perf_counter()
    with (
        quiet_console(),
        temporary_settings({PREFECT_SERVER_ANALYTICS_ENABLED: False}),
        prefect_test_harness(server_startup_timeout=300),
    ):
        server_start = time.perf_counter() - started
        api_url = str(PREFECT_API_URL.value())
        engine_run(copies.fresh())  # warm-up: imports, dbt's first parse
        flow_run(copies.fresh())
        for n in range(args.runs):
            order = [("engine", engine_run), ("flow", flow_run)]
            for name, fn in order if n % 2 == 0 else order[::-1]:
                url = copies.fresh()
                times[name].append(timed(partial(fn, url)))
            for name, api in (("cli-engine", None), ("cli-flow", api_url)) if not args.quick else ():
                url = copies.fresh()
                times[name].append(timed(partial(cli_run, url, api)))
        dbt_times = dbt_runs(copies.fresh(), args.runs) if not args.quick else None
    shutil.rmtree(work, ignore_errors=True)
    load = f"{load_before:.1f} → {os.getloadavg()[0]:.1f}"
    if args.quick:
        print({name: [round(v, 2) for v in values] for name, values in times.items() if values})
        return

    med = {name: median(values) for name, values in times.items()}
    lines = [
        "## Prefect orchestration",
        "",
        f"`python benchmarks/bench_flow.py --runs {args.runs}` on {datetime.now(UTC):%Y-%m-%d}: "
        f"{platform.machine()}, nproc {os.cpu_count()}, Python {platform.python_version()}, "
        f"Prefect {_version('prefect')}, DuckDB; plan `{PLAN}` (3 months, 678 records) on a fresh copy "
        f"of one database per run; medians of interleaved runs; 1-minute load average {load}.",
        "",
        "| what | median s | runs |",
        "|---|---:|---|",
        f"| temporary Prefect server start (ephemeral / test harness, SQLite) | {server_start:.1f} | 1 |",
        f"| engine: `apply_plan` in-process | {med['engine']:.2f} | {_runs(times['engine'])} |",
        f"| flow: `apply_patch` flow run (8 tasks, 4 artifacts) | {med['flow']:.2f} | {_runs(times['flow'])} |",
        f"| flow / engine | {med['flow'] / med['engine']:.2f}× | overhead {med['flow'] - med['engine']:+.2f} s |",
        f"| CLI `demogen apply --json`, engine (the default) | {med['cli-engine']:.2f} | "
        f"{_runs(times['cli-engine'])} |",
        f"| CLI `demogen apply --json`, flow (DEMOGEN_PREFECT=1, PREFECT_API_URL set) | {med['cli-flow']:.2f} | "
        f"{_runs(times['cli-flow'])} |",
        f"| CLI flow − engine | {med['cli-flow'] - med['cli-engine']:+.2f} | Prefect import + flow run |",
    ]
    if dbt_times:
        own, theirs = median(dbt_times["own"]), median(dbt_times["prefect-dbt"])
        lines.append(
            f"| dbt audit tests: `dbt_runner.invoke` vs prefect-dbt `PrefectDbtRunner` (in a flow) | "
            f"{own:.2f} vs {theirs:.2f} | {theirs - own:+.2f} s |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    report = {
        "date": f"{datetime.now(UTC):%Y-%m-%d}",
        "nproc": os.cpu_count(),
        "load_average": load,
        "prefect": _version("prefect"),
        "plan": PLAN,
        "server_start_s": round(server_start, 2),
        "medians_s": {name: round(value, 3) for name, value in med.items()},
        "runs_s": {name: [round(v, 3) for v in values] for name, values in times.items()},
        "dbt_audit_s": None if not dbt_times else {k: [round(v, 3) for v in vs] for k, vs in dbt_times.items()},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    if args.append:
        with args.append.open("a", encoding="utf-8") as out:
            out.write("\n" + text)


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    main()

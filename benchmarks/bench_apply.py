"""Benchmark of `demogen apply --json PLAN` as a user runs it: a new process per run, beside the peer tool.

Every run is this tree's CLI (`python -m flows.cli.main apply --json PLAN --database URL`) in a
new process, timed from its start to its exit; its peak RSS is its own (VmHWM, sampled). Parts:

  example  the example plan (plans/examples/first-quarter-2025.yaml, 678 records) on an empty
           database and on a big one: 1,000,000 records of two other tenants and 500,000 of the
           target tenant's own, over the plan's months. Both backends; the two databases are
           seeded once and reused, every run applies the plan with a seed of its own, so it
           really creates its 678 records. Runs alternate empty/big. Goals: < 2 s on the empty
           database; big / empty <= 1.3x.
  peer     PostgreSQL only: a DELTAS month of 130,000 records against Snowfakery 4.2.1 writing
           benchmarks/snowfakery_crm.recipe.yml (the same mix of companies, contacts, deals and
           activities), each into a fresh database of the same server per run, runs interleaved.
           Snowfakery is installed in a throwaway venv. Goal: demogen >= 4x Snowfakery's rows/s.
  million  a 1,000,000-record patch (6 months) on a fresh database, both backends: records/s
           end to end (goal >= 100,000/s) and the process's peak RSS (goal < 1 GB).
  reconcile
           a tenant of 1,000,000 demo records (6 months, made by `demogen apply` of a DELTAS plan)
           lowered 20%: a RECONCILE TARGETS plan at 80% of every metric of its months, against
           an ADDITIVE TARGETS plan at 120% on a copy of the same tenant, run after it. Rows
           touched (created, modified, soft-deleted), wall time and peak RSS of each, and the ratio.

    .venv/bin/python -m benchmarks.bench_apply [--backend duckdb|postgres|both]
        [--part example peer million reconcile] [--quick] [--no-record] [--postgres-url URL]

Results: benchmarks/results/apply.json (merged per part and backend) and the
"## Apply through the CLI" section of benchmarks/RESULTS.md, rewritten from that file.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from importlib.metadata import version
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from benchmarks.bench_engine import machine, write_markdown
from benchmarks.engine_fixtures import ROOT, Databases, add_tenant, databases, load_synthetic, settle
from flows.kpis.reads import MonthKpis, monthly_kpis
from flows.store import connect
from flows.store.tenants import resolve_tenant
from generators.metrics import METRICS

RESULTS_JSON = ROOT / "benchmarks" / "results" / "apply.json"
SECTION = "## Apply through the CLI"
EXAMPLE_PLAN = ROOT / "plans" / "examples" / "first-quarter-2025.yaml"
RECIPE = ROOT / "benchmarks" / "snowfakery_crm.recipe.yml"
SNOWFAKERY = "4.2.1"
# setuptools: Snowfakery 4.2.1 imports pkg_resources (gone from setuptools 81), and an unpinned
# older setuptools lets pip fall back to Snowfakery 3.6.3. psycopg: SQLAlchemy 2's postgresql:// driver.
SNOWFAKERY_REQUIREMENTS = ("setuptools>=75.4,<81", f"snowfakery=={SNOWFAKERY}", "psycopg[binary]")
RECIPE_TABLES = ("Company", "Contact", "Deal", "Activity")
ROWS_PER_COMPANY = 20  # the recipe: a company, its 10 contacts, 2 deals and 7 activities

# The example part's data: the target tenant's records and the other tenants' span these months,
# which end with the example plan's last month, so its KPI reads and audit meet real data.
DATA_FIRST_MONTH, DATA_MONTHS = "2023-04", 24
OTHER_TENANTS = 2
OTHER_ZONES = ("Europe/Berlin", "Asia/Kolkata")
TARGET = "target"
MILLION_MONTHS = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
# The share of a patch's records per record type, the recipe's mix (leads are contacts with status
# lead); activities take the rest (35 %).
MIX = {"companiesCreated": 0.05, "leadsCreated": 0.30, "contactsCreated": 0.20, "dealsCreated": 0.10}
WON_SHARE = 0.25  # of the deals; the recipe's Won stage
WON_VALUE = 8_000  # a won deal's value on average


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def crm_month(records: int) -> dict[str, int]:
    """One DELTAS month adding `records` records in the recipe's mix; activities take the rest."""
    metrics = {name: max(1, round(records * share)) for name, share in MIX.items()}
    metrics["activitiesCount"] = max(0, records - sum(metrics.values()))
    metrics["closedWonCount"] = max(1, round(metrics["dealsCreated"] * WON_SHARE))
    metrics["closedWonValue"] = metrics["closedWonCount"] * WON_VALUE
    metrics["pipelineAddedValue"] = metrics["closedWonValue"] * 3
    return metrics


def records_of(metrics: dict[str, int]) -> int:
    return sum(metrics[m] for m in (*MIX, "activitiesCount"))


def write_plan(folder: Path, plan: dict[str, Any]) -> Path:
    path = folder / f"{plan['tenant']}-{plan['seed']}.yaml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False))
    return path


def deltas_plan(slug: str, seed: str, months: list[str], per_month: int) -> dict[str, Any]:
    return {
        "tenant": slug,
        "mode": "additive",
        "planType": "deltas",
        "seed": seed,
        "months": [{"month": m, "metrics": crm_month(per_month)} for m in months],
        "tolerances": {"countTolerance": 0, "valueTolerance": 0.005},
    }


# --- running processes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ran:
    """A finished child process: wall seconds from start to exit, its own peak RSS, its output."""

    wall_s: float
    peak_rss_mb: int
    returncode: int
    stdout: str
    stderr: str


def run_process(command: list[str], env: dict[str, str] | None = None) -> Ran:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        clock = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        peak = PeakRss(process.pid)
        process.wait()
        wall = time.perf_counter() - clock
        out.seek(0)
        err.seek(0)
        return Ran(wall, peak.stop(), process.returncode, out.read().decode(), err.read().decode())


class PeakRss:
    """Samples a running process's VmHWM (its peak RSS so far) from /proc until stopped; stop() gives MB.

    Not getrusage: a child's ru_maxrss starts at its parent's RSS when forked (Linux carries it over
    exec), and this process holds the seeded frames. VmHWM belongs to the image the child exec'd.
    """

    def __init__(self, pid: int, every_s: float = 0.02) -> None:
        self.status = Path(f"/proc/{pid}/status")
        self.every_s = every_s
        self.peak_kb = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.done.is_set():
            try:
                text = self.status.read_text()
            except OSError:  # gone
                return
            # A zombie has no memory left and no VmHWM line.
            hwm = next((int(line.split()[1]) for line in text.splitlines() if line.startswith("VmHWM:")), 0)
            self.peak_kb = max(self.peak_kb, hwm)
            self.done.wait(self.every_s)

    def stop(self) -> int:
        self.done.set()
        self.thread.join()
        return round(self.peak_kb / 1024)


# PYTHONDONTWRITEBYTECODE: bytecode is written once (by `demogen init`, before any timed run) and
# reused, as in an installed package; compiling the project's modules again in every process would
# add ~0.2 s to each run.
CLEARED = ("DEMOGEN_PREFECT", "PREFECT_API_URL", "DEMOGEN_DATABASE_URL", "PYTHONDONTWRITEBYTECODE")


def cli_env() -> dict[str, str]:
    """This tree first on the path; the engine path a user without Prefect gets; no database from the shell;
    bytecode cached."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return env


@dataclass(frozen=True)
class Applied:
    wall_s: float
    peak_rss_mb: int
    records: int
    steps_s: dict[str, float]
    modified: int = 0
    deleted: int = 0

    @property
    def records_per_s(self) -> float:
        return self.records / self.wall_s


def step_seconds(logs: list[dict[str, Any]], started: datetime, ended: datetime) -> dict[str, float]:
    """Seconds per step from the job log's timestamps (each entry ends its step).

    `start-up` runs from the process start to the first entry (interpreter, imports, connection,
    schema check, job row); `exit` from the last entry to the process's end.
    """
    marks = [(entry["step"], datetime.fromisoformat(entry["at"])) for entry in logs]
    steps = {"start-up": (marks[0][1] - started).total_seconds()}
    for (_, before), (step, at) in pairwise(marks):
        steps[step] = steps.get(step, 0.0) + (at - before).total_seconds()
    steps["exit"] = (ended - marks[-1][1]).total_seconds()
    return {k: round(v, 3) for k, v in steps.items()}


def apply(plan: Path, url: str, expect: int | None) -> Applied:
    """`demogen apply --json PLAN` in a new process; the job must complete and create `expect` records."""
    started = datetime.now(UTC)
    ran = run_process(
        [sys.executable, "-m", "flows.cli.main", "apply", "--json", str(plan), "--database", url], cli_env()
    )
    if ran.returncode:
        raise SystemExit(f"demogen apply {plan.name} exited {ran.returncode}: {ran.stderr.strip()[-2000:]}")
    job = json.loads(ran.stdout)
    created = job["metrics"]["recordsCreated"]
    if job["status"] != "completed" or job["alreadyApplied"] or (expect is not None and created != expect):
        raise SystemExit(
            f"demogen apply {plan.name}: status {job['status']}, already applied {job['alreadyApplied']}, "
            f"{created} records created, expected {expect}"
        )
    steps = step_seconds(job["logs"], started, started + timedelta(seconds=ran.wall_s))
    metrics = job["metrics"]
    return Applied(ran.wall_s, ran.peak_rss_mb, created, steps, metrics["recordsModified"], metrics["recordsDeleted"])


@dataclass
class Series:
    """Runs of one case: wall seconds, peak RSS and step seconds per run."""

    runs: list[Applied] = field(default_factory=list)

    def add(self, applied: Applied) -> None:
        self.runs.append(applied)

    def summary(self, skip_first: bool = False) -> dict[str, Any]:
        counted = self.runs[1:] if skip_first and len(self.runs) > 1 else self.runs
        steps = list(counted[0].steps_s)
        return {
            "records": counted[0].records,
            "median_s": median([r.wall_s for r in counted]),
            "runs_s": [round(r.wall_s, 2) for r in self.runs],
            "median_records_per_s": round(statistics.median([r.records_per_s for r in counted])),
            "peak_rss_mb": max(r.peak_rss_mb for r in counted),
            "steps_median_s": {k: median([r.steps_s.get(k, 0.0) for r in counted]) for k in steps},
        }


def load() -> list[float]:
    return [round(x, 1) for x in os.getloadavg()]


def init(url: str) -> None:
    """`demogen init` in its own process: this one never opens a database through dbt, so it holds
    no DuckDB file that a `demogen apply` would then wait for."""
    ran = run_process([sys.executable, "-m", "flows.cli.main", "init", "--database", url], cli_env())
    if ran.returncode:
        raise SystemExit(f"demogen init exited {ran.returncode}: {ran.stderr.strip()[-2000:]}")


def blank_database(dbs: Databases) -> str:
    """A database as `demogen init` leaves it (the schema and the dbt views), to copy for every other one."""
    url = dbs.new("bench_apply_blank")
    init(url)
    return url


def copy_of_blank(dbs: Databases, name: str, blank: str) -> str:
    """A copy of the blank database as `demogen init` would have left it under its own name.

    The copy gets the blank's dbt folder, but the audit and verification SQL compiled there is
    keyed by the database's name too, so without this the copy's first job would compile it
    with dbt (10–20 s): `demogen init` compiles it for a new database, before any job. Compiled
    in a process of its own, untimed, which closes the database before any `demogen apply`.
    """
    url = dbs.new(name, blank)
    script = "import sys\nfrom flows.store import connect, dbt_runner\nwith connect(sys.argv[1]) as store:\n"
    script += "    dbt_runner.job_tests(store, 'audit')\n"
    ran = run_process([sys.executable, "-c", script, url], cli_env())
    if ran.returncode:
        raise SystemExit(f"compiling the tests of {name} exited {ran.returncode}: {ran.stderr.strip()[-2000:]}")
    return url


def add_tenants(url: str, slugs: list[str]) -> None:
    """Empty demo tenants, ready to be patched."""
    with connect(url) as store:
        for slug in slugs:
            add_tenant(store, slug, created_at=datetime(2024, 1, 1, tzinfo=UTC))


# --- example ---------------------------------------------------------------------------------------


def seed_database(url: str, target_records: int, other_records: int) -> None:
    """The target tenant with `target_records` of its own, other tenants with `other_records`, settled."""
    with connect(url) as store:
        target = add_tenant(store, TARGET, created_at=datetime(2023, 1, 1, tzinfo=UTC))
        if target_records:
            load_synthetic(store, target, 1, target_records, DATA_FIRST_MONTH, DATA_MONTHS)
        for n in range(OTHER_TENANTS if other_records else 0):
            other = add_tenant(store, f"other-{n}", timezone=OTHER_ZONES[n % len(OTHER_ZONES)])
            load_synthetic(store, other, n + 2, other_records // OTHER_TENANTS, DATA_FIRST_MONTH, DATA_MONTHS)
        settle(store)


def example_plan(folder: Path, seed: str) -> Path:
    plan = yaml.safe_load(EXAMPLE_PLAN.read_text())
    return write_plan(folder, plan | {"tenant": TARGET, "seed": seed})


def bench_example(
    dbs: Databases, blank: str, work: Path, runs: int, target_records: int, other_records: int
) -> dict[str, Any]:
    load_before = load()
    empty_url, big_url = copy_of_blank(dbs, "bench_apply_empty", blank), copy_of_blank(dbs, "bench_apply_big", blank)
    seed_database(empty_url, 0, 0)
    clock = time.perf_counter()
    seed_database(big_url, target_records, other_records)
    seed_s = time.perf_counter() - clock
    print(f"  seeded {target_records:,} + {other_records:,} records in {seed_s:.1f} s", flush=True)
    cases = {"empty": (empty_url, Series()), "big": (big_url, Series())}
    for n in range(runs):
        plan = example_plan(work, f"example-{n}")
        for name in ("empty", "big") if n % 2 == 0 else ("big", "empty"):
            url, series = cases[name]
            series.add(apply(plan, url, expect=series.runs[0].records if series.runs else None))
            print(f"  example run {n} {name}: {series.runs[-1].wall_s:.2f} s", flush=True)
    result: dict[str, Any] = {
        "runs": runs,
        "target_records": target_records,
        "other_records": other_records,
        "seed_s": round(seed_s, 1),
        "load_average": [load_before, load()],
    }
    for name, (_, series) in cases.items():
        result[name] = series.summary(skip_first=True) | {"first_run_s": round(series.runs[0].wall_s, 2)}
    result["ratio"] = round(result["big"]["median_s"] / result["empty"]["median_s"], 2)
    return result


# --- peer ------------------------------------------------------------------------------------------


@contextmanager
def snowfakery(given: str | None) -> Iterator[Path]:
    """The snowfakery command: the given one, else Snowfakery installed from PyPI into a throwaway venv."""
    with tempfile.TemporaryDirectory(prefix="demogen-snowfakery-") as folder:
        if given:
            command = Path(given)
        else:
            venv = Path(folder) / "venv"
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            done = subprocess.run([*pip, "--no-compile", *SNOWFAKERY_REQUIREMENTS], capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"could not install Snowfakery {SNOWFAKERY}: {done.stderr.strip()[-2000:]}")
            command = venv / "bin" / "snowfakery"
        installed = subprocess.run(
            [
                str(command.parent / "python"),
                "-c",
                "from importlib.metadata import version; print(version('snowfakery'))",
            ],
            capture_output=True,
            text=True,
        ).stdout.strip()
        if installed != SNOWFAKERY:
            raise SystemExit(f"Snowfakery {installed or '(none)'} beside {command}: the benchmark needs {SNOWFAKERY}")
        yield command


def snowfakery_rows(url: str) -> int:
    with connect(url) as store:
        return sum(int(store.scalar(f'SELECT count(*) FROM "{table}"')) for table in RECIPE_TABLES)


def run_snowfakery(command: Path, url: str, companies: int) -> tuple[Ran, int]:
    ran = run_process([str(command), str(RECIPE), "--dburl", url, "--option", "companies", str(companies)])
    if ran.returncode:
        raise SystemExit(f"snowfakery exited {ran.returncode}: {ran.stderr.strip()[-2000:]}")
    return ran, snowfakery_rows(url)


def bench_peer(dbs: Databases, blank: str, work: Path, runs: int, records: int, command: Path) -> dict[str, Any]:
    load_before = load()
    ours = Series()
    theirs: list[tuple[Ran, int]] = []
    companies = records // ROWS_PER_COMPANY
    expect = records_of(crm_month(records))
    for n in range(runs):
        # Each side writes into a database of its own, fresh per run: demogen's as `demogen init` left it.
        url, peer_url = copy_of_blank(dbs, f"bench_apply_peer_{n}", blank), dbs.new(f"bench_apply_snowfakery_{n}")
        add_tenants(url, ["peer"])
        plan = write_plan(work, deltas_plan("peer", f"peer-{n}", ["2025-01"], records))
        for side in ("demogen", "snowfakery") if n % 2 == 0 else ("snowfakery", "demogen"):
            if side == "demogen":
                ours.add(apply(plan, url, expect))
            else:
                theirs.append(run_snowfakery(command, peer_url, companies))
        print(
            f"  peer run {n}: demogen {ours.runs[-1].wall_s:.2f} s ({ours.runs[-1].records:,} records), "
            f"snowfakery {theirs[-1][0].wall_s:.2f} s ({theirs[-1][1]:,} rows)",
            flush=True,
        )
    demogen = ours.summary()
    peer = {
        "version": SNOWFAKERY,
        "rows": theirs[0][1],
        "median_s": median([ran.wall_s for ran, _ in theirs]),
        "runs_s": [round(ran.wall_s, 2) for ran, _ in theirs],
        "median_rows_per_s": round(statistics.median([rows / ran.wall_s for ran, rows in theirs])),
        "peak_rss_mb": max(ran.peak_rss_mb for ran, _ in theirs),
    }
    return {
        "runs": runs,
        "load_average": [load_before, load()],
        "demogen": demogen,
        "snowfakery": peer,
        "ratio": round(demogen["median_records_per_s"] / peer["median_rows_per_s"], 2),
    }


# --- million ---------------------------------------------------------------------------------------


def bench_million(dbs: Databases, blank: str, work: Path, runs: int, records: int) -> dict[str, Any]:
    load_before = load()
    series = Series()
    per_month = records // len(MILLION_MONTHS)
    expect = records_of(crm_month(per_month)) * len(MILLION_MONTHS)
    for n in range(runs):
        url = copy_of_blank(dbs, f"bench_apply_million_{n}", blank)
        add_tenants(url, ["million"])
        plan = write_plan(work, deltas_plan("million", f"million-{n}", MILLION_MONTHS, per_month))
        series.add(apply(plan, url, expect))
        print(f"  million run {n}: {series.runs[-1].wall_s:.1f} s, {series.runs[-1].peak_rss_mb:,} MB", flush=True)
    return {"runs": runs, "load_average": [load_before, load()]} | series.summary()


# --- reconcile -------------------------------------------------------------------------------------

RECONCILE_TENANT = "shrink"
DOWN, UP = Decimal("0.8"), Decimal("1.2")


def scaled(kpis: MonthKpis, factor: Decimal) -> dict[str, int | str]:
    """Every metric of a month times `factor`: counts rounded down, money to the cent."""
    values: dict[str, int | str] = {}
    for metric in METRICS:
        value = Decimal(str(kpis[metric.name])) * factor
        values[metric.name] = int(value) if metric.kind == "count" else str(value.quantize(Decimal("0.01"), ROUND_DOWN))
    return values


def targets_plan(slug: str, seed: str, mode: str, kpis: dict[str, MonthKpis], factor: Decimal) -> dict[str, Any]:
    """A TARGETS plan putting every metric of every month at `factor` times what it reads, exactly."""
    return {
        "tenant": slug,
        "mode": mode,
        "planType": "targets",
        "seed": seed,
        "months": [{"month": m, "metrics": scaled(k, factor)} for m, k in sorted(kpis.items())],
        "tolerances": {"countTolerance": 0, "valueTolerance": 0},
    }


def read_kpis(url: str, slug: str, months: list[str]) -> dict[str, MonthKpis]:
    with connect(url) as store:
        return monthly_kpis(store, resolve_tenant(store, slug), months[0], months[-1])


def touched(applied: Applied) -> int:
    return applied.records + applied.modified + applied.deleted


def case(applied: Applied) -> dict[str, Any]:
    return {
        "created": applied.records,
        "modified": applied.modified,
        "soft_deleted": applied.deleted,
        "wall_s": round(applied.wall_s, 2),
        "rows_touched_per_s": round(touched(applied) / applied.wall_s),
        "peak_rss_mb": applied.peak_rss_mb,
        "steps_s": applied.steps_s,
    }


def bench_reconcile(dbs: Databases, blank: str, work: Path, records: int) -> dict[str, Any]:
    """The tenant made once by `demogen apply`; RECONCILE down 20% and ADDITIVE up 20% each on a copy of it."""
    load_before = load()
    base = dbs.new("bench_apply_reconcile_base", blank)
    init(base)  # a copy's compiled tests name the database they were compiled on: as a user's, compiled at init
    add_tenants(base, [RECONCILE_TENANT])
    per_month = records // len(MILLION_MONTHS)
    plan = write_plan(work, deltas_plan(RECONCILE_TENANT, "base", MILLION_MONTHS, per_month))
    made = apply(plan, base, records_of(crm_month(per_month)) * len(MILLION_MONTHS))
    print(f"  tenant of {made.records:,} records made in {made.wall_s:.1f} s", flush=True)
    kpis = read_kpis(base, RECONCILE_TENANT, MILLION_MONTHS)
    down, up = dbs.new("bench_apply_reconcile_down", base), dbs.new("bench_apply_reconcile_up", base)
    init(down)
    init(up)
    lowered = apply(write_plan(work, targets_plan(RECONCILE_TENANT, "down", "reconcile", kpis, DOWN)), down, None)
    print(f"  reconcile down 20%: {lowered.wall_s:.1f} s, {touched(lowered):,} rows touched", flush=True)
    raised = apply(write_plan(work, targets_plan(RECONCILE_TENANT, "up", "additive", kpis, UP)), up, None)
    print(f"  additive up 20%: {raised.wall_s:.1f} s, {touched(raised):,} rows touched", flush=True)
    return {
        "tenant_records": made.records,
        "months": len(MILLION_MONTHS),
        "load_average": [load_before, load()],
        "made": case(made),
        "reconcile": case(lowered),
        "additive": case(raised),
        "ratio": round(lowered.wall_s / raised.wall_s, 2),
    }


# --- report ----------------------------------------------------------------------------------------


def postgres_version(server_url: str) -> str:
    with connect(server_url) as store:
        return str(store.scalar("SHOW server_version")).split()[0]


def mix_text() -> str:
    shares = {m.removesuffix("Created").removesuffix("Count"): s for m, s in MIX.items()}
    shares["activities"] = 1 - sum(MIX.values())
    return ", ".join(f"{name} {share:.0%}" for name, share in shares.items())


def _steps(steps: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in steps.items())


def _recorded(by_backend: dict[str, Any]) -> str:
    stamps: dict[tuple[str, str], list[str]] = {}
    for backend, r in by_backend.items():
        stamps.setdefault((r["recorded_at"], r["command"]), []).append(backend)
    return "; ".join(f"Recorded {at} by `{command}` ({', '.join(b)})" for (at, command), b in stamps.items()) + "."


def _runs_each(by_backend: dict[str, Any]) -> str:
    """How many runs each database got: one number, or one per backend where they were recorded apart."""
    counts = {backend: r["runs"] for backend, r in by_backend.items()}
    if len(set(counts.values())) == 1:
        return f"{next(iter(counts.values()))} runs each"
    return ", ".join(f"{backend} {n} runs each" for backend, n in counts.items())


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        SECTION,
        "",
        f"`.venv/bin/python -m benchmarks.bench_apply` on {m['nproc']} cores (`nproc`), {m['ram_gb']} GB RAM, "
        f"{m['cpu']}; Python {m['python']}, PostgreSQL {m.get('postgres', '-')}, DuckDB {m['duckdb']}, "
        f"Polars {m['polars']}; load average (1, 5, 15 min) {m['load_average']} when the last run ended "
        f"(`{report['last_run']['command']}`, {report['last_run']['minutes']} min in all), and per part below "
        "at its start and end; each part says when it was recorded, and by what command. "
        "Every figure is a new `demogen apply --json PLAN` "
        "process of this tree, from its start to its exit (interpreter, imports, dbt and all); peak RSS is that "
        "process's own. Other people's test suites shared the machine: read medians and the ratios of runs "
        "interleaved in one run.",
        "",
        "Steps come from the timestamps of the job's log, each entry ending its step: `start-up` runs from the "
        "process's start to the job row (interpreter, imports, connection, schema check), `exit` from the last "
        "entry to the process's exit (the JSON printed, the store closed, the interpreter gone). `generate` "
        "holds the draft write too: each month is written while the next is generated, and both entries are "
        "logged once the last month is written, so `write` reads about 0.",
        "",
    ]
    parts = report["parts"]
    if "example" in parts:
        first = next(iter(parts["example"].values()))
        lines += [
            "### The example plan (678 records) on an empty and on a big database",
            "",
            f"`plans/examples/first-quarter-2025.yaml` pointed at the target tenant with a seed of its own per run. "
            f"Big: {first['other_records']:,} records of {OTHER_TENANTS} other tenants and {first['target_records']:,} "
            f"of the target tenant over {DATA_MONTHS} months ending with the plan's last month. Empty and big runs "
            f"alternate; {_runs_each(parts['example'])}, the median leaves out the first run on each database "
            "(shown apart). "
            f"Goals: < 2 s on the empty database, big / empty ≤ 1.3×. {_recorded(parts['example'])}",
            "",
            "| backend | database | median | first run | runs (s) | peak RSS | steps, median s | load avg |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for backend, r in parts["example"].items():
            for name in ("empty", "big"):
                c = r[name]
                lines.append(
                    f"| {backend} | {name} | **{c['median_s']:.2f} s** | {c['first_run_s']:.2f} s | "
                    f"{_runs(c['runs_s'])} | {c['peak_rss_mb']:,} MB | {_steps(c['steps_median_s'])} | "
                    f"{r['load_average'][0]} → {r['load_average'][1]} |"
                )
        lines.append("")
        ratios = ", ".join(f"{backend} **{r['ratio']:.2f}×**" for backend, r in parts["example"].items())
        lines += [f"Big / empty: {ratios}.", ""]
    if "peer" in parts:
        r = parts["peer"]["postgres"]
        d, s = r["demogen"], r["snowfakery"]
        lines += [
            f"### A {d['records']:,}-record patch on PostgreSQL against Snowfakery",
            "",
            f"demogen: one DELTAS month of {d['records']:,} records ({mix_text()}). Snowfakery {s['version']} "
            f"(in a throwaway venv): `benchmarks/snowfakery_crm.recipe.yml`, the same mix, {s['rows']:,} rows. Each "
            "writes into a fresh database of the same server per run (demogen's as `demogen init` leaves it); "
            f"{r['runs']} runs each, interleaved. Goal: demogen ≥ 4× Snowfakery's rows/s. {_recorded(parts['peer'])}",
            "",
            "| tool | rows | median | runs (s) | median rows/s | peak RSS |",
            "|---|---|---|---|---|---|",
            f"| demogen apply | {d['records']:,} | {d['median_s']:.2f} s | {_runs(d['runs_s'])} | "
            f"**{d['median_records_per_s']:,}** | {d['peak_rss_mb']:,} MB |",
            f"| snowfakery | {s['rows']:,} | {s['median_s']:.2f} s | {_runs(s['runs_s'])} | "
            f"**{s['median_rows_per_s']:,}** | {s['peak_rss_mb']:,} MB |",
            "",
            f"demogen / Snowfakery: **{r['ratio']:.2f}×**; demogen's steps, median s: {_steps(d['steps_median_s'])}; "
            f"load average {r['load_average'][0]} → {r['load_average'][1]}.",
            "",
        ]
    if "million" in parts:
        lines += [
            "### A 1,000,000-record patch",
            "",
            f"One DELTAS plan of {len(MILLION_MONTHS)} months in the same mix on a fresh database. "
            f"Goals: ≥ 100,000 records/s end to end, peak RSS < 1 GB. {_recorded(parts['million'])}",
            "",
            "| backend | records | median | runs (s) | records/s | peak RSS | steps, median s | load avg |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for backend, r in parts["million"].items():
            lines.append(
                f"| {backend} | {r['records']:,} | {r['median_s']:.1f} s | {_runs(r['runs_s'])} | "
                f"**{r['median_records_per_s']:,}** | **{r['peak_rss_mb']:,} MB** | {_steps(r['steps_median_s'])} | "
                f"{r['load_average'][0]} → {r['load_average'][1]} |"
            )
        lines.append("")
    if "reconcile" in parts:
        first = next(iter(parts["reconcile"].values()))
        lines += [
            f"### RECONCILE of a {first['tenant_records']:,}-record tenant down 20%, beside ADDITIVE up 20%",
            "",
            f"A tenant of {first['tenant_records']:,} demo records over {first['months']} months, made by "
            "`demogen apply` of a DELTAS plan in the same mix on a fresh database (its figures on the first line). "
            "Then, each on a copy of that database initialised by `demogen init` (which compiles the audit tests, as "
            "for a user's database): a RECONCILE TARGETS plan putting every metric of every month at "
            "80% of what it reads (exactly: both tolerances 0), and an ADDITIVE TARGETS plan at 120%. Rows touched "
            "are the job's records created, modified and soft-deleted. One run each, RECONCILE first. RECONCILE "
            "chooses its changes in `prepare` before the job row exists, so its `start-up` holds that planning "
            "(reading the months' rows and picking those to edit and soft-delete). "
            f"{_recorded(parts['reconcile'])}",
            "",
            "| backend | job | created | modified | soft-deleted | wall | rows touched/s | peak RSS | steps, s |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for backend, r in parts["reconcile"].items():
            for name, label in (
                ("made", "ADDITIVE, the tenant"),
                ("reconcile", "RECONCILE −20%"),
                ("additive", "ADDITIVE +20%"),
            ):
                c = r[name]
                lines.append(
                    f"| {backend} | {label} | {c['created']:,} | {c['modified']:,} | {c['soft_deleted']:,} | "
                    f"**{c['wall_s']:.1f} s** | {c['rows_touched_per_s']:,} | {c['peak_rss_mb']:,} MB | "
                    f"{_steps(c['steps_s'])} |"
                )
        lines.append("")
        ratios = ", ".join(
            f"{backend} **{r['ratio']:.2f}×** (load average {r['load_average'][0]} → {r['load_average'][1]})"
            for backend, r in parts["reconcile"].items()
        )
        lines += [f"RECONCILE −20% / ADDITIVE +20%, wall time: {ratios}.", ""]
    return "\n".join(lines).rstrip() + "\n"


def record(report: dict[str, Any]) -> None:
    """Merge the parts run into benchmarks/results/apply.json, and rewrite this benchmark's RESULTS.md section."""
    previous = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    parts = previous.get("parts", {})
    for part, by_backend in report["parts"].items():
        parts[part] = parts.get(part, {}) | by_backend
    report = report | {"machine": previous.get("machine", {}) | report["machine"], "parts": parts}
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(report, indent=2) + "\n")
    write_markdown(render(report), SECTION)


# --- main ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=["duckdb", "postgres", "both"], default="both")
    parts = ["example", "peer", "million", "reconcile"]
    parser.add_argument("--part", nargs="+", choices=parts, default=parts)
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each; records nothing")
    parser.add_argument("--example-runs", type=int, default=4, help="example: runs on each database")
    parser.add_argument("--target-records", type=int, default=500_000, help="example: the target tenant's own")
    parser.add_argument("--other-records", type=int, default=1_000_000, help="example: the other tenants'")
    parser.add_argument("--peer-runs", type=int, default=3)
    parser.add_argument("--peer-records", type=int, default=130_000)
    parser.add_argument("--snowfakery", metavar="PATH", help="peer: a snowfakery 4.2.1 command (default: install)")
    parser.add_argument("--million-runs", type=int, default=1)
    parser.add_argument("--million-records", type=int, default=1_000_000)
    parser.add_argument("--reconcile-records", type=int, default=1_000_000, help="reconcile: the tenant's records")
    parser.add_argument("--postgres-url", help="a server to create the benchmark databases on")
    parser.add_argument("--no-record", action="store_true", help="do not write benchmarks/results or RESULTS.md")
    args = parser.parse_args()
    if args.quick:
        args.example_runs, args.peer_runs, args.million_runs = 1, 1, 1
        args.target_records, args.other_records = 10_000, 20_000
        args.peer_records, args.million_records, args.reconcile_records = 2_000, 12_000, 12_000
        args.no_record = True

    command = " ".join([".venv/bin/python -m benchmarks.bench_apply", *sys.argv[1:]])
    started = time.perf_counter()
    backends = ["duckdb", "postgres"] if args.backend == "both" else [args.backend]
    results: dict[str, dict[str, Any]] = {}
    versions = {"duckdb": version("duckdb"), "polars": version("polars")}
    with tempfile.TemporaryDirectory(prefix="demogen-bench-apply-") as folder:
        work = Path(folder)
        for backend in backends:
            with databases(backend, args.postgres_url) as dbs:
                if dbs.server_url:
                    versions["postgres"] = postgres_version(dbs.server_url)
                blank = blank_database(dbs)
                if "example" in args.part:
                    print(f"{backend}: the example plan, empty and big database", flush=True)
                    results.setdefault("example", {})[backend] = bench_example(
                        dbs, blank, work, args.example_runs, args.target_records, args.other_records
                    )
                if backend == "postgres" and "peer" in args.part:
                    print(f"{backend}: {args.peer_records:,} records, demogen against Snowfakery", flush=True)
                    with snowfakery(args.snowfakery) as peer:
                        results.setdefault("peer", {})[backend] = bench_peer(
                            dbs, blank, work, args.peer_runs, args.peer_records, peer
                        )
                if "million" in args.part:
                    print(f"{backend}: a {args.million_records:,}-record patch", flush=True)
                    results.setdefault("million", {})[backend] = bench_million(
                        dbs, blank, work, args.million_runs, args.million_records
                    )
                if "reconcile" in args.part:
                    print(f"{backend}: RECONCILE of a {args.reconcile_records:,}-record tenant down 20%", flush=True)
                    results.setdefault("reconcile", {})[backend] = bench_reconcile(
                        dbs, blank, work, args.reconcile_records
                    )
    recorded = "(not recorded)" if args.no_record else datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    for by_backend in results.values():  # parts are recorded one by one: each says when, and by what command
        for result in by_backend.values():
            result |= {"recorded_at": recorded, "command": command}
    report = {
        "benchmark": "demogen apply through the CLI",
        "machine": machine() | versions,
        "last_run": {"command": command, "minutes": round((time.perf_counter() - started) / 60, 1)},
        "parts": results,
    }
    print(json.dumps(results, indent=2))
    if args.no_record:
        print(render(report))
    else:
        record(report)


if __name__ == "__main__":
    main()

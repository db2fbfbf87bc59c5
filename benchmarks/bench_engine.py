"""Benchmark of the ADDITIVE patch engine on DuckDB and PostgreSQL, medians of fresh runs.

Parts (each on a fresh database; PostgreSQL is a throwaway cluster unless --postgres-url):
  typical  a typical patch, 3 months x 500 records a month, end to end through apply_plan
           (prepare, generate, write, audit, publish, verify, report),
           a fresh tenant per run; the first run (dbt parses the project once per process)
           is reported apart from the warm runs. Limit < 60 s; goal < 10 s.
  kpi      the KPI snapshot of one month (and of 12) through flows.kpis.monthly_kpis on a tenant
           of 1,000,000 records over 24 months, beside noise tenants. Limit < 5 s; goal < 0.1 s.
           --baseline REF also builds the dbt views of git REF in a schema of their own and
           times REF's read on the same data, interleaved, and checks both give the same KPIs.
  publish  PostgreSQL only: write_drafts + publish_drafts (in a transaction) against a raw COPY
           of the same rows into empty copies of the tables, side by side. Goal: within 2x.
  million  PostgreSQL only: one plan of ~1,000,000 records through apply_plan, in a child
           process for its peak memory (ru_maxrss), with the time of every step from the job log.

    .venv/bin/python -m benchmarks.bench_engine [--backend duckdb|postgres|both]
        [--part typical kpi publish million] [--quick] [--baseline HEAD] [--no-record]

Results: benchmarks/results/engine.json (merged per part and backend) and the
"## Engine" section of benchmarks/RESULTS.md, rewritten from that file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.engine_fixtures import ROOT, Databases, add_tenant, databases, install_baseline, load_synthetic, settle
from flows.engine import drafts
from flows.engine.context import load_context
from flows.engine.run import apply_plan
from flows.kpis.reads import latest_month_with_data, monthly_kpis, zero_kpis
from flows.plan.model import PatchPlan
from flows.store import Store, open_store
from flows.store.jobs import PatchJob
from flows.store.tenants import Tenant
from generators import SCHEMAS, EntityFrames, generate_plan
from generators.calendar import add_months, month_range, month_start
from generators.metrics import METRICS

RESULTS_JSON = ROOT / "benchmarks" / "results" / "engine.json"
RESULTS_MD = ROOT / "benchmarks" / "RESULTS.md"
SECTION = "## Engine"
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)  # every job's as-of: months of 2025 are all in the past
NS = uuid.UUID("5a3f1c2e-9b7d-4e61-8f0a-2c4b6d8e0f13")


def median(values: list[float]) -> float:
    return round(statistics.median(values), 4)


def month_metrics(records: int) -> dict[str, int]:
    """One month's DELTAS adding `records` records, in the example plan's proportions (plans/examples)."""
    share = {"leadsCreated": 0.30, "contactsCreated": 0.24, "companiesCreated": 0.06, "dealsCreated": 0.10}
    metrics = {name: max(1, round(records * part)) for name, part in share.items()}
    metrics["activitiesCount"] = max(0, records - sum(metrics.values()))
    metrics["closedWonCount"] = max(1, metrics["dealsCreated"] * 3 // 8)
    metrics["closedWonValue"] = metrics["closedWonCount"] * 8_000
    metrics["pipelineAddedValue"] = metrics["closedWonValue"] * 3
    return metrics


def make_plan(slug: str, months: list[str], per_month: int, seed: str) -> PatchPlan:
    return PatchPlan.model_validate(
        {
            "tenant": slug,
            "mode": "additive",
            "planType": "deltas",
            "seed": seed,
            "months": [{"month": m, "metrics": month_metrics(per_month)} for m in months],
            "tolerances": {"countTolerance": 0, "valueTolerance": 0.005},
        }
    )


def step_seconds(job: PatchJob, started: datetime, ended: datetime) -> dict[str, float]:
    """Seconds per engine step, from the timestamps of the job's log entries."""
    marks = [(entry["step"], datetime.fromisoformat(entry["at"])) for entry in job.logs]
    # Before the job row exists: the before-KPI snapshot, deltas and validation (engine.prepare).
    steps = {"prepare": (marks[0][1] - started).total_seconds()}
    previous = marks[0][1]
    for step, at in marks[1:]:
        name = "open job" if step == "snapshot" else step
        steps[name] = steps.get(name, 0.0) + (at - previous).total_seconds()
        previous = at
    steps["return"] = (ended - previous).total_seconds()
    return {k: round(v, 3) for k, v in steps.items()}


def timed_apply(store: Store, plan: PatchPlan) -> tuple[PatchJob, dict[str, Any], float, dict[str, float]]:
    """The completed job, its metrics, its wall seconds and the seconds of each step."""
    started = datetime.now(UTC)
    clock = time.perf_counter()
    job = apply_plan(store, plan, as_of=NOW)
    seconds = time.perf_counter() - clock
    if job.status != "completed":
        raise SystemExit(f"benchmark job {job.id} {job.status}: {job.error_message}")
    if job.metrics_json is None:
        raise SystemExit(f"benchmark job {job.id} completed without metrics")
    return job, job.metrics_json, seconds, step_seconds(job, started, datetime.now(UTC))


# --- typical ---------------------------------------------------------------------------------------


def bench_typical(dbs: Databases, warm_runs: int, per_month: int) -> dict[str, Any]:
    months = ["2025-01", "2025-02", "2025-03"]
    runs: list[dict[str, Any]] = []
    with open_store(dbs.new("bench_typical")) as store:  # schema + dbt views once, outside the timings
        for n in range(warm_runs + 1):
            slug = f"typical-{n}"
            add_tenant(store, slug, created_at=datetime(2024, 1, 1, tzinfo=UTC))
            _, metrics, seconds, steps = timed_apply(store, make_plan(slug, months, per_month, seed=f"typical-{n}"))
            runs.append({"s": round(seconds, 3), "steps": steps, "records": metrics["recordsCreated"]})
            print(f"  typical run {n}: {seconds:.2f} s, {runs[-1]['records']} records", flush=True)
    warm = runs[1:] or runs
    return {
        "records_per_run": runs[0]["records"],
        "first_run_s": runs[0]["s"],
        "first_run_steps_s": runs[0]["steps"],
        "warm_median_s": median([r["s"] for r in warm]),
        "warm_runs_s": [r["s"] for r in warm],
        "warm_steps_median_s": {k: median([r["steps"].get(k, 0.0) for r in warm]) for k in warm[0]["steps"]},
    }


# --- kpi -------------------------------------------------------------------------------------------

KPI_FIRST = "2023-07"  # 24 months of data: 2023-07 .. 2025-06
KPI_LAST = "2025-06"
NOISE_ZONES = ("Europe/Berlin", "Asia/Kolkata", "America/Los_Angeles", "Australia/Sydney")


def baseline_kpis(store: Store, schema: str, tenant: Tenant, first: str, last: str) -> dict[str, Any]:
    """The KPI read as the commit before this benchmark did it: GROUP BY the per-row month label."""
    sums = ", ".join(f"sum({m.column}) AS {m.column}" for m in METRICS)
    rows = store.query(
        f"SELECT month, {sums} FROM {schema}.kpi_events "
        "WHERE tenant_id = ? AND created_at >= ? AND created_at < ? GROUP BY month",
        (tenant.id, month_start(first, tenant.timezone), month_start(add_months(last, 1), tenant.timezone)),
    )
    result = {month: zero_kpis() for month in month_range(first, last)}
    for row in rows:
        if row["month"] in result:
            result[row["month"]] = {
                m.name: Decimal(row[m.column] or 0).quantize(Decimal("0.01"))
                if m.kind == "money"
                else int(row[m.column] or 0)
                for m in METRICS
            }
    return result


def bench_kpi(
    dbs: Databases, records: int, noise_records: int, noise_tenants: int, repeat: int, baseline: str | None
) -> dict[str, Any]:
    with open_store(dbs.new("bench_kpi")) as store:
        clock = time.perf_counter()
        tenant = add_tenant(store, "kpi-main", created_at=datetime(2023, 6, 1, tzinfo=UTC))
        load_synthetic(store, tenant, 1, records, KPI_FIRST, 24)
        for n in range(noise_tenants):
            noise = add_tenant(store, f"noise-{n}", timezone=NOISE_ZONES[n % len(NOISE_ZONES)])
            load_synthetic(store, noise, n + 2, noise_records // noise_tenants, KPI_FIRST, 24)
        settle(store)
        load_s = time.perf_counter() - clock
        print(f"  kpi: loaded {records:,} + {noise_records:,} noise records in {load_s:.1f} s", flush=True)
        schema = install_baseline(store, baseline) if baseline else None
        cases = {"one_month": (KPI_LAST, KPI_LAST), "twelve_months": ("2024-07", KPI_LAST)}
        reads: dict[str, Callable[[str, str], Any]] = {"current": lambda a, b: monthly_kpis(store, tenant, a, b)}
        if schema:
            reads["baseline"] = lambda a, b: baseline_kpis(store, schema, tenant, a, b)
        for read in reads.values():  # warm-up: plans cached, pages in memory
            read(KPI_LAST, KPI_LAST)
        times: dict[str, list[float]] = {f"{r}_{c}": [] for r in reads for c in cases}
        answers: dict[str, Any] = {}
        for rep in range(repeat):
            order = list(reads.items()) if rep % 2 == 0 else list(reversed(reads.items()))
            for case, (first, last) in cases.items():
                for name, read in order:
                    clock = time.perf_counter()
                    answers[f"{name}_{case}"] = read(first, last)
                    times[f"{name}_{case}"].append(time.perf_counter() - clock)
        latest = []
        for _ in range(repeat):
            clock = time.perf_counter()
            latest_month_with_data(store, tenant)
            latest.append(time.perf_counter() - clock)
        counted = sum(
            int(v["leadsCreated"])
            + int(v["contactsCreated"])
            + int(v["companiesCreated"])
            + int(v["dealsCreated"])
            + int(v["activitiesCount"])
            for v in monthly_kpis(store, tenant, KPI_FIRST, KPI_LAST).values()
        )
    result: dict[str, Any] = {
        "tenant_records": records,
        "live_records_counted": counted,
        "noise_records": noise_records,
        "noise_tenants": noise_tenants,
        "load_s": round(load_s, 1),
        "repeat": repeat,
        "latest_month_median_s": median(latest),
    }
    for key, values in times.items():
        result[f"{key}_median_s"] = median(values)
    if schema:
        result["baseline_ref"] = baseline
        for case in cases:
            result[f"{case}_ratio"] = round(result[f"current_{case}_median_s"] / result[f"baseline_{case}_median_s"], 3)
            result[f"{case}_same_kpis"] = answers[f"current_{case}"] == answers[f"baseline_{case}"]
    return result


# --- publish ---------------------------------------------------------------------------------------


def _raw_copy(store: Store, frames: EntityFrames) -> float:
    """One COPY of the rows into empty copies of the CRM tables (same columns, keys and indexes)."""
    for entity in SCHEMAS:
        store.execute(f"DROP TABLE IF EXISTS raw_{entity}")
        store.execute(f"CREATE TABLE raw_{entity} (LIKE {entity} INCLUDING ALL)")
    clock = time.perf_counter()
    with store.transaction():
        for entity, frame in frames:
            store.load_frame(f"raw_{entity}", frame.select(list(SCHEMAS[entity])))
    return time.perf_counter() - clock


def _stage_and_publish(store: Store, frames: EntityFrames, job_id: str) -> tuple[float, float]:
    """The engine's way: COPY into draft_*, then one transaction moves them into the CRM tables."""
    for entity in SCHEMAS:
        store.execute(f"TRUNCATE {entity}")  # as empty as the raw copy's tables
    clock = time.perf_counter()
    written = drafts.write_drafts(store, frames)
    stage_s = time.perf_counter() - clock
    clock = time.perf_counter()
    with store.transaction():
        moved = drafts.publish_drafts(store, job_id)
    if moved != written:
        raise SystemExit(f"publish moved {moved}, wrote {written}")
    return stage_s, time.perf_counter() - clock


def bench_publish(dbs: Databases, records: int, repeat: int) -> dict[str, Any]:
    months = ["2025-01", "2025-02", "2025-03"]
    raw: list[float] = []
    stage: list[float] = []
    move: list[float] = []
    with open_store(dbs.new("bench_publish")) as store:
        tenant = add_tenant(store, "publish", created_at=datetime(2024, 1, 1, tzinfo=UTC))
        ctx = load_context(store, tenant, Decimal("10000"), {})  # an empty tenant: nothing to sample
        deltas = [(m, month_metrics(records // len(months))) for m in months]
        for rep in range(repeat):
            job_id = str(uuid.uuid5(NS, f"publish-{rep}"))
            frames = generate_plan(deltas, ctx, as_of=NOW, job_id=job_id, seed=rep)
            if rep % 2:  # alternate which side goes first
                stage_s, move_s = _stage_and_publish(store, frames, job_id)
                raw.append(_raw_copy(store, frames))
            else:
                raw.append(_raw_copy(store, frames))
                stage_s, move_s = _stage_and_publish(store, frames, job_id)
            stage.append(stage_s)
            move.append(move_s)
            print(f"  publish run {rep}: raw {raw[-1]:.2f} s, stage+publish {stage_s + move_s:.2f} s", flush=True)
    engine = [s + m for s, m in zip(stage, move, strict=True)]
    return {
        "records": frames.records,
        "repeat": repeat,
        "raw_copy_median_s": median(raw),
        "stage_median_s": median(stage),
        "move_median_s": median(move),
        "stage_publish_median_s": median(engine),
        "ratio": round(statistics.median(engine) / statistics.median(raw), 2),
        "raw_runs_s": [round(v, 3) for v in raw],
        "stage_publish_runs_s": [round(v, 3) for v in engine],
    }


# --- million ---------------------------------------------------------------------------------------

MILLION_MONTHS = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]


def million_child(url: str, records: int) -> None:
    """Run in a child process, so ru_maxrss is this patch's peak and nothing else's."""
    with open_store(url) as store:
        add_tenant(store, "million", created_at=datetime(2024, 1, 1, tzinfo=UTC))
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        plan = make_plan("million", MILLION_MONTHS, records // len(MILLION_MONTHS), seed="million")
        job, metrics, seconds, steps = timed_apply(store, plan)
    print(
        json.dumps(
            {
                "records": metrics["recordsCreated"],
                "by_entity": metrics["byEntity"],
                "wall_s": round(seconds, 2),
                "steps_s": steps,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "rss_before_apply_mb": round(rss_before / 1024),
                "verification": job.diff_report_json.get("verification", {}).get("success")
                if job.diff_report_json
                else None,
            }
        )
    )


def bench_million(dbs: Databases, records: int) -> dict[str, Any]:
    url = dbs.new("bench_million")
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_engine", "--million-child", url, "--million-records", str(records)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if child.returncode:
        raise SystemExit(f"million child failed: {child.stderr.strip()[-2000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


# --- report ----------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    ram_kb = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0)
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line), "")
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": int(nproc or os.cpu_count() or 0),
        "ram_gb": round(ram_kb / 1024 / 1024, 1),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }


def _steps(steps: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in steps.items())


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        SECTION,
        "",
        f"`benchmarks/bench_engine.py`, recorded {report['recorded_at']} on {m['nproc']} cores (`nproc`), "
        f"{m['ram_gb']} GB RAM, {m['cpu']}, Python {m['python']}; load average {m['load_average']} "
        "when the run ended — other engineers' test suites shared the machine, so read medians, and "
        "ratios of runs interleaved in one process.",
        "",
    ]
    parts = report["parts"]
    if "typical" in parts:
        lines += [
            "### A typical patch: 3 months × 500 records a month, ADDITIVE, through `apply_plan`",
            "",
            "Limit < 60 s; goal < 10 s including the dbt audit and verification. A fresh tenant per run; "
            "the first run of a process also parses the dbt project (cached after).",
            "",
            "| backend | records | first run (with dbt parse) | warm median | warm runs | warm steps, median s |",
            "|---|---|---|---|---|---|",
        ]
        for backend, r in parts["typical"].items():
            lines.append(
                f"| {backend} | {r['records_per_run']:,} | {r['first_run_s']:.2f} s | **{r['warm_median_s']:.2f} s** | "
                f"{', '.join(f'{v:.2f}' for v in r['warm_runs_s'])} | {_steps(r['warm_steps_median_s'])} |"
            )
        lines.append("")
    if "kpi" in parts:
        first = next(iter(parts["kpi"].values()))
        lines += [
            f"### KPI snapshot on a tenant of {first['tenant_records']:,} records",
            "",
            f"`flows.kpis.monthly_kpis` over 24 months of data, beside {first['noise_tenants']} noise tenants "
            f"({first['noise_records']:,} records); median of {first['repeat']} interleaved reads. "
            "Limit < 5 s a month; goal < 0.1 s.",
            "",
        ]
        has_base = any("baseline_ref" in r for r in parts["kpi"].values())
        head = "| backend | one month | 12 months | latest month with data |"
        rule = "|---|---|---|---|"
        if has_base:
            head += " baseline one month | ratio | baseline 12 months | ratio | same KPIs |"
            rule += "---|---|---|---|---|"
        lines += [head, rule]
        for backend, r in parts["kpi"].items():
            row = (
                f"| {backend} | **{r['current_one_month_median_s'] * 1000:.0f} ms** | "
                f"{r['current_twelve_months_median_s'] * 1000:.0f} ms | {r['latest_month_median_s'] * 1000:.0f} ms |"
            )
            if has_base and "baseline_ref" in r:
                row += (
                    f" {r['baseline_one_month_median_s'] * 1000:.0f} ms | {r['one_month_ratio']:.2f}× | "
                    f"{r['baseline_twelve_months_median_s'] * 1000:.0f} ms | {r['twelve_months_ratio']:.2f}× | "
                    f"{r['one_month_same_kpis'] and r['twelve_months_same_kpis']} |"
                )
            lines.append(row)
        if has_base:
            lines += [
                "",
                f"Baseline: the dbt views of `{first.get('baseline_ref')}`, built beside the current ones "
                "on the same data (`--baseline`), read as that commit read them; ratio = current / baseline.",
            ]
        lines += [
            "",
            "The read groups `kpi_events` on `month_start` (the first day of the tenant-local month) and labels "
            "the groups, rather than grouping on a `YYYY-MM` label formatted per row. What is left per row on "
            "PostgreSQL is the tenant-local month itself (`AT TIME ZONE` by name, then `date_trunc`), the scan "
            "through the staging views and the eight sums; an index-only scan on a covering index did not beat "
            "the (tenant_id, created_at) index with the data in memory. `latest month with data` is a max over "
            "all the tenant's live records.",
            "",
        ]
    if "publish" in parts:
        r = parts["publish"]["postgres"]
        lines += [
            "### Load + publish on PostgreSQL against a raw COPY",
            "",
            "`drafts.write_drafts` (COPY into draft_*) + `drafts.publish_drafts` in one transaction, against one "
            "COPY of the same rows into empty copies of the CRM tables (same keys and indexes). Goal: within 2×.",
            "",
            "| records | raw COPY | stage | publish (move) | stage + publish | ratio |",
            "|---|---|---|---|---|---|",
            f"| {r['records']:,} | {r['raw_copy_median_s']:.2f} s | {r['stage_median_s']:.2f} s | "
            f"{r['move_median_s']:.2f} s | {r['stage_publish_median_s']:.2f} s | **{r['ratio']:.2f}×** |",
            "",
        ]
    if "million" in parts:
        r = parts["million"]["postgres"]
        lines += [
            "### One-million-record patch on PostgreSQL",
            "",
            "One plan of six months through `apply_plan`, in a child process; peak memory is its `ru_maxrss`.",
            "",
            "| records | wall | peak RSS (before apply) | verification | steps, s |",
            "|---|---|---|---|---|",
            f"| {r['records']:,} | **{r['wall_s']:.1f} s** | {r['peak_rss_mb']:,} MB "
            f"({r['rss_before_apply_mb']:,} MB) | "
            f"{'passed' if r['verification'] else 'FAILED'} | {_steps(r['steps_s'])} |",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


RESULTS_HEADER = """# Benchmark results

Run every benchmark with one command (each starts its own throwaway PostgreSQL):

```bash
.venv/bin/python -m benchmarks.run           # full sizes, records results here
.venv/bin/python -m benchmarks.run --quick   # small sizes, a smoke test; records nothing
```

See `benchmarks/README.md`. Each benchmark owns one section below and rewrites only that one.
"""


def write_markdown(section: str) -> None:
    text = RESULTS_MD.read_text() if RESULTS_MD.exists() else RESULTS_HEADER
    if not text.startswith("# "):  # others' sections came first: the how-to-run header goes on top
        text = RESULTS_HEADER + "\n" + text
    start = text.find(SECTION)
    if start < 0:
        text = text.rstrip() + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + ("\n" + text[end + 1 :] if end >= 0 else "")
    RESULTS_MD.write_text(text)


def record(results: dict[str, dict[str, Any]]) -> None:
    previous = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    parts = previous.get("parts", {})
    for part, by_backend in results.items():
        parts[part] = parts.get(part, {}) | by_backend
    report = {
        "benchmark": "ADDITIVE patch engine",
        "recorded_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "parts": parts,
    }
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(report, indent=2) + "\n")
    write_markdown(render(report))


# --- main ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=["duckdb", "postgres", "both"], default="both")
    parser.add_argument(
        "--part",
        nargs="+",
        choices=["typical", "kpi", "publish", "million"],
        default=["typical", "kpi", "publish", "million"],
    )
    parser.add_argument("--quick", action="store_true", help="small sizes and one warm run; records nothing")
    parser.add_argument("--warm-runs", type=int, default=3, help="typical: warm runs after the first")
    parser.add_argument("--typical-records", type=int, default=500, help="typical: records a month")
    parser.add_argument("--kpi-records", type=int, default=1_000_000)
    parser.add_argument("--noise-records", type=int, default=1_000_000, help="kpi: records of the noise tenants")
    parser.add_argument("--noise-tenants", type=int, default=2)
    parser.add_argument("--kpi-repeat", type=int, default=9)
    parser.add_argument("--baseline", metavar="GIT_REF", help="kpi: also time the dbt views of this git ref")
    parser.add_argument("--publish-records", type=int, default=200_000)
    parser.add_argument("--publish-repeat", type=int, default=3)
    parser.add_argument("--million-records", type=int, default=1_000_000)
    parser.add_argument("--postgres-url", help="a server to create the benchmark databases on")
    parser.add_argument("--no-record", action="store_true", help="do not write benchmarks/results or RESULTS.md")
    parser.add_argument("--million-child", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.million_child:
        million_child(args.million_child, args.million_records)
        return
    if args.quick:
        args.warm_runs, args.kpi_repeat, args.publish_repeat = 1, 3, 2
        args.kpi_records, args.noise_records = 20_000, 20_000
        args.publish_records, args.million_records = 5_000, 20_000
        args.no_record = True

    backends = ["duckdb", "postgres"] if args.backend == "both" else [args.backend]
    results: dict[str, dict[str, Any]] = {}
    for backend in backends:
        with databases(backend, args.postgres_url) as dbs:
            if "typical" in args.part:
                print(f"{backend}: typical patch", flush=True)
                results.setdefault("typical", {})[backend] = bench_typical(dbs, args.warm_runs, args.typical_records)
            if "kpi" in args.part:
                print(f"{backend}: kpi snapshot", flush=True)
                results.setdefault("kpi", {})[backend] = bench_kpi(
                    dbs, args.kpi_records, args.noise_records, args.noise_tenants, args.kpi_repeat, args.baseline
                )
            if backend == "postgres" and "publish" in args.part:
                print(f"{backend}: load + publish", flush=True)
                results.setdefault("publish", {})[backend] = bench_publish(
                    dbs, args.publish_records, args.publish_repeat
                )
            if backend == "postgres" and "million" in args.part:
                print(f"{backend}: {args.million_records:,}-record patch", flush=True)
                results.setdefault("million", {})[backend] = bench_million(dbs, args.million_records)
    print(json.dumps(results, indent=2))
    if not args.no_record:
        record(results)
    else:
        print(render({"recorded_at": "(not recorded)", "machine": machine(), "parts": results}))


if __name__ == "__main__":
    main()

"""Benchmark of the HTTP API of `demogen serve`: validate, KPIs and an apply job through a real server, beside the CLI.

One database per backend: the target tenant with 1,000,000 records of its own over the 24
months ending 2025-03 (the example plan's last month), and a Master Admin with an API token,
both written before the server starts (with DuckDB, one process holds the file at a time). Then:

  cli       `demogen validate --json PLAN --database URL` in a new process, as a new user runs
            it, PLAN the example plan pointed at the target tenant; before the server starts
  validate  POST tenants/target/patch/validate with the example plan as the body: p50 and p95
            over the requests after the warm-ups, one keep-alive client with the bearer token
  kpis      GET tenants/target/kpis?from=…&to=… over the data's last 12 months, the same way
  apply     POST tenants/target/patch/apply with the example plan and a seed of its own per run
            (a new job each time), to the job reading completed with progress 100, polling
            GET patch-jobs/{id} every 50 ms

The server is `python -m flows.cli.main serve` of this tree on a free port; its log (one line
per request, with the milliseconds the app spent on it) gives the server's side of each figure.

    .venv/bin/python -m benchmarks.bench_web [--backend duckdb|postgres|both] [--records N]
        [--requests N] [--warmups N] [--apply-runs N] [--cli-runs N] [--quick] [--no-record]
        [--postgres-url URL] [--server-logs DIR]

Results: benchmarks/results/web.json (merged per backend) and the "## The HTTP API" section of
benchmarks/RESULTS.md, rewritten from that file.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import yaml

from benchmarks.bench_apply import (
    DATA_FIRST_MONTH,
    DATA_MONTHS,
    EXAMPLE_PLAN,
    TARGET,
    blank_database,
    cli_env,
    load,
    median,
    postgres_version,
    run_process,
    seed_database,
    step_seconds,
)
from benchmarks.bench_engine import machine, write_markdown
from benchmarks.engine_fixtures import ROOT, Databases, databases
from flows.plan.model import plan_to_dict
from flows.plan.readers import read_plan_file
from flows.store import connect
from flows.store.accounts import issue_token, set_admin_password
from flows.web.settings import API_PREFIX
from generators.calendar import add_months
from tests.web.conftest import start_server

RESULTS_JSON = ROOT / "benchmarks" / "results" / "web.json"
SECTION = "## The HTTP API"
ADMIN_EMAIL = "bench@demogen.test"
KPI_FROM = add_months(DATA_FIRST_MONTH, DATA_MONTHS - 12)
KPI_TO = add_months(DATA_FIRST_MONTH, DATA_MONTHS - 1)
POLL_S = 0.05
JOB_TIMEOUT_S = 900
# One line per request from the app's middleware: "… flows.web.app: GET /path 200 12 ms who"
REQUEST_LINE = re.compile(r"flows\.web\.app: (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) (?P<ms>\d+) ms")
JOB_ID = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def p95(values: list[float]) -> float:
    return round(statistics.quantiles(values, n=100, method="inclusive")[94], 3) if len(values) > 1 else values[0]


def latency(values: list[float]) -> dict[str, Any]:
    """p50 and p95 in milliseconds, and every request's."""
    ms = [v * 1000 for v in values]
    return {
        "requests": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(p95(ms), 1),
        "runs_ms": [round(v, 1) for v in ms],
    }


def plan_body() -> dict[str, Any]:
    """The example plan as an API body: the path names the tenant."""
    body = plan_to_dict(read_plan_file(EXAMPLE_PLAN))
    body.pop("tenant", None)
    return body


def target_plan(folder: Path) -> Path:
    """The example plan file pointed at the target tenant, for the CLI."""
    path = folder / "example-target.yaml"
    path.write_text(yaml.safe_dump(yaml.safe_load(EXAMPLE_PLAN.read_text()) | {"tenant": TARGET}, sort_keys=False))
    return path


def admin_token(url: str) -> str:
    """A Master Admin and a new API token of theirs, on a connection closed before the server opens the file.

    The password is random and forgotten: only the token is used, and only in memory.
    """
    store = connect(url)
    try:
        set_admin_password(store, ADMIN_EMAIL, secrets.token_urlsafe(24))
        return issue_token(store, ADMIN_EMAIL)[1]
    finally:
        store.close()


def server_env() -> dict[str, str]:
    """cli_env's environment, with no Prefect deployment: jobs run on the server's own threads."""
    env = cli_env()
    env.pop("DEMOGEN_PREFECT_DEPLOYMENT", None)
    return env


# --- the measurements ------------------------------------------------------------------------------


def cli_validate(plan: Path, url: str, runs: int) -> dict[str, Any]:
    walls = []
    for n in range(runs):
        ran = run_process(
            [sys.executable, "-m", "flows.cli.main", "validate", "--json", str(plan), "--database", url], cli_env()
        )
        if ran.returncode or not json.loads(ran.stdout)["valid"]:
            raise SystemExit(f"demogen validate exited {ran.returncode}: {(ran.stderr or ran.stdout).strip()[-2000:]}")
        walls.append(ran.wall_s)
        print(f"  cli validate run {n}: {ran.wall_s:.2f} s", flush=True)
    return {"runs": runs, "median_s": median(walls), "runs_s": [round(w, 2) for w in walls]}


def timed(client: httpx.Client, method: str, path: str, warmups: int, requests: int, **kwargs: Any) -> list[float]:
    """Seconds per request after `warmups` untimed ones; every answer must be a 200."""
    seconds = []
    for n in range(warmups + requests):
        clock = time.perf_counter()
        response = client.request(method, path, **kwargs)
        elapsed = time.perf_counter() - clock
        if response.status_code != 200:
            raise SystemExit(f"{method} {path}: {response.status_code} {response.text[:2000]}")
        if n >= warmups:
            seconds.append(elapsed)
    return seconds


@dataclass(frozen=True)
class Job:
    """An applied job: seconds from the POST to the poll that read it completed at 100 %, its records, steps."""

    id: str
    wall_s: float
    records: int
    steps_s: dict[str, float]


def apply_job(client: httpx.Client, body: dict[str, Any]) -> Job:
    """POST the plan, then poll its job every 50 ms until it reads completed with progress 100."""
    started = datetime.now(UTC)
    clock = time.perf_counter()
    response = client.post(f"{API_PREFIX}/tenants/{TARGET}/patch/apply", json=body)
    if response.status_code != 202:
        raise SystemExit(f"POST patch/apply: {response.status_code} {response.text[:2000]}")
    job_id = response.json()["jobId"]
    while time.perf_counter() - clock < JOB_TIMEOUT_S:
        job = client.get(f"{API_PREFIX}/patch-jobs/{job_id}").json()["job"]
        if job["status"] == "failed":
            raise SystemExit(f"job {job_id} failed: {job['errorMessage']}")
        if job["status"] == "completed" and job["progress"] == 100:
            wall, ended = time.perf_counter() - clock, datetime.now(UTC)
            return Job(job_id, wall, job["metrics"]["recordsCreated"], step_seconds(job["logs"], started, ended))
        time.sleep(POLL_S)
    raise SystemExit(f"job {job_id} did not complete within {JOB_TIMEOUT_S} s")


def server_side(log_text: str) -> dict[str, dict[str, Any]]:
    """Per endpoint (job ids folded into {jobId}): requests, and the app's own milliseconds, median and max."""
    ms: dict[str, list[int]] = {}
    for match in REQUEST_LINE.finditer(log_text):
        path = JOB_ID.sub("/{jobId}", match["path"]).removeprefix(API_PREFIX + "/")
        ms.setdefault(f"{match['method']} {path}", []).append(int(match["ms"]))
    return {
        endpoint: {"requests": len(values), "median_ms": statistics.median(values), "max_ms": max(values)}
        for endpoint, values in ms.items()
    }


def bench_backend(dbs: Databases, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    load_before = load()
    url = dbs.new("bench_web", blank_database(dbs))
    clock = time.perf_counter()
    seed_database(url, args.records, 0)
    seed_s = time.perf_counter() - clock
    print(f"  seeded {args.records:,} records in {seed_s:.1f} s", flush=True)
    token = admin_token(url)
    cli = cli_validate(target_plan(work), url, args.cli_runs)  # DuckDB: the server must not hold the file

    log_path = work / f"serve-{dbs.backend}.log"
    clock = time.perf_counter()
    process, base_url = start_server(url, log_path, env=server_env())
    ready_s = time.perf_counter() - clock
    print(f"  server answered after {ready_s:.1f} s", flush=True)
    body = plan_body()
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=300) as client:
            validate = latency(
                timed(
                    client,
                    "POST",
                    f"{API_PREFIX}/tenants/{TARGET}/patch/validate",
                    args.warmups,
                    args.requests,
                    json=body,
                )
            )
            print(f"  validate: p50 {validate['p50_ms']} ms, p95 {validate['p95_ms']} ms", flush=True)
            kpis = latency(
                timed(
                    client,
                    "GET",
                    f"{API_PREFIX}/tenants/{TARGET}/kpis",
                    args.warmups,
                    args.requests,
                    params={"from": KPI_FROM, "to": KPI_TO},
                )
            )
            print(f"  kpis: p50 {kpis['p50_ms']} ms, p95 {kpis['p95_ms']} ms", flush=True)
            jobs: list[Job] = []
            for n in range(args.apply_runs):
                jobs.append(apply_job(client, body | {"seed": f"web-{dbs.backend}-{n}-{secrets.token_hex(4)}"}))
                print(f"  apply run {n}: {jobs[-1].wall_s:.2f} s, {jobs[-1].records} records", flush=True)
            # The job the polls read, once the server is idle: what a poll costs without a job running beside it.
            job_read = latency(
                timed(client, "GET", f"{API_PREFIX}/patch-jobs/{jobs[-1].id}", args.warmups, args.requests)
            )
            print(f"  job read: p50 {job_read['p50_ms']} ms, p95 {job_read['p95_ms']} ms", flush=True)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
    if args.server_logs:
        Path(args.server_logs).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log_path, Path(args.server_logs) / log_path.name)
    apply = {
        "runs": len(jobs),
        "records": jobs[0].records,
        "median_s": median([j.wall_s for j in jobs]),
        "runs_s": [round(j.wall_s, 2) for j in jobs],
        "steps_median_s": {k: median([j.steps_s.get(k, 0.0) for j in jobs]) for k in jobs[0].steps_s},
        "steps_first_run_s": jobs[0].steps_s,
    }
    return {
        "records": args.records,
        "seed_s": round(seed_s, 1),
        "server_ready_s": round(ready_s, 2),
        "kpi_months": [KPI_FROM, KPI_TO],
        "warmups": args.warmups,
        "validate": validate,
        "kpis": kpis,
        "apply": apply,
        "job_read": job_read,
        "cli_validate": cli,
        "cli_over_api": round(cli["median_s"] * 1000 / validate["p50_ms"], 1),
        "server_ms": server_side(log_path.read_text(encoding="utf-8", errors="replace")),
        "load_average": [load_before, load()],
    }


# --- report ----------------------------------------------------------------------------------------


def _recorded(by_backend: dict[str, Any]) -> str:
    stamps: dict[tuple[str, str], list[str]] = {}
    for backend, r in by_backend.items():
        stamps.setdefault((r["recorded_at"], r["command"]), []).append(backend)
    return "; ".join(f"Recorded {at} by `{command}` ({', '.join(b)})" for (at, command), b in stamps.items()) + "."


def _server(r: dict[str, Any], endpoint: str) -> str:
    found = r["server_ms"].get(endpoint)
    return f"{found['median_ms']:.0f} ms" if found else "-"


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    backends = report["backends"]
    first = next(iter(backends.values()))
    lines = [
        SECTION,
        "",
        f"`.venv/bin/python -m benchmarks.bench_web` on {m['nproc']} cores (`nproc`), {m['ram_gb']} GB RAM, "
        f"{m['cpu']}; Python {m['python']}, PostgreSQL {m.get('postgres', '-')}, DuckDB {m['duckdb']}; load "
        f"average (1, 5, 15 min) {m['load_average']} when the last run ended, and per backend below at its "
        "start and end. Other people's test suites shared the machine: read medians. "
        f"{_recorded(backends)}",
        "",
        "A real `demogen serve` of this tree in a process of its own, on a database where the target tenant "
        f"holds {first['records']:,} records over {DATA_MONTHS} months ending 2025-03, and nothing else; one "
        "httpx client with keep-alive and a Master Admin's bearer token. Validate: the example plan "
        "(`plans/examples/first-quarter-2025.yaml`) as the body. KPIs: "
        f"`?from={first['kpi_months'][0]}&to={first['kpi_months'][1]}` (12 months). Both timed over "
        f"{first['validate']['requests']} requests after {first['warmups']} warm-ups. Apply: from the POST to "
        "the poll (every 50 ms) that reads the job completed with progress 100, a seed of its own per run, so "
        "each is a new job of the plan's 678 records. CLI: `demogen validate --json PLAN --database URL` in a "
        "new process (interpreter, imports and all), the same plan pointed at the tenant, before the server "
        "starts.",
        "",
        "| backend | validate p50 / p95 | KPIs, 12 months, p50 / p95 | apply → completed, median (runs) | "
        "CLI validate, median | CLI / API validate | load avg |",
        "|---|---|---|---|---|---|---|",
    ]
    for backend, r in backends.items():
        v, k, a, c = r["validate"], r["kpis"], r["apply"], r["cli_validate"]
        runs = ", ".join(f"{s:.2f}" for s in a["runs_s"])
        lines.append(
            f"| {backend} | **{v['p50_ms']:.0f} ms** / {v['p95_ms']:.0f} ms | **{k['p50_ms']:.0f} ms** / "
            f"{k['p95_ms']:.0f} ms | **{a['median_s']:.2f} s** ({runs}) | {c['median_s']:.2f} s | "
            f"**{r['cli_over_api']:.1f}×** | {r['load_average'][0]} → {r['load_average'][1]} |"
        )
    lines += [
        "",
        "The server's side, from its log (the milliseconds the app spent on each request from its middleware's "
        "view, median over the timed requests and the warm-ups; `GET job` is the polls while a job ran beside "
        "them), a job read once the server is idle (client p50 / p95, the same number of requests), and where an "
        "apply's seconds go (from the job's log: `start-up` runs from the POST to the job's first entry, `exit` "
        "from its last entry to the poll that saw it). The first job on a database also compiles the audit and "
        "verification tests with dbt (once per database: the SQL is kept in its dbt folder), hence its audit:",
        "",
        "| backend | validate | KPIs | POST apply | GET job, polled | job read, idle | apply steps, median s | "
        "first job's audit | server ready |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for backend, r in backends.items():
        a, j = r["apply"], r["job_read"]
        steps = ", ".join(f"{k} {v:.2f}" for k, v in a["steps_median_s"].items())
        lines.append(
            f"| {backend} | {_server(r, f'POST tenants/{TARGET}/patch/validate')} | "
            f"{_server(r, f'GET tenants/{TARGET}/kpis')} | {_server(r, f'POST tenants/{TARGET}/patch/apply')} | "
            f"{_server(r, 'GET patch-jobs/{jobId}')} | {j['p50_ms']:.0f} / {j['p95_ms']:.0f} ms | {steps} | "
            f"{a['steps_first_run_s'].get('audit', 0.0):.1f} s | {r['server_ready_s']:.1f} s |"
        )
    return "\n".join(lines).rstrip() + "\n"


def record(report: dict[str, Any]) -> None:
    """Merge the backends run into benchmarks/results/web.json, and rewrite this benchmark's RESULTS.md section."""
    previous = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    report = report | {
        "machine": previous.get("machine", {}) | report["machine"],
        "backends": previous.get("backends", {}) | report["backends"],
    }
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(report, indent=2) + "\n")
    write_markdown(render(report), SECTION)


# --- main ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=["duckdb", "postgres", "both"], default="both")
    parser.add_argument("--records", type=int, default=1_000_000, help="the target tenant's own")
    parser.add_argument("--requests", type=int, default=30, help="timed requests of validate and of KPIs")
    parser.add_argument("--warmups", type=int, default=3, help="untimed requests before them")
    parser.add_argument("--apply-runs", type=int, default=3)
    parser.add_argument("--cli-runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="small sizes, few runs; records nothing")
    parser.add_argument("--postgres-url", help="a server to create the benchmark database on")
    parser.add_argument("--server-logs", metavar="DIR", help="keep each server's log here (one line per request)")
    parser.add_argument("--no-record", action="store_true", help="do not write benchmarks/results or RESULTS.md")
    args = parser.parse_args()
    if args.quick:
        args.records, args.requests, args.warmups, args.apply_runs, args.cli_runs = 10_000, 5, 1, 2, 2
        args.no_record = True

    # Where the logs were kept changes nothing measured, and a local folder has no place in RESULTS.md.
    shown = [a for a in sys.argv[1:] if not a.startswith("--server-logs") and a != args.server_logs]
    command = " ".join([".venv/bin/python -m benchmarks.bench_web", *shown])
    started = time.perf_counter()
    backends = ["duckdb", "postgres"] if args.backend == "both" else [args.backend]
    results: dict[str, dict[str, Any]] = {}
    versions = {"duckdb": version("duckdb"), "polars": version("polars")}
    with tempfile.TemporaryDirectory(prefix="demogen-bench-web-") as folder:
        for backend in backends:
            print(f"{backend}: {args.records:,} records in the target tenant", flush=True)
            with databases(backend, args.postgres_url) as dbs:
                if dbs.server_url:
                    versions["postgres"] = postgres_version(dbs.server_url)
                results[backend] = bench_backend(dbs, Path(folder), args)
    recorded = "(not recorded)" if args.no_record else datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    for result in results.values():
        result |= {"recorded_at": recorded, "command": command}
    report = {
        "benchmark": "the HTTP API of demogen serve",
        "machine": machine() | versions,
        "last_run": {"command": command, "minutes": round((time.perf_counter() - started) / 60, 1)},
        "backends": results,
    }
    print(json.dumps(results, indent=2))
    if args.no_record:
        print(render(report))
    else:
        record(report)


if __name__ == "__main__":
    main()

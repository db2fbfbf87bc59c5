"""Benchmark: preview of a 12-month TARGETS plan on a tenant holding one million records, both backends.

The limit is 3 s; our goal is 0.5 s. "Preview" is what `demogen validate` does after reading
the plan: resolve the tenant, read its KPIs for the plan's months through the dbt KPI model,
its typical deal size and existing companies, then validate and allocate every month.

    .venv/bin/python -m benchmarks.bench_preview [--records 1000000] [--repeat 7] [--backend duckdb|postgres|both]

PostgreSQL: --postgres-url URL, else a throwaway cluster as the test suite starts one.
Medians are written to benchmarks/results/preview.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from benchmarks.engine_fixtures import SHARES, load_synthetic
from flows.engine.steps import prepare
from flows.kpis.reads import monthly_kpis
from flows.plan.model import PatchPlan
from flows.plan.quick_fill import grow_targets
from flows.store import Store, connect, open_store
from flows.store.tenants import resolve_tenant
from generators.calendar import add_months
from tests.helpers import insert_tenant
from tests.pg_cluster import start_cluster

ROOT = Path(__file__).resolve().parents[1]

RESULTS = ROOT / "benchmarks" / "results" / "preview.json"
FIRST_DATA_MONTH = "2023-07"  # two years of data ...
PLAN_FIRST = "2024-07"  # ... and a plan over its last twelve months
MONTHS = 12
NOW = datetime(2025, 7, 15, 12, tzinfo=UTC)


def populate(url: str, records: int) -> None:
    with open_store(url) as store:
        tenant = insert_tenant(
            store,
            slug="bench-demo",
            name="Benchmark Demo",
            timezone="America/New_York",
            created_at=datetime(2023, 6, 1, tzinfo=UTC),
        )
        # Same synthetic rows as the engine benchmark: two years up to the plan's last month.
        load_synthetic(store, tenant, 1, records, FIRST_DATA_MONTH, 24)
        if store.backend == "postgres":
            store.execute("ANALYZE")


def twelve_month_targets(store: Store) -> PatchPlan:
    """TARGETS 10% above every month's current KPIs."""
    tenant = resolve_tenant(store, "bench-demo")
    last = add_months(PLAN_FIRST, MONTHS - 1)
    current = monthly_kpis(store, tenant, PLAN_FIRST, last)
    months = [{"month": m, "metrics": grow_targets(kpis, Decimal(10), 1)[0]} for m, kpis in current.items()]
    return PatchPlan.model_validate(
        {"tenant": "bench-demo", "mode": "additive", "planType": "targets", "months": months}
    )


def measure(url: str, repeat: int) -> dict[str, object]:
    with open_store(url) as store:
        plan = twelve_month_targets(store)
        checked = prepare(store, plan, as_of=NOW)  # warm-up; also proves the plan is valid
        if not checked.validation.valid:
            raise SystemExit(f"benchmark plan is invalid: {checked.validation.errors[:3]}")
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            prepare(store, plan, as_of=NOW)
            runs.append(time.perf_counter() - started)
        records = sum(
            int(store.scalar(f"SELECT count(*) AS n FROM {e} WHERE tenant_id = ?", (checked.tenant.id,)))
            for e in SHARES
        )
    preview = checked.validation.preview
    return {
        "median_s": round(statistics.median(runs), 4),
        "runs_s": [round(r, 4) for r in runs],
        "tenant_records": records,
        "records_to_create": preview.records.total if preview else None,
    }


@contextmanager
def duckdb_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="demogen-bench-") as folder:
        yield f"duckdb:///{folder}/bench.duckdb"


@contextmanager
def postgres_url(given: str | None) -> Iterator[str]:
    if given:
        yield given
        return
    cluster = start_cluster()
    try:
        admin = connect(cluster.url)
        admin.execute("CREATE DATABASE bench")
        admin.close()
        yield cluster.url_for("bench")
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--backend", choices=["duckdb", "postgres", "both"], default="both")
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--no-record", action="store_true", help="Do not write benchmarks/results/.")
    args = parser.parse_args()

    backends = ["duckdb", "postgres"] if args.backend == "both" else [args.backend]
    results: dict[str, object] = {}
    for backend in backends:
        context = duckdb_url() if backend == "duckdb" else postgres_url(args.postgres_url)
        with context as url:
            started = time.perf_counter()
            populate(url, args.records)
            print(f"{backend}: loaded {args.records:,} records in {time.perf_counter() - started:.1f} s")
            results[backend] = measure(url, args.repeat)
            print(f"{backend}: preview median {results[backend]['median_s']} s")  # type: ignore[index]
    report = {
        "benchmark": "preview of a 12-month TARGETS plan (engine.prepare: KPIs + validation + allocation)",
        "records": args.records,
        "months": MONTHS,
        "repeat": args.repeat,
        "limit_s": 3.0,
        "goal_s": 0.5,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
        "backends": results,
    }
    print(json.dumps(report, indent=2))
    if not args.no_record:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        if args.backend != "both" and isinstance(previous.get("backends"), dict):
            report["backends"] = previous["backends"] | results
        RESULTS.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()

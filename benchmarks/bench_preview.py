"""Benchmark: preview of a 12-month TARGETS plan on a tenant holding one million records, both backends.

PRD §4.1 allows 3 s; our goal is 0.5 s. "Preview" is what `demogen validate` does after reading
the plan: resolve the tenant, read its KPIs for the plan's months through the dbt KPI model,
its typical deal size and existing companies, then validate and allocate every month.

    python benchmarks/bench_preview.py [--records 1000000] [--repeat 7] [--backend duckdb|postgres|both]

PostgreSQL: --postgres-url URL, else a throwaway cluster as the test suite starts one.
Medians are written to benchmarks/results/preview.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.helpers and tests.pg_cluster

from flows.engine import prepare  # noqa: E402
from flows.growth import grow_targets  # noqa: E402
from flows.kpis import monthly_kpis  # noqa: E402
from flows.months import add_months, month_start  # noqa: E402
from flows.plan import PatchPlan  # noqa: E402
from flows.store import Store, connect, open_store  # noqa: E402
from flows.tenants import Tenant  # noqa: E402
from generators.frames import conform  # noqa: E402
from tests.helpers import insert_tenant, stage_id  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "preview.json"
FIRST_DATA_MONTH = "2023-07"  # two years of data ...
PLAN_FIRST = "2024-07"  # ... and a plan over its last twelve months
MONTHS = 12
NOW = datetime(2025, 7, 15, 12, tzinfo=UTC)
# Share of the tenant's records per entity.
SHARES = {"companies": 0.05, "contacts": 0.40, "deals": 0.15, "activities": 0.40}


def _ids(prefix: int, n: int) -> pl.Expr:
    # Valid uuids built in bulk: a per-entity prefix, the row number as the last group.
    return pl.format(f"{prefix:08x}-0000-4000-8000-{{}}", pl.int_range(n).cast(pl.String).str.zfill(12))


def _spread(n: int, salt: int, modulo: int) -> pl.Expr:
    # Deterministic pseudo-random integers in [0, modulo): no numpy, no per-row Python.
    return ((pl.int_range(n, dtype=pl.Int64) * 2654435761 + salt * 40503) % 4294967291) % modulo


def tenant_frames(tenant: Tenant, records: int) -> dict[str, pl.DataFrame]:
    """One tenant's records over 24 months, in the CRM tables' layout."""
    start = month_start(FIRST_DATA_MONTH, tenant.timezone)
    span = int((month_start(add_months(PLAN_FIRST, MONTHS), tenant.timezone) - start).total_seconds()) - 1
    sizes = {e: int(records * share) for e, share in SHARES.items()}

    def base(prefix: int, n: int, salt: int) -> pl.DataFrame:
        created = pl.lit(start) + pl.duration(seconds=_spread(n, salt, span))
        return pl.select(
            id=_ids(prefix, n),
            tenant_id=pl.lit(tenant.id),
            owner_id=pl.lit(None, pl.String),
            created_at=created,
            updated_at=created,
            deleted_at=pl.lit(None, pl.Datetime("us", "UTC")),
            demo_generated=pl.lit(True),
            demo_job_id=pl.lit(None, pl.String),
            demo_source_month=pl.lit(None, pl.String),
        )

    n = sizes["companies"]
    companies = base(1, n, 1).with_columns(
        name=pl.format("Company {}", pl.int_range(n)),
        domain=pl.format("company{}.example", pl.int_range(n)),
        industry=pl.lit("Software"),
        size=pl.lit("51-200"),
        city=pl.lit("Springfield"),
        country=pl.lit("US"),
    )
    n = sizes["contacts"]
    statuses = pl.Series(["lead", "lead", "prospect", "customer"])
    contacts = base(2, n, 2).with_columns(
        company_id=pl.lit(None, pl.String),
        first_name=pl.lit("Ada"),
        last_name=pl.format("Person {}", pl.int_range(n)),
        email=pl.format("p{}@example.com", pl.int_range(n)),
        phone=pl.lit(None, pl.String),
        job_title=pl.lit("Buyer"),
        status=pl.lit(statuses).gather(_spread(n, 3, 4)),
        source=pl.lit("web"),
    )
    n = sizes["deals"]
    stages = pl.Series([stage_id(tenant.id, s) for s in ("Won", "Won", "Won", "Lost", "Lost", "Qualified")])
    deals = base(3, n, 4).with_columns(
        contact_id=pl.lit(None, pl.String),
        company_id=pl.lit(None, pl.String),
        stage_id=pl.lit(stages).gather(_spread(n, 5, 6)),
        name=pl.format("Deal {}", pl.int_range(n)),
        value=(1000 + _spread(n, 6, 30000)).cast(pl.Decimal(14, 2)),
        currency=pl.lit("USD"),
        expected_close_date=pl.lit(None, pl.Date),
        closed_at=pl.lit(None, pl.Datetime("us", "UTC")),
    )
    n = sizes["activities"]
    activities = base(4, n, 7).with_columns(
        contact_id=pl.lit(None, pl.String),
        deal_id=pl.lit(None, pl.String),
        company_id=pl.lit(None, pl.String),
        type=pl.lit("call"),
        subject=pl.lit("Call"),
    )
    frames = {"companies": companies, "contacts": contacts, "deals": deals, "activities": activities}
    return {entity: conform(entity, frame) for entity, frame in frames.items()}


def populate(url: str, records: int) -> None:
    with open_store(url) as store:
        tenant = insert_tenant(
            store,
            slug="bench-demo",
            name="Benchmark Demo",
            timezone="America/New_York",
            created_at=datetime(2023, 6, 1, tzinfo=UTC),
        )
        for entity, frame in tenant_frames(tenant, records).items():
            for chunk in frame.iter_slices(200_000):
                store.load_frame(entity, chunk)
        if store.backend == "postgres":
            store.execute("ANALYZE")


def twelve_month_targets(store: Store) -> PatchPlan:
    """TARGETS 10% above every month's current KPIs."""
    from flows.tenants import resolve_tenant

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
    from tests.pg_cluster import start_cluster

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
        "prd_limit_s": 3.0,
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

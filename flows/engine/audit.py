"""The dbt audit of a job's drafts before publishing, and the verification of live tables after."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from flows.plan.model import PatchPlan
from flows.store import dbt_runner as dbt
from flows.store.base import Store
from flows.store.schema import draft_table
from generators.frames import ENTITIES
from generators.metrics import BY_NAME

Target = dict[str, Any]  # {"month", "metric" (dbt column), "name" (camelCase), "expected", "tolerance"}


def job_targets(
    plan: PatchPlan,
    deltas: Mapping[str, Mapping[str, Any]],
    before: Mapping[str, Mapping[str, Any]],
) -> list[Target]:
    """What each targeted KPI must read after the job: before + delta, with its absolute tolerance.

    countTolerance is absolute; valueTolerance is relative to the expected value.
    Metrics the plan leaves unset have no target and are not checked.
    """
    targets: list[Target] = []
    for month in sorted(deltas):
        for name, delta in deltas[month].items():
            if delta is None:
                continue
            metric = BY_NAME[name]
            expected = Decimal(str(before[month][name])) + Decimal(str(delta))
            if metric.kind == "money":
                tolerance = (abs(expected) * Decimal(str(plan.tolerances.value_tolerance))).quantize(Decimal("0.01"))
            else:
                tolerance = Decimal(str(plan.tolerances.count_tolerance))
            targets.append(
                {
                    "month": month,
                    "metric": metric.column,
                    "name": name,
                    "expected": str(expected),
                    "tolerance": str(tolerance),
                }
            )
    return targets


def record_targets(store: Store, job_id: str, targets: list[Target]) -> None:
    """Store the job's targets as rows: its audit and verification tests read them by job id."""
    with store.transaction():
        store.execute("DELETE FROM demo_patch_job_targets WHERE job_id = ?", (job_id,))
        for t in targets:
            store.execute(
                "INSERT INTO demo_patch_job_targets (job_id, month, metric, expected, tolerance) "
                "VALUES (?, ?, ?, ?, ?)",
                (job_id, t["month"], t["metric"], Decimal(t["expected"]), Decimal(t["tolerance"])),
            )


def _job(job_id: str, tenant_id: str, as_of: datetime) -> dict[str, str]:
    return {"job_id": job_id, "tenant_id": tenant_id, "as_of": as_of.isoformat()}


def audit_drafts(store: Store, job_id: str, tenant_id: str, as_of: datetime, targets: list[Target]) -> dbt.DbtRun:
    """dbt's audit tests over published rows ∪ the job's drafts.

    Targets, integrity, lifecycle, timestamps and provenance, before anything is published.
    """
    record_targets(store, job_id, targets)
    if store.backend == "postgres":  # fresh statistics: the planner must know how many drafts there are
        store.execute(f"ANALYZE {', '.join(draft_table(e) for e in ENTITIES)}")
    return dbt.run_job_tests(store, "audit", _job(job_id, tenant_id, as_of))


def verify_published(
    store: Store,
    job_id: str,
    tenant_id: str,
    as_of: datetime,
    targets: list[Target],
    published: Mapping[str, int] | None = None,
) -> dbt.DbtRun:
    """dbt's verification tests on the live tables after publishing: the KPI verification stored with the job.

    `published`: the rows the job added per entity, whose tables get fresh statistics first when
    they grew by much (`refresh_statistics`).
    """
    record_targets(store, job_id, targets)  # the same rows again, or those of a job recorded before they were kept
    refresh_statistics(store, published or {})
    return dbt.run_job_tests(store, "verification", _job(job_id, tenant_id, as_of))


# PostgreSQL's autovacuum analyzes a table once a tenth of it changed, but a while later: until
# then the planner takes a table that just doubled for the size it had, and may loop over it.
GROWN_SHARE = 0.1


def refresh_statistics(store: Store, published: Mapping[str, int]) -> list[str]:
    """ANALYZE the CRM tables a job grew by more than GROWN_SHARE of the rows the planner knew of.

    Verification and the report read the live tables right after publishing; a table a big job
    just filled (or an empty one it started) would otherwise be planned as the size it had. A
    small job on a big table costs nothing here. Returns the tables analyzed (none on DuckDB,
    whose planner reads the tables' current sizes itself).
    """
    grown = [entity for entity, n in published.items() if n > 0 and entity in ENTITIES]
    if store.backend != "postgres" or not grown:
        return []
    known = {
        str(row["relname"]): float(row["reltuples"])
        for row in store.query("SELECT relname, reltuples FROM pg_class WHERE oid = ANY(?::regclass[])", (grown,))
    }
    # reltuples is -1 for a table never analyzed, 0 for one analyzed empty
    stale = [e for e in grown if published[e] > GROWN_SHARE * max(known.get(e, -1.0), 0.0)]
    if stale:
        store.execute(f"ANALYZE {', '.join(stale)}")
    return stale


def summary(run: dbt.DbtRun) -> dict[str, Any]:
    """A dbt run as stored with the job: pass/fail per test."""
    return {
        "success": run.success,
        "tests": [
            {"name": r.name, "status": r.status, "failures": r.failures, "seconds": r.seconds} for r in run.results
        ],
    }

"""`roll_forward`: keeps opted-in demo tenants current with TARGETS plans built from their growth template."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.engine.roll_forward import checked_tenant_plan
from flows.patch import PatchFailed, apply_patch
from flows.plan.roll_forward import CONFIG, OptIn, TenantPlan, load_config
from flows.store.jobs import now_utc
from generators.errors import DemogenError

SUMMARY_KEY = "roll-forward"


@task(cache_policy=NO_CACHE)
def build_plan(opt_in: OptIn, database_url: str | None, as_of: datetime) -> TenantPlan:
    """Read the tenant's KPIs and build its TARGETS plan from its template; checks it like `validate`."""
    return checked_tenant_plan(opt_in, database_url, as_of)


def _row(
    opt_in: OptIn,
    status: str,
    months: str = "",
    records: int | None = None,
    job_id: str | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """One tenant's line of the roll-forward table (every line has every column)."""
    return {
        "tenant": opt_in.tenant,
        "template": opt_in.template,
        "status": status,
        "months": months,
        "recordsCreated": records,
        "jobId": job_id,
        "error": error,
    }


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@flow(name="roll-forward")
def roll_forward(
    database_url: str | None = None,
    config_path: str = CONFIG,
    tenants: list[OptIn] | None = None,
    as_of: datetime | None = None,
) -> list[dict[str, Any]]:
    """Bring every opted-in demo tenant up to date with its growth template (TARGETS, so re-runs add nothing).

    Args:
        database_url: CRM database URL (default: DEMOGEN_DATABASE_URL, else duckdb:///demogen.duckdb).
        config_path: The opt-in list, relative to the project root: tenants with their template.
        tenants: Roll forward these tenants instead of the config file's.
        as_of: The moment to roll forward to (default: now); months after it are never touched.
    """
    when = (as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)) if as_of else now_utc()
    rows: list[dict[str, Any]] = []
    for opt_in in tenants if tenants is not None else load_config(config_path).tenants:
        try:
            built = build_plan(opt_in, database_url, when)
        except Exception as exc:  # one tenant's trouble must not starve the others
            rows.append(_row(opt_in, "failed", error=_first_line(exc)))
            continue
        span = f"{built.months[0]} … {built.months[-1]}" if built.months else "—"
        if built.plan is None:
            rows.append(_row(opt_in, "up to date", span, records=0))
            continue
        try:
            job = apply_patch(plan=built.plan, database_url=database_url, as_of=when, source=f"roll-forward {span}")
        except PatchFailed as exc:
            rows.append(_row(opt_in, "failed", span, job_id=exc.job.id, error=exc.job.error_message))
            continue
        except Exception as exc:
            rows.append(_row(opt_in, "failed", span, error=_first_line(exc)))
            continue
        created = (job.get("metrics") or {}).get("recordsCreated", 0)
        rows.append(_row(opt_in, "rolled forward", span, records=created, job_id=job["id"]))
    if rows:
        create_table_artifact(rows, key=SUMMARY_KEY, description=f"Roll-forward to {when.isoformat()}")
    failed = [r for r in rows if r["status"] == "failed"]
    if failed:
        raise DemogenError(
            f"roll-forward failed for {len(failed)} of {len(rows)} tenants: "
            + "; ".join(f"{r['tenant']}: {r['error']}" for r in failed)
        )
    return rows

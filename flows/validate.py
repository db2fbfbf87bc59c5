"""`validate_patch`: the plan's preview without writing anything."""

from __future__ import annotations

from typing import Any, Literal

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows import artifacts
from flows.engine.steps import prepare
from flows.plan.model import PatchPlan
from flows.store import open_store
from flows.tasks import logs_to_prefect, read_plan


@task(cache_policy=NO_CACHE)
def preview_plan(plan: PatchPlan, database_url: str | None, source: str) -> dict[str, Any]:
    """Snapshot the KPIs, compute deltas, check V-1..V-5 and feasibility, preview the records: no writes."""
    with logs_to_prefect(), open_store(database_url) as store:
        prepared = prepare(store, plan)
    result = prepared.validation.as_dict()
    artifacts.create_preview_artifact(result, prepared.tenant, source)
    return result


@flow(name="validate-patch")
def validate_patch(
    plan_path: str | None = None,
    plan: PatchPlan | None = None,
    csv_text: str | None = None,
    tenant: str | None = None,
    mode: Literal["additive", "reconcile"] | None = None,
    plan_type: Literal["deltas", "targets"] | None = None,
    database_url: str | None = None,
) -> dict[str, Any]:
    """Validate a patch plan and preview what applying it would create; writes nothing.

    Give exactly one of plan_path, plan or csv_text. The result is {valid, errors, warnings, preview};
    an invalid plan is a completed run whose result says why (see the plan-preview artifact).

    Args:
        plan_path: A plan file (YAML, JSON or CSV) relative to the project root,
            e.g. plans/examples/first-quarter-2025.yaml.
        plan: The plan itself: tenant, mode, plan type and the monthly grid of metrics.
        csv_text: A pasted CSV plan: a month column and one column per metric, one row per month.
        tenant: Tenant id or slug of a CSV plan.
        mode: Mode of a CSV plan (default additive).
        plan_type: Plan type of a CSV plan (default deltas).
        database_url: CRM database URL (default: DEMOGEN_DATABASE_URL, else duckdb:///demogen.duckdb).
    """
    chosen, origin = read_plan(plan_path, plan, csv_text, tenant, mode, plan_type)
    return preview_plan(chosen, database_url, origin)

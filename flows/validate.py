"""`validate_patch`: the plan's preview without writing anything; the run fails when the plan is invalid."""

from __future__ import annotations

from typing import Any, Literal

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows import artifacts
from flows.engine.run import completed_job
from flows.engine.steps import PlanInvalid, job_id_for, prepare
from flows.kpis.reports import applied_validation
from flows.plan.model import PatchPlan
from flows.store import open_store
from flows.store.tenants import resolve_tenant
from flows.tasks import logs_to_prefect, read_plan


@task(cache_policy=NO_CACHE)
def preview_plan(plan: PatchPlan, database_url: str | None, source: str) -> dict[str, Any]:
    """Snapshot the KPIs, compute deltas, check V-1..V-7 and feasibility, preview the records: no writes.

    A plan whose job is complete previews nothing (applying it again creates nothing). An invalid
    plan raises PlanInvalid once its preview artifact lists the errors: the run fails.
    """
    with logs_to_prefect(), open_store(database_url) as store:
        done = completed_job(store, plan, job_id_for(store, plan))
        if done is not None:
            result = applied_validation(done)
            artifacts.create_preview_artifact(result, resolve_tenant(store, plan.tenant), source)
            return result
        prepared = prepare(store, plan)
    result = prepared.validation.as_dict()
    artifacts.create_preview_artifact(result, prepared.tenant, source)
    if not prepared.validation.valid:
        raise PlanInvalid(prepared.validation)
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
    an invalid plan fails the run with its first error, and the plan-preview artifact lists them all.
    A plan already applied previews nothing: the result says alreadyApplied and names the job.

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

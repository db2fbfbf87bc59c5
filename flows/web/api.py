"""The JSON API under /api/master/demo-generator: plans validated and applied, jobs, KPIs, tenants."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from flows.engine.job_lookup import job_names
from flows.engine.revert import revert
from flows.engine.run import completed_job
from flows.engine.steps import job_id_for, prepare, queue_job
from flows.kpis.reads import data_range, kpis_json, monthly_kpis
from flows.kpis.reports import EXPORTERS
from flows.plan.csv_reader import CsvPlanError, read_csv_plan
from flows.plan.model import PatchPlan, plan_to_dict
from flows.plan.parsing import PlanFormatError, plan_from_data
from flows.plan.quick_fill import grow_plan
from flows.plan.rules import ValidationResult
from flows.store.base import Store
from flows.store.jobs import PatchJob, get_job, list_jobs, log_step
from flows.store.tenants import Tenant, find_tenant, is_uuid, list_tenants, tenant_summary
from flows.web.deployments import submit_flow_run
from flows.web.errors import ApiError
from flows.web.runner import JobRunner, Submission
from flows.web.schemas import (
    ApplyInput,
    ApplyResponse,
    CsvInput,
    ErrorResponse,
    JobDetails,
    JobsResponse,
    KpisResponse,
    PatchPlanInput,
    PlanResponse,
    QuickFillInput,
    TenantDetails,
    TenantsResponse,
    ValidationResponse,
)
from flows.web.security import ApiAdmin, StoreDep, api_admin, settings_of
from flows.web.settings import API_PREFIX
from generators.calendar import month_of, month_range, parse_month
from generators.errors import DemogenError

log = logging.getLogger(__name__)

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (400, 401, 403, 404, 409, 413, 422, 429)
}
router = APIRouter(prefix=API_PREFIX, dependencies=[Depends(api_admin)], responses=_ERRORS)

# Codes of validation errors that say the plan is too big rather than wrong.
_TOO_LARGE = frozenset({"F-7"})


# --- lookups -----------------------------------------------------------------------------------


def _tenant(store: Store, ref: str) -> Tenant:
    tenant = find_tenant(store, ref)
    if tenant is None:
        raise ApiError(404, "not_found", f"unknown tenant '{ref}': no tenant has that id or slug")
    return tenant


def _job(store: Store, job_id: str) -> PatchJob:
    job = get_job(store, job_id) if is_uuid(job_id) else None
    if job is None:
        raise ApiError(404, "not_found", f"unknown job '{job_id}'")
    return job


def _runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.runner
    return runner


def _job_out(store: Store, job: PatchJob) -> dict[str, Any]:
    response = job.to_response()
    response["createdBy"] = job_names(store, job).created_by
    return response


def _details(store: Store, job: PatchJob) -> dict[str, Any]:
    """A job as `GET patch-jobs/{jobId}` answers: the job, and its snapshots and diff report beside it."""
    response = _job_out(store, job)
    return {
        "job": response,
        "beforeKpis": response["beforeKpis"],
        "afterKpis": response["afterKpis"],
        "diffReport": response["diffReport"],
    }


# --- plans -------------------------------------------------------------------------------------


def _plan(tenant: Tenant, ref: str, body: PatchPlanInput) -> PatchPlan:
    if body.tenant is not None and body.tenant not in (ref, tenant.id, tenant.slug):
        raise ApiError(400, "bad_request", f"the body names tenant '{body.tenant}', but the path names '{ref}'")
    data = body.model_dump(by_alias=True, exclude_none=True, exclude={"job_id", "schema_", "tenant"})
    try:
        return plan_from_data({**data, "tenant": tenant.id}, "plan")
    except PlanFormatError as exc:
        raise ApiError(400, "plan_invalid", str(exc)) from None


def _refuse_invalid(result: ValidationResult) -> None:
    if result.valid:
        return
    first = result.errors[0]
    more = f" (and {len(result.errors) - 1} more)" if len(result.errors) > 1 else ""
    status, code = (413, "too_large") if first.code in _TOO_LARGE else (400, "plan_invalid")
    raise ApiError(status, code, f"{first.message}{more}", result.as_dict())


@router.post("/tenants/{tenantId}/patch/validate", response_model=ValidationResponse)
def validate_patch(tenantId: str, body: PatchPlanInput, store: StoreDep) -> dict[str, Any]:
    """Validate a plan without applying it: every error at once, the warnings, and the preview."""
    tenant = _tenant(store, tenantId)
    plan = _plan(tenant, tenantId, body)
    return prepare(store, plan).validation.as_dict()


@router.post(
    "/tenants/{tenantId}/patch/apply",
    status_code=202,
    response_model=ApplyResponse,
    responses={200: {"model": ApplyResponse, "description": "The plan's job had completed already"}},
)
def apply_patch(
    tenantId: str,
    body: ApplyInput,
    request: Request,
    principal: ApiAdmin,
    store: StoreDep,
) -> Any:
    """Accept a plan to apply in the background: its job id and status at once (poll the job for progress).

    The same plan again returns the same job id and its current status.
    """
    tenant = _tenant(store, tenantId)
    plan = _plan(tenant, tenantId, body)
    runner = _runner(request)
    deployment = settings_of(request).prefect_deployment
    try:
        job_id = job_id_for(store, plan, body.job_id)
        known = get_job(store, job_id)
        if known is not None and (runner.knows(job_id) or (deployment and known.status == "pending")):
            return _accepted(known)  # waiting here, or handed to a flow run already
        done = completed_job(store, plan, job_id)
    except DemogenError as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    if done is not None:
        return JSONResponse({"jobId": done.id, "status": done.status}, status_code=200)
    prepared = prepare(store, plan, job_id=job_id)
    _refuse_invalid(prepared.validation)
    try:
        job = queue_job(store, prepared, source=f"web: {principal.user.email}", actor_id=principal.user.id)
    except DemogenError as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    if job.status == "running":  # another process runs it: its progress shows on the job
        return _accepted(job)
    if deployment:
        flow_run = submit_flow_run(deployment, plan, job.id, settings_of(request).database_url)
        job = log_step(store, job, "submit", f"handed to Prefect deployment {deployment} as flow run {flow_run}")
        return _accepted(job)
    runner.submit(Submission(job.id, tenant.id, plan, principal.user.id))
    return _accepted(get_job(store, job.id) or job)


def _accepted(job: PatchJob) -> JSONResponse:
    return JSONResponse({"jobId": job.id, "status": job.status}, status_code=202)


@router.post("/tenants/{tenantId}/patch/parse-csv", response_model=PlanResponse)
def parse_csv(tenantId: str, body: CsvInput, store: StoreDep) -> dict[str, Any]:
    """A CSV pasted from a spreadsheet as a plan body; problems by row and column."""
    tenant = _tenant(store, tenantId)
    try:
        plan = read_csv_plan(body.csv, tenant=tenant.slug, mode=body.mode, plan_type=body.plan_type, name="CSV")
    except CsvPlanError as exc:
        problems = [p.as_dict() for p in exc.problems]
        raise ApiError(400, "csv_invalid", str(exc), {"problems": problems}) from None
    except PlanFormatError as exc:
        raise ApiError(400, "csv_invalid", str(exc), {"problems": []}) from None
    data = plan_to_dict(plan)
    data.pop("tenant", None)
    return {"plan": data}


@router.post("/tenants/{tenantId}/patch/quick-fill", response_model=PlanResponse)
def quick_fill(tenantId: str, body: QuickFillInput, store: StoreDep) -> dict[str, Any]:
    """Quick Fill: TARGETS growing `pct` percent a month from a finished base month, as a plan body."""
    tenant = _tenant(store, tenantId)
    grown = grow_plan(
        store,
        tenant.id,
        first_month=body.from_,
        months=body.months,
        pct=str(body.pct),
        seed=body.seed,
        base_month=body.base_month,
    )
    data = plan_to_dict(grown.plan)
    data.pop("tenant", None)
    return {"plan": data, "baseMonth": grown.base_month}


# --- jobs --------------------------------------------------------------------------------------


@router.get("/patch-jobs/{jobId}", response_model=JobDetails)
def patch_job(jobId: str, store: StoreDep) -> dict[str, Any]:
    """A job with its live progress, current step and logs while it runs; its snapshots and diff report after."""
    return _details(store, _job(store, jobId))


@router.get("/tenants/{tenantId}/patch-jobs", response_model=JobsResponse)
def tenant_jobs(tenantId: str, store: StoreDep) -> dict[str, Any]:
    """The tenant's jobs, newest first."""
    tenant = _tenant(store, tenantId)
    return {"jobs": [_job_out(store, j) for j in list_jobs(store, tenant.id)]}


@router.get(
    "/patch-jobs/{jobId}/export",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {}, "text/csv": {}, "application/json": {}, "text/html": {}}}},
)
def export_job(
    jobId: str,
    store: StoreDep,
    format: Annotated[str, Query(pattern="^(md|csv|json|html)$", description="md, csv, json or html")] = "html",
) -> Response:
    """The job's before/after report as a file: Markdown, CSV, JSON or HTML with a chart."""
    job = _job(store, jobId)
    text = EXPORTERS[format](job, job_names(store, job))
    media = {"md": "text/markdown", "csv": "text/csv", "json": "application/json", "html": "text/html"}[format]
    filename = f"patch-job-{job.id[:8]}.{format}"
    return Response(
        text,
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/patch-jobs/{jobId}/revert", response_model=JobDetails)
def revert_patch_job(
    jobId: str,
    request: Request,
    principal: ApiAdmin,
    store: StoreDep,
) -> dict[str, Any]:
    """Undo a completed job: soft-delete the rows it created, restore those it changed; a job of its own."""
    job = _job(store, jobId)
    if _runner(request).busy(job.tenant_id):
        raise ApiError(409, "tenant_busy", f"a job is running on tenant {job.tenant_id}: revert when it is done")
    try:
        done = revert(store, job.id, actor_id=principal.user.id)
    except DemogenError as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    return _details(store, done)


# --- tenants and KPIs --------------------------------------------------------------------------


@router.get("/tenants", response_model=TenantsResponse)
def tenants(
    store: StoreDep,
    all: Annotated[bool, Query(description="Every tenant, not only demo tenants")] = False,
) -> dict[str, Any]:
    """Demo tenants (or all) with their data range and live record counts."""
    return {"tenants": [s.as_dict() for s in list_tenants(store, include_all=all)]}


@router.get("/tenants/{tenantId}", response_model=TenantDetails)
def tenant(tenantId: str, store: StoreDep) -> dict[str, Any]:
    """One tenant, with the months a plan may name: from its creation month to the current month."""
    found = _tenant(store, tenantId)
    summary = tenant_summary(store, found)
    return {
        **summary.as_dict(),
        "creationMonth": month_of(found.created_at, found.timezone),
        "currentMonth": month_of(datetime.now(UTC), found.timezone),
    }


@router.get("/tenants/{tenantId}/kpis", response_model=KpisResponse)
def tenant_kpis(
    tenantId: str,
    store: StoreDep,
    first: Annotated[
        str | None, Query(alias="from", description="First month, YYYY-MM (default: first with data)")
    ] = None,
    last: Annotated[str | None, Query(alias="to", description="Last month, YYYY-MM (default: last with data)")] = None,
) -> dict[str, Any]:
    """Monthly KPIs of the tenant from the dbt KPI model, every month of the range."""
    found = _tenant(store, tenantId)
    first = parse_month(first) if first else None
    last = parse_month(last) if last else None
    if not (first and last):
        span = data_range(store, found)
        if span is None and not (first or last):
            return {"months": []}
        first = first or (span[0] if span else last)
        last = last or (span[1] if span else first)
    assert first is not None and last is not None
    month_range(first, last)
    return kpis_json(monthly_kpis(store, found, first, last))

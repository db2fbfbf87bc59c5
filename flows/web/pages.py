"""The pages a Master Admin uses: tenants, a tenant's KPIs and Monthly Updates, its jobs, one job."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from flows.engine.revert import revert_job_id
from flows.kpis.reads import data_range, kpis_json, monthly_kpis
from flows.store.base import Store
from flows.store.jobs import PatchJob, get_job, list_jobs
from flows.store.tenants import Tenant, TenantSummary, find_tenant, is_uuid, list_tenants, tenant_summary
from flows.web import formatting
from flows.web.security import StoreDep, page_admin
from flows.web.templating import render, templates
from generators.calendar import add_months, month_index, month_of, month_range
from generators.metrics import METRICS

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_admin)])
formatting.register(templates.env)

TABS = {"overview": "Overview", "monthly-updates": "Monthly Updates", "jobs": "Jobs History"}
# Monthly Updates opens on the months after the tenant's data, this many of them.
DEFAULT_PLAN_MONTHS = 3


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/tenants", status_code=303)


@router.get("/tenants", response_class=HTMLResponse)
def tenants_page(request: Request, store: StoreDep, all: bool = False) -> HTMLResponse:
    return _page(request, "tenants.html", {"tenants": list_tenants(store, include_all=all), "show_all": all})


@router.get("/tenants/{tenant_ref}", response_class=HTMLResponse)
def tenant_page(request: Request, tenant_ref: str, store: StoreDep, tab: str = "overview") -> HTMLResponse:
    tenant = find_tenant(store, tenant_ref)
    if tenant is None:
        return _not_found(request, f"No tenant has the id or slug '{tenant_ref}'.")
    tab = tab if tab in TABS else "overview"
    summary = tenant_summary(store, tenant)
    context: dict[str, Any] = {"tenant": tenant, "summary": summary, "tab": tab, "tabs": TABS}
    if tab == "overview":
        context["kpis"] = _overview_kpis(store, tenant)
    elif tab == "monthly-updates":
        context.update(_updates(tenant, summary))
    else:
        context["jobs"] = _job_rows(store, list_jobs(store, tenant.id))
    return _page(request, "tenant.html", context)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str, store: StoreDep) -> HTMLResponse:
    job = get_job(store, job_id) if is_uuid(job_id) else None
    if job is None:
        return _not_found(request, f"No job has the id '{job_id}'.")
    tenant = find_tenant(store, job.tenant_id)
    response = job.to_response()
    reverted = get_job(store, revert_job_id(job.id))
    context = {
        "job": job,
        "tenant": tenant,
        "created_by": _emails(store, [job.created_by_id]).get(job.created_by_id, job.created_by_id),
        "revert_of": (job.patch_plan_json or {}).get("revert") if job.mode == "revert" else None,
        "reverted_by": reverted.id if reverted is not None and reverted.status == "completed" else None,
        "data": {
            "job": response,
            "beforeKpis": response["beforeKpis"],
            "afterKpis": response["afterKpis"],
            "diffReport": response["diffReport"],
            "currency": tenant.currency if tenant else "USD",
        },
    }
    return _page(request, "job.html", context)


# --- what the pages show -----------------------------------------------------------------------


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A page the browser keeps no copy of: after signing out, Back asks the server, which asks to sign in."""
    response = render(request, name, context, status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def _not_found(request: Request, message: str) -> HTMLResponse:
    return _page(request, "not_found.html", {"message": message}, status_code=404)


def _overview_kpis(store: Store, tenant: Tenant) -> dict[str, Any]:
    """Every month of the tenant's data, as the API's KPI response."""
    span = data_range(store, tenant)
    if span is None:
        return {"months": []}
    return kpis_json(monthly_kpis(store, tenant, *span))


def _updates(tenant: Tenant, summary: TenantSummary) -> dict[str, Any]:
    """The months a plan may name (creation … current month) and the range the grid opens on."""
    creation = month_of(tenant.created_at, tenant.timezone)
    current = month_of(datetime.now(UTC), tenant.timezone)
    months = month_range(creation, current)
    first = add_months(summary.last_month, 1) if summary.last_month else creation
    first = first if month_index(first) <= month_index(current) else current
    last = add_months(first, DEFAULT_PLAN_MONTHS - 1)
    last = last if month_index(last) <= month_index(current) else current
    return {
        "months": months,
        "default_from": first,
        "default_to": last,
        "updates_data": {"tenantId": tenant.id, "currency": tenant.currency},
        "metrics": METRICS,
    }


def _emails(store: Store, user_ids: list[str]) -> dict[str, str]:
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    marks = ", ".join("?" for _ in wanted)
    rows = store.query(f"SELECT id, email FROM users WHERE id IN ({marks})", tuple(wanted))
    return {str(r["id"]): str(r["email"]) for r in rows}


def _job_rows(store: Store, jobs: list[PatchJob]) -> list[dict[str, Any]]:
    """The Jobs History table: one row per job, newest first, its creator by email."""
    emails = _emails(store, [j.created_by_id for j in jobs])
    reverted = {(j.patch_plan_json or {}).get("revert") for j in jobs if j.mode == "revert" and j.status == "completed"}
    rows = []
    for job in jobs:
        metrics = job.metrics_json or {}
        rows.append(
            {
                "job": job,
                "kind": "Revert" if job.mode == "revert" else job.plan_type.upper(),
                "months": formatting.month_span(job.range_start_month, job.range_end_month),
                "created": metrics.get("recordsCreated"),
                "deleted": metrics.get("recordsDeleted") or 0,
                "by": emails.get(job.created_by_id, job.created_by_id),
                "reverted": job.id in reverted,
            }
        )
    return rows

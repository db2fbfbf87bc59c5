"""The API's request and response bodies as pydantic models, so the OpenAPI document is exact."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from flows.plan.model import PatchPlan


class PatchPlanInput(PatchPlan):
    """A patch plan for the tenant of the path: mode, plan type, months with their metrics, tolerances, seed."""

    model_config = ConfigDict(title="PatchPlanInput")
    # the path names the tenant: in the body it is optional, and must agree
    tenant: str | None = Field(default=None, description="Optional: the path names the tenant")  # type: ignore[assignment]


class ApplyInput(PatchPlanInput):
    """A plan to apply, optionally under a job id of the caller's choosing (else the plan's own)."""

    model_config = ConfigDict(title="ApplyInput")
    job_id: str | None = Field(default=None, description="Job id (uuid); default: derived from tenant, plan and seed")


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ErrorBody(_Camel):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorResponse(_Camel):
    error: ErrorBody


class IssueOut(_Camel):
    code: str
    month: str | None
    metric: str | None
    message: str


class ValidationResponse(_Camel):
    valid: bool
    errors: list[IssueOut]
    warnings: list[IssueOut]
    preview: dict[str, Any] | None


class ApplyResponse(_Camel):
    job_id: str
    status: Literal["pending", "running", "completed", "failed"]


class JobMetrics(_Camel):
    model_config = ConfigDict(extra="allow")
    records_created: int = 0
    records_modified: int = 0
    records_deleted: int = 0


class PatchJobResponse(_Camel):
    id: str
    tenant_id: str
    status: Literal["pending", "running", "completed", "failed"]
    mode: str
    plan_type: str
    patch_plan: dict[str, Any]
    seed: str
    range_start_month: str
    range_end_month: str
    tolerances: dict[str, Any] | None
    original_job_id: str | None
    created_by_id: str
    created_by: str | None = None
    before_kpis: list[dict[str, Any]]
    after_kpis: list[dict[str, Any]]
    diff_report: dict[str, Any]
    metrics: JobMetrics
    progress: int
    current_step: str | None
    logs: list[dict[str, Any]]
    created_at: str | None
    started_at: str | None
    completed_at: str | None
    duration_seconds: float | None
    error_message: str | None


class JobDetails(_Camel):
    job: PatchJobResponse
    before_kpis: list[dict[str, Any]]
    after_kpis: list[dict[str, Any]]
    diff_report: dict[str, Any]


class JobsResponse(_Camel):
    jobs: list[PatchJobResponse]


class MonthMetrics(_Camel):
    month: str
    metrics: dict[str, int | float]


class KpisResponse(_Camel):
    months: list[MonthMetrics]


class DataRange(BaseModel):
    from_: str | None = Field(alias="from")
    to: str | None


class TenantOut(_Camel):
    id: str
    slug: str
    name: str
    demo_generated: bool
    timezone: str
    locale: str
    currency: str
    created_at: str
    data_range: DataRange
    counts: dict[str, int]


class TenantDetails(TenantOut):
    creation_month: str
    current_month: str


class TenantsResponse(_Camel):
    tenants: list[TenantOut]


class CsvInput(_Camel):
    csv: str = Field(description="CSV text as a spreadsheet exports it: a month column and one column per metric")
    plan_type: Literal["deltas", "targets"] = "deltas"
    mode: Literal["additive", "reconcile"] = "additive"


class QuickFillInput(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: str = Field(alias="from", description="First month of the plan, YYYY-MM")
    months: int = Field(ge=1, description="Number of months")
    pct: float = Field(description="Growth per month in percent, e.g. 10")
    base_month: str | None = Field(default=None, alias="baseMonth", description="Month to grow from (YYYY-MM)")
    seed: str | None = None


class PlanResponse(_Camel):
    plan: dict[str, Any]
    base_month: str | None = None

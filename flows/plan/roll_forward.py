"""Roll-forward planning: the opt-in list, and the TARGETS plan that brings a tenant up to its growth template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from flows.kpis.reads import latest_month_with_data, monthly_kpis
from flows.plan.feasibility import nearest_feasible
from flows.plan.model import PatchPlan
from flows.plan.sources import project_path
from flows.plan.templates import Template, month_metrics, template_path
from flows.store import Store
from flows.store.tenants import Tenant, require_demo, resolve_tenant
from generators.calendar import month_index, month_of, month_range
from generators.clock import BUSINESS_HOURS
from generators.errors import DemogenError, UsageError

CONFIG = "plans/roll-forward.yaml"
_SHARE = Decimal("0.0001")
# The metrics a template sets (activities follow the contacts and are not targeted).
TARGETED = (
    "leadsCreated",
    "contactsCreated",
    "companiesCreated",
    "dealsCreated",
    "closedWonCount",
    "closedWonValue",
    "pipelineAddedValue",
)


class OptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, description="Tenant id or slug")
    template: str = Field(min_length=1, description="A growth template of plans/templates/")

    @field_validator("template")
    @classmethod
    def _known_template(cls, value: str) -> str:
        try:
            template_path(value)
        except UsageError as exc:
            raise ValueError(str(exc)) from None
        return value


class RollForwardConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenants: list[OptIn] = Field(default_factory=list)


def load_config(path: str = CONFIG) -> RollForwardConfig:
    file = project_path(path)
    try:
        return RollForwardConfig.model_validate(yaml.safe_load(file.read_text(encoding="utf-8")) or {})
    except FileNotFoundError:
        raise UsageError(f"roll-forward config '{path}' not found") from None
    except ValidationError as exc:
        raise DemogenError(f"roll-forward config '{path}' is broken: {_first_error(exc)}") from None
    except yaml.YAMLError as exc:
        raise DemogenError(f"roll-forward config '{path}' is broken: {str(exc).splitlines()[0]}") from None


def _first_error(exc: ValidationError) -> str:
    """Where and what of pydantic's first error, on one line."""
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"])
    what = " ".join(error["msg"].removeprefix("Value error, ").split())
    return f"{where}: {what}" if where else what


def business_hours_share(month: str, as_of: datetime, timezone: str) -> Decimal:
    """The share of the month's weekday business hours (tenant-local) already elapsed at `as_of`."""
    tz = ZoneInfo(timezone)
    opening, closing = (time(hour) for hour in BUSINESS_HOURS)
    now = as_of.astimezone(tz)
    day = datetime(int(month[:4]), int(month[5:7]), 1).date()
    total = elapsed = 0.0
    while day.strftime("%Y-%m") == month:
        if day.weekday() < 5:
            opens, closes = datetime.combine(day, opening, tz), datetime.combine(day, closing, tz)
            total += (closes - opens).total_seconds()
            elapsed += max(0.0, (min(now, closes) - opens).total_seconds())
        day += timedelta(days=1)
    return (Decimal(elapsed) / Decimal(total)).quantize(_SHARE, rounding=ROUND_HALF_UP) if total else Decimal(1)


@dataclass
class TenantPlan:
    tenant: Tenant
    months: list[str]  # every month considered, from the last data to the current one
    plan: PatchPlan | None  # None: every month already meets its target
    share: Decimal  # of the current month's business hours elapsed


def plan_tenant(store: Store, ref: str, template: Template, as_of: datetime) -> TenantPlan:
    """The TARGETS plan that brings one tenant up to date at `as_of`.

    Every finished month since the tenant's last data gets 100% of its template target,
    the current month its share of the business hours already elapsed; each target is
    the nearest one an additive plan can reach from the month's current KPIs.
    """
    tenant = require_demo(resolve_tenant(store, ref))
    current_month = month_of(as_of, tenant.timezone)
    first = month_of(tenant.created_at, tenant.timezone)
    start = latest_month_with_data(store, tenant) or first
    if month_index(start) > month_index(current_month):
        return TenantPlan(tenant, [], None, Decimal(1))
    months = month_range(start, current_month)
    share = business_hours_share(current_month, as_of, tenant.timezone)
    current = monthly_kpis(store, tenant, months[0], months[-1])
    planned = []
    for month in months:
        scale = share if month == current_month else Decimal(1)
        targets = nearest_feasible(month_metrics(template, month, first, scale=scale), current[month])
        if any(Decimal(str(targets[n])) != Decimal(str(current[month][n])) for n in TARGETED):
            planned.append({"month": month, "metrics": targets})
    if not planned:
        return TenantPlan(tenant, months, None, share)
    plan = PatchPlan.model_validate({"tenant": tenant.id, "mode": "additive", "planType": "targets", "months": planned})
    return TenantPlan(tenant, months, plan, share)

"""`roll_forward`: keeps opted-in demo tenants current with TARGETS plans built from their growth template.

Every finished month since a tenant's last data is brought to 100% of its template
target, the current month to its share of the business hours already elapsed. Being
TARGETS, a re-run adds nothing and a missed run catches up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flows.engine.jobs import now_utc
from flows.engine.steps import prepare
from flows.kpis.reads import MonthKpis, latest_month_with_data, monthly_kpis
from flows.patch import PatchFailed, apply_patch
from flows.plan.model import PatchPlan
from flows.plan.sources import project_path
from flows.plan.templates import Template, load_template, month_metrics
from flows.store import Store, open_store
from flows.store.tenants import Tenant, require_demo, resolve_tenant
from generators.calendar import month_index, month_of, month_range
from generators.errors import DemogenError, UsageError

CONFIG = "plans/roll-forward.yaml"
SUMMARY_KEY = "roll-forward"
OPENS, CLOSES = clock(8), clock(18)  # business hours, tenant-local, Monday to Friday
_SHARE = Decimal("0.0001")
_MIN_WON_DEAL = Decimal(100)
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


class RollForwardConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenants: list[OptIn] = Field(default_factory=list)


def load_config(path: str = CONFIG) -> RollForwardConfig:
    file = project_path(path)
    try:
        return RollForwardConfig.model_validate(yaml.safe_load(file.read_text(encoding="utf-8")) or {})
    except FileNotFoundError:
        raise UsageError(f"roll-forward config '{path}' not found") from None
    except (ValidationError, yaml.YAMLError) as exc:
        raise DemogenError(f"roll-forward config '{path}' is broken: {str(exc).splitlines()[0]}") from None


# --- the plan: plain functions -------------------------------------------------------------


def business_hours_share(month: str, as_of: datetime, timezone: str) -> Decimal:
    """The share of the month's weekday 08:00–18:00 hours (tenant-local) already elapsed at `as_of`."""
    tz = ZoneInfo(timezone)
    now = as_of.astimezone(tz)
    day = datetime(int(month[:4]), int(month[5:7]), 1).date()
    total = elapsed = 0.0
    while day.strftime("%Y-%m") == month:
        if day.weekday() < 5:
            opens, closes = datetime.combine(day, OPENS, tz), datetime.combine(day, CLOSES, tz)
            total += (closes - opens).total_seconds()
            elapsed += max(0.0, (min(now, closes) - opens).total_seconds())
        day += timedelta(days=1)
    return (Decimal(elapsed) / Decimal(total)).quantize(_SHARE, rounding=ROUND_HALF_UP) if total else Decimal(1)


def reachable(target: dict[str, Any], current: MonthKpis) -> dict[str, Any]:
    """The closest targets an ADDITIVE TARGETS plan can reach from `current`.

    Never below current (V-1 would refuse the plan), and consistent as deltas: won deals
    added are deals added, added won value needs an added won deal to carry it (V-5) and
    added won deals need value (F-3), pipeline grows with won value (F-1), and pipeline
    beyond won value needs an open deal among the added ones (F-2).
    """
    t = {name: max(Decimal(str(target[name])), Decimal(str(current[name]))) for name in TARGETED}
    c = {name: Decimal(str(current[name])) for name in TARGETED}

    def added(name: str) -> Decimal:
        return t[name] - c[name]

    if added("closedWonValue") > 0 and added("closedWonCount") == 0:
        t["closedWonCount"] += 1
    if added("closedWonCount") > 0 and added("closedWonValue") == 0:
        won = Decimal(str(target["closedWonCount"])) or Decimal(1)
        each = max(_MIN_WON_DEAL, (Decimal(str(target["closedWonValue"])) / won).quantize(_MIN_WON_DEAL))
        t["closedWonValue"] += each * added("closedWonCount")
    t["dealsCreated"] = max(t["dealsCreated"], c["dealsCreated"] + added("closedWonCount"))
    t["pipelineAddedValue"] = max(t["pipelineAddedValue"], c["pipelineAddedValue"] + added("closedWonValue"))
    if added("pipelineAddedValue") > added("closedWonValue") and added("dealsCreated") == added("closedWonCount"):
        t["dealsCreated"] += 1
    return {name: int(v) if name not in ("closedWonValue", "pipelineAddedValue") else v for name, v in t.items()}


@dataclass
class TenantPlan:
    tenant: Tenant
    months: list[str]  # every month considered, from the last data to the current one
    plan: PatchPlan | None  # None: every month already meets its target
    share: Decimal  # of the current month's business hours elapsed


def plan_tenant(store: Store, ref: str, template: Template, as_of: datetime) -> TenantPlan:
    """The TARGETS plan that brings one tenant up to date at `as_of`."""
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
        targets = reachable(month_metrics(template, month, first, scale=scale), current[month])
        if any(Decimal(str(targets[n])) != Decimal(str(current[month][n])) for n in TARGETED):
            planned.append({"month": month, "metrics": targets})
    if not planned:
        return TenantPlan(tenant, months, None, share)
    plan = PatchPlan.model_validate({"tenant": tenant.id, "mode": "additive", "planType": "targets", "months": planned})
    return TenantPlan(tenant, months, plan, share)


# --- the flow ------------------------------------------------------------------------------


@task(cache_policy=NO_CACHE)
def build_plan(opt_in: OptIn, database_url: str | None, as_of: datetime) -> TenantPlan:
    """Read the tenant's KPIs and build its TARGETS plan from its template; checks it like `validate`."""
    template = load_template(opt_in.template)
    with open_store(database_url) as store:
        built = plan_tenant(store, opt_in.tenant, template, as_of)
        if built.plan is not None:
            result = prepare(store, built.plan, as_of=as_of).validation
            if not result.valid:
                raise DemogenError("; ".join(e.message for e in result.errors[:3]))
    return built


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

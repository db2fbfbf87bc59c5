"""Roll-forward's engine step: one opted-in tenant's TARGETS plan, built and checked like `validate`."""

from __future__ import annotations

from datetime import datetime

from flows.engine.steps import prepare
from flows.plan.roll_forward import OptIn, TenantPlan, plan_tenant
from flows.plan.templates import load_template
from flows.store import open_store
from generators.errors import DemogenError


def checked_tenant_plan(opt_in: OptIn, database_url: str | None, as_of: datetime) -> TenantPlan:
    """Read the tenant's KPIs and build its TARGETS plan from its template; refuse it if validation would."""
    template = load_template(opt_in.template)
    with open_store(database_url) as store:
        built = plan_tenant(store, opt_in.tenant, template, as_of)
        if built.plan is not None:
            result = prepare(store, built.plan, as_of=as_of).validation
            if not result.valid:
                raise DemogenError("; ".join(e.message for e in result.errors[:3]))
    return built

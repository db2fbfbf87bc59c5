"""Quick Fill: a TARGETS plan growing every metric by a percentage a month from a base month."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flows.kpis.numbers import CENT, HUGE
from flows.kpis.reads import latest_month_with_data, monthly_kpis
from flows.plan.feasibility import nearest_feasible
from flows.plan.limits import MAX_PLAN_MONTHS
from flows.plan.model import PatchPlan
from flows.plan.parsing import plan_from_data
from flows.store import Store
from flows.store.tenants import Tenant, resolve_tenant
from generators.calendar import add_months, month_index, month_of, parse_month
from generators.errors import DemogenError, UsageError
from generators.metrics import METRICS


def parse_pct(text: str | float | Decimal) -> Decimal:
    """'10', '10%' or '-5' as a Decimal percentage; refuses anything at or below -100%."""
    try:
        pct = Decimal(str(text).strip().removesuffix("%").strip())
    except InvalidOperation:
        raise UsageError(f"'{text}' is not a percentage: expected e.g. 10 or 10%") from None
    if not pct.is_finite() or pct <= -100 or pct > 1000:
        raise UsageError(f"growth of {text}% is out of range: expected more than -100 and at most 1000")
    return pct


def grow_targets(base: Mapping[str, int | Decimal], pct: Decimal, months: int) -> list[dict[str, int | Decimal]]:
    """Targets for `months` consecutive months: month k (1-based) = base x (1 + pct/100)^k.

    Counts round half up to whole records, money to cents; each month is then made
    feasible (see nearest_feasible).
    """
    factor = 1 + Decimal(pct) / 100
    result = []
    for k in range(1, months + 1):
        scale = factor**k
        month: dict[str, int | Decimal] = {}
        for metric in METRICS:
            value = Decimal(str(base.get(metric.name) or 0)) * scale
            if value >= HUGE:  # beyond every per-month limit, and too long to round to cents
                raise UsageError(
                    f"growing {pct}% a month takes {metric.name} past {int(HUGE):,} by month {k} of "
                    f"{months}: choose a smaller growth or fewer months"
                )
            if metric.kind == "count":
                month[metric.name] = int(value.to_integral_value(rounding=ROUND_HALF_UP))
            else:
                month[metric.name] = value.quantize(CENT, rounding=ROUND_HALF_UP)
        result.append(nearest_feasible(month))
    return result


def _check_months(months: int) -> None:
    if not 1 <= months <= MAX_PLAN_MONTHS:
        raise UsageError(f"--months {months} is out of range: expected 1 to {MAX_PLAN_MONTHS}")


def grow_from(
    base: Mapping[str, int | Decimal],
    *,
    tenant: str,
    first_month: str,
    months: int,
    pct: Decimal | float | str,
    seed: str | None = None,
    base_month: str | None = None,
) -> PatchPlan:
    """TARGETS for `months` months from `first_month`, growing from the KPIs `base` of a base month.

    The first planned month grows once from the base, each next month once more.
    """
    first_month = parse_month(first_month)
    _check_months(months)
    targets = grow_targets(base, parse_pct(pct), months)
    # read like any plan: a month past the calendar's end, a bad seed or a target grown out of
    # range is then one line naming it
    return plan_from_data(
        {
            "tenant": tenant,
            "mode": "additive",
            "planType": "targets",
            "seed": seed,
            "months": [{"month": add_months(first_month, i), "metrics": values} for i, values in enumerate(targets)],
        },
        "Quick Fill plan",
    )


@dataclass(frozen=True)
class GrownPlan:
    """A Quick Fill plan, with the tenant and the base month it grew from."""

    plan: PatchPlan
    tenant: Tenant
    base_month: str


def grow_plan(
    store: Store,
    tenant: str,
    *,
    first_month: str,
    months: int,
    pct: Decimal | float | str,
    seed: str | None = None,
    base_month: str | None = None,
    as_of: datetime | None = None,
) -> GrownPlan:
    """The "Quick Fill: +P% growth" plan for tenant (id or slug): TARGETS for `months` months from `first_month`.

    It grows from `base_month`, by default the latest complete month with data; a month
    that is not over at `as_of` (default: now) or holds no data is refused, since
    growing from it would plan zero targets.
    """
    parse_month(first_month)  # refuse bad arguments before reading the store
    _check_months(months)
    growth = parse_pct(pct)
    found = resolve_tenant(store, tenant)
    current = month_of(as_of or datetime.now(UTC), found.timezone)
    latest = _latest_complete_month_with_data(store, found, current)
    if base_month is not None:
        month = parse_month(base_month)
    elif latest is not None:
        month = latest
    else:
        raise DemogenError(f"tenant {found.slug} has no complete month with data to grow from")
    suggestion = f", e.g. --base {latest}" if latest else ""
    if month_index(month) >= month_index(current):
        raise DemogenError(f"base month {month} is not over yet: choose a finished month with data{suggestion}")
    base = monthly_kpis(store, found, month, month)[month]
    if not any(base.values()):
        raise DemogenError(f"base month {month} has no data: choose a month with data{suggestion}")
    plan = grow_from(base, tenant=tenant, first_month=first_month, months=months, pct=growth, seed=seed)
    return GrownPlan(plan, found, month)


def _latest_complete_month_with_data(store: Store, tenant: Tenant, current: str) -> str | None:
    """The latest month before `current` holding any KPI, or None."""
    latest = latest_month_with_data(store, tenant)
    if latest is None:
        return None
    if month_index(latest) < month_index(current):
        return latest
    first = month_of(tenant.created_at, tenant.timezone)
    before = add_months(current, -1)
    if month_index(first) > month_index(before):
        return None
    kpis = monthly_kpis(store, tenant, first, before)
    return next((month for month in reversed(kpis) if any(kpis[month].values())), None)

"""Shape templates (plans/templates/*.yaml with `kind: shape`): a tenant's current KPIs reshaped into TARGETS."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flows.kpis.numbers import CENT
from flows.kpis.reads import MonthKpis, monthly_kpis
from flows.plan.feasibility import nearest_feasible
from flows.plan.limits import MAX_PLAN_MONTHS
from flows.plan.model import Mode, PatchPlan
from flows.plan.parsing import plan_from_data
from flows.plan.templates import TEMPLATES_DIR, available
from flows.store import Store
from flows.store.tenants import Tenant, resolve_tenant
from generators.calendar import month_index, month_range, parse_month
from generators.errors import DemogenError, UsageError
from generators.metrics import METRICS

_MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


class Shape(BaseModel):
    """Per calendar month (1-12), the factor on the tenant's current KPIs; months not listed are left alone."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["shape"]
    description: str
    months: dict[int, Decimal] = Field(min_length=1)


def load_shape(name: str) -> Shape:
    """The shape template called `name`: a name of plans/templates/, never a path, else a UsageError."""
    names = available("shape")
    if name not in names:  # only listed names: "../x" or "/tmp/x" can never reach a file
        raise UsageError(f"unknown shape template {name!r}: choose one of {', '.join(names)}")
    path = TEMPLATES_DIR / f"{name}.yaml"
    try:
        shape = Shape.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (ValidationError, yaml.YAMLError) as exc:
        raise DemogenError(f"template {path} is broken: {str(exc).splitlines()[0]}") from exc
    if any(not 1 <= m <= 12 or not 0 <= f <= 10 for m, f in shape.months.items()):
        raise DemogenError(f"template {path} is broken: months are 1-12 with factors from 0 to 10")
    return shape


def shaped_month(current: MonthKpis, factor: Decimal, *, additive: bool) -> dict[str, int | Decimal]:
    """Every metric of a month times `factor`: counts to whole records, money to cents.

    Rounding half up keeps the metrics consistent with each other (no more won deals than
    deals, no less pipeline than won value). An ADDITIVE surge is then made reachable by
    creating records only (nearest_feasible); a dip is left as it is, for validation to refuse (V-1).
    """
    target: dict[str, int | Decimal] = {}
    for metric in METRICS:
        value = Decimal(str(current.get(metric.name) or 0)) * factor
        if metric.kind == "count":
            target[metric.name] = int(value.to_integral_value(rounding=ROUND_HALF_UP))
        else:
            target[metric.name] = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if additive and factor >= 1:
        return nearest_feasible(target, current)
    return target


@dataclass(frozen=True)
class ShapedPlan:
    """A plan written from a shape template, with the tenant and the months it shaped."""

    plan: PatchPlan
    tenant: Tenant
    months: list[str]


def shape_plan(
    store: Store,
    name: str,
    tenant: str,
    *,
    first_month: str,
    last_month: str,
    mode: Mode = "additive",
    seed: str | None = None,
) -> ShapedPlan:
    """TARGETS for the months from `first_month` to `last_month` the template shapes, relative to their KPIs now."""
    first, last = parse_month(first_month), parse_month(last_month)
    if month_index(last) < month_index(first):
        raise UsageError(f"--to {last} is before --from {first}")
    shape = load_shape(name)
    months = [m for m in month_range(first, last) if int(m[5:7]) in shape.months]
    if not months:
        named = ", ".join(_MONTH_NAMES[m - 1] for m in sorted(shape.months))
        raise UsageError(f"{name} shapes no month from {first} to {last}: it shapes {named}")
    if len(months) > MAX_PLAN_MONTHS:
        raise UsageError(f"{name} shapes {len(months)} months from {first} to {last}: at most {MAX_PLAN_MONTHS}")
    found = resolve_tenant(store, tenant)
    current = monthly_kpis(store, found, months[0], months[-1])
    plan = plan_from_data(
        {
            "tenant": tenant,
            "mode": mode,
            "planType": "targets",
            "seed": seed,
            "months": [
                {
                    "month": m,
                    "metrics": shaped_month(current[m], shape.months[int(m[5:7])], additive=mode == "additive"),
                }
                for m in months
            ],
        },
        f"{name} plan",
    )
    return ShapedPlan(plan, found, months)

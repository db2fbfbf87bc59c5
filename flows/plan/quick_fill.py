"""Quick Fill: a TARGETS plan growing every metric by a percentage a month from a base month."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flows.plan.model import PatchPlan
from generators.calendar import add_months, parse_month
from generators.errors import UsageError
from generators.metrics import METRICS

MAX_MONTHS = 120
CENT = Decimal("0.01")


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

    Counts round half up to whole records, money to cents; each month stays feasible
    (closedWonCount <= dealsCreated, pipelineAddedValue >= closedWonValue, won money
    only with won deals, open money only with an open deal).
    """
    factor = 1 + Decimal(pct) / 100
    result = []
    for k in range(1, months + 1):
        scale = factor**k
        month: dict[str, int | Decimal] = {}
        for metric in METRICS:
            value = Decimal(str(base.get(metric.name) or 0)) * scale
            if metric.kind == "count":
                month[metric.name] = int(value.to_integral_value(rounding=ROUND_HALF_UP))
            else:
                month[metric.name] = value.quantize(CENT, rounding=ROUND_HALF_UP)
        result.append(_feasible(month))
    return result


def _feasible(month: dict[str, int | Decimal]) -> dict[str, int | Decimal]:
    won_value = Decimal(month["closedWonValue"])
    if won_value > 0 and month["closedWonCount"] == 0:
        month["closedWonCount"] = 1  # shrinking rounded the last won deal away
    if month["closedWonCount"] and won_value == 0:
        month["closedWonCount"] = 0  # the base's won deals carried no value: keep none
    month["dealsCreated"] = max(int(month["dealsCreated"]), int(month["closedWonCount"]))
    pipeline = max(Decimal(month["pipelineAddedValue"]), won_value)
    month["pipelineAddedValue"] = pipeline
    if pipeline > won_value and month["dealsCreated"] == month["closedWonCount"]:
        month["dealsCreated"] = int(month["dealsCreated"]) + 1  # an open deal to carry the rest
    return month


def grow_plan(
    base: Mapping[str, int | Decimal],
    *,
    tenant: str,
    first_month: str,
    months: int,
    pct: Decimal | float | str,
    seed: str | None = None,
    base_month: str | None = None,
) -> PatchPlan:
    """The "Quick Fill: +P% growth" plan: TARGETS for `months` months from `first_month`.

    `base` holds the KPIs of the base month (the tenant's latest month with data);
    the first planned month grows once from it, each next month once more.
    """
    first_month = parse_month(first_month)
    if not 1 <= months <= MAX_MONTHS:
        raise UsageError(f"--months {months} is out of range: expected 1 to {MAX_MONTHS}")
    targets = grow_targets(base, parse_pct(pct), months)
    return PatchPlan.model_validate(
        {
            "tenant": tenant,
            "mode": "additive",
            "planType": "targets",
            "seed": seed,
            "months": [{"month": add_months(first_month, i), "metrics": values} for i, values in enumerate(targets)],
        }
    )

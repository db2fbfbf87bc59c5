"""Plans and times shared by the engine tests."""

from __future__ import annotations

from datetime import UTC, datetime

from flows.plan.model import PatchPlan
from tests.helpers import example_months

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
EXAMPLE_MONTHS = example_months()


def make_plan(
    months: dict[str, dict], *, tenant: str = "acme", plan_type: str = "deltas", seed: str = "s1", **extra: object
) -> PatchPlan:
    return PatchPlan.model_validate(
        {
            "tenant": tenant,
            "mode": "additive",
            "planType": plan_type,
            "seed": seed,
            "months": [{"month": m, "metrics": v} for m, v in months.items()],
            "tolerances": {"countTolerance": 0, "valueTolerance": 0.005},
            **extra,
        }
    )

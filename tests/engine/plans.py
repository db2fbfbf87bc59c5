"""Plans and times shared by the engine tests."""

from __future__ import annotations

from datetime import UTC, datetime

from flows.plan.model import PatchPlan

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
EXAMPLE_MONTHS = {
    "2025-01": {
        "leadsCreated": 50,
        "contactsCreated": 40,
        "companiesCreated": 10,
        "dealsCreated": 8,
        "closedWonCount": 3,
        "closedWonValue": 25000,
        "pipelineAddedValue": 75000,
    },
    "2025-02": {
        "leadsCreated": 60,
        "contactsCreated": 48,
        "companiesCreated": 12,
        "dealsCreated": 10,
        "closedWonCount": 4,
        "closedWonValue": 32000,
        "pipelineAddedValue": 96000,
    },
    "2025-03": {
        "leadsCreated": 70,
        "contactsCreated": 56,
        "companiesCreated": 14,
        "dealsCreated": 12,
        "closedWonCount": 5,
        "closedWonValue": 40000,
        "pipelineAddedValue": 120000,
    },
}


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

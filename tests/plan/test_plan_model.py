"""The plan model: shape only, camelCase keys, canonical text for job ids."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from flows.plan.model import PatchPlan, canonical_json, plan_to_dict
from tests.helpers import present

BASE = {
    "tenant": "acme-corp-demo",
    "mode": "additive",
    "planType": "deltas",
    "months": [
        {"month": "2025-02", "metrics": {"leadsCreated": 60}},
        {"month": "2025-01", "metrics": {"leadsCreated": 50, "closedWonValue": 25000.5}},
    ],
}


def plan(**changes: object) -> PatchPlan:
    return PatchPlan.model_validate(BASE | changes)


def test_defaults_and_aliases() -> None:
    p = plan(mode="ADDITIVE", planType=" Deltas ")
    assert (p.mode, p.plan_type) == ("additive", "deltas")
    assert p.tolerances.count_tolerance == 0 and p.tolerances.value_tolerance == 0.005
    assert p.months[1].values()["closedWonValue"] == Decimal("25000.5")
    assert p.months[1].values()["contactsCreated"] is None
    assert plan_to_dict(p)["planType"] == "deltas"
    assert plan_to_dict(p)["months"][1]["metrics"] == {"leadsCreated": 50, "closedWonValue": 25000.5}


def test_rule_violations_are_not_shape_errors() -> None:
    # Negative, fractional and non-finite numbers are validation's to report, with codes.
    p = plan(months=[{"month": "2025-01", "metrics": {"leadsCreated": -1, "dealsCreated": 2.5}}])
    assert p.months[0].values()["leadsCreated"] == -1
    p = plan(months=[{"month": "2025-01", "metrics": {"closedWonValue": float("nan")}}])
    assert present(p.months[0].values()["closedWonValue"]).is_nan()


@pytest.mark.parametrize(
    "changes",
    [
        {"extra": 1},
        {"months": [{"month": "2025-01", "metrics": {"leads": 1}}]},
        {"months": [{"month": "2025-1"}]},
        {"months": [{"month": "2025-01", "metrics": {"leadsCreated": "many"}}]},
        {"months": [{"month": "2025-01", "metrics": {"leadsCreated": True}}]},
        {"mode": "sideways"},
        {"tenant": ""},
        {"tolerances": {"countTolerance": -1}},
    ],
)
def test_shape_errors(changes: dict) -> None:
    with pytest.raises(ValidationError):
        plan(**changes)


def test_canonical_json_is_stable() -> None:
    a = plan()
    b = PatchPlan.model_validate(
        BASE
        | {
            "tenant": "00000000-0000-4000-8000-000000000001",  # the same tenant by id
            "$schema": "../plan.schema.json",
            "tolerances": {"countTolerance": 0, "valueTolerance": 0.005},
            "months": [
                {"month": "2025-01", "metrics": {"closedWonValue": "25000.50", "leadsCreated": 50.0}},
                {"month": "2025-02", "metrics": {"leadsCreated": 60, "dealsCreated": None}},
            ],
        }
    )
    assert canonical_json(a) == canonical_json(b)
    assert canonical_json(a) != canonical_json(plan(seed="other"))
    assert canonical_json(a).startswith('{"mode":"additive","months":[{"metrics"')

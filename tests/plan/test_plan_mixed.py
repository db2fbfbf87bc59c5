"""RECONCILE months that raise some metrics and lower others: the split, its contradictions, its preview."""

from __future__ import annotations

from decimal import Decimal

import pytest

from flows.plan.mixed import Deltas, contradictions, is_mixed, split_month
from flows.plan.model import PatchPlan
from generators.allocation import allocate_month
from generators.metrics import METRIC_NAMES
from tests.plan.samples import CURRENT, TYPICAL, validate


def _deltas(**values: int | str) -> Deltas:
    out: Deltas = dict.fromkeys(METRIC_NAMES)
    for name, value in values.items():
        out[name] = Decimal(value) if isinstance(value, str) else value
    return out


CASES = [
    _deltas(leadsCreated=5, contactsCreated=-1),
    _deltas(dealsCreated=-2, closedWonCount=1, closedWonValue="5000"),
    _deltas(dealsCreated=3, pipelineAddedValue="-1000"),
    _deltas(closedWonCount=2, closedWonValue="-500", leadsCreated=-1),
    _deltas(closedWonCount=-1, closedWonValue="800", pipelineAddedValue="-2000", contactsCreated=4),
    _deltas(dealsCreated=2, closedWonCount=2, pipelineAddedValue="9000", activitiesCount=-3),
    _deltas(dealsCreated=4, pipelineAddedValue="12000", closedWonValue="-100"),
]


@pytest.mark.parametrize("deltas", CASES)
def test_the_two_parts_add_up_and_new_records_can_be_generated(deltas: Deltas) -> None:
    assert is_mixed(deltas)
    split = split_month(deltas, CURRENT["2025-04"], TYPICAL)
    for name, value in deltas.items():
        if value is None:
            assert split.changed[name] is None
            continue
        created, changed = split.created[name], split.changed[name]
        assert created is not None and changed is not None and created >= 0
        assert created + changed == value, name
        if value < 0:
            assert created == 0 or name in ("dealsCreated", "closedWonValue", "pipelineAddedValue"), name
    allocate_month(split.created, companies_available=5, typical_deal_size=TYPICAL)  # raises when it cannot


def test_new_deals_are_lost_while_the_pipeline_falls() -> None:
    split = split_month(_deltas(dealsCreated=3, pipelineAddedValue="-1000"), {}, TYPICAL)
    allocation = allocate_month(split.created, companies_available=5, typical_deal_size=TYPICAL)
    assert (allocation.deals_won, allocation.deals_open, allocation.deals_lost) == (0, 0, 3)
    assert split.changed["pipelineAddedValue"] == Decimal(-1000)


def test_new_won_deals_replace_existing_deals_and_carry_the_average_won_deal() -> None:
    deltas = _deltas(dealsCreated=-2, closedWonCount=1, closedWonValue="-500")
    split = split_month(deltas, CURRENT["2025-04"], TYPICAL)  # 10 won deals worth 100000
    assert (split.created["dealsCreated"], split.changed["dealsCreated"]) == (1, -3)
    assert (split.created["closedWonCount"], split.changed["closedWonCount"]) == (1, 0)
    # 99500 over 11 won deals: 9045.45 for the new one, the 10 existing give up 9545.45
    assert split.created["closedWonValue"] == Decimal("9045.45")
    assert split.changed["closedWonValue"] == Decimal("-9545.45")
    # without won deals to go by, a new one is worth the tenant's typical deal
    assert split_month(deltas, {}, TYPICAL).created["closedWonValue"] == TYPICAL


def test_won_value_up_with_fewer_won_deals_is_all_changes() -> None:
    split = split_month(_deltas(closedWonCount=-1, closedWonValue="800", leadsCreated=2), {}, TYPICAL)
    assert split.created["closedWonValue"] == 0 and split.changed["closedWonValue"] == Decimal(800)
    assert split.created["closedWonCount"] == 0 and split.changed["closedWonCount"] == -1


def test_contradictions_name_month_and_metrics() -> None:
    before = CURRENT["2025-04"]  # 40 deals, 10 won, 100000 won, 300000 pipeline
    found = contradictions(
        "2025-04",
        _deltas(dealsCreated=-35, closedWonCount=1, closedWonValue="250000", pipelineAddedValue="0", leadsCreated=3),
        before,
    )
    assert found == [
        (
            "closedWonCount",
            "Month 2025-04 cannot end with closedWonCount 11 above dealsCreated 5: won deals are among the deals",
        ),
        (
            "pipelineAddedValue",
            "Month 2025-04 cannot end with pipelineAddedValue 300000 below closedWonValue 350000: "
            "the pipeline holds the won value",
        ),
    ]
    assert contradictions("2025-04", _deltas(closedWonCount=-10, closedWonValue="5", leadsCreated=1), before) == [
        (
            "closedWonValue",
            "Month 2025-04 cannot end with closedWonValue 100005 with closedWonCount 0: won value needs won deals",
        )
    ]


def _plan(metrics: dict[str, int | float]) -> PatchPlan:
    return PatchPlan.model_validate(
        {
            "tenant": "acme-corp-demo",
            "mode": "reconcile",
            "planType": "targets",
            "months": [{"month": "2025-04", "metrics": metrics}],
        }
    )


def test_the_preview_of_a_mixed_month_shows_its_targets_and_the_records_it_creates() -> None:
    result = validate(_plan({"leadsCreated": 310, "contactsCreated": 190, "closedWonValue": 90000}))
    assert result.valid, result.errors
    assert result.created["2025-04"]["leadsCreated"] == 10 and result.changed["2025-04"]["contactsCreated"] == -10
    preview = result.as_dict()["preview"]
    (month,) = preview["months"]
    assert {name: m["target"] for name, m in month["metrics"].items() if m["target"] is not None} == {
        "leadsCreated": 310,
        "contactsCreated": 190,
        "closedWonValue": 90000,
    }
    assert month["records"]["leads"] == 10 and month["records"]["contacts"] == 0
    assert preview["total"]["records"]["deals"] == 0


def test_a_mixed_month_creating_nothing_is_not_warned_about() -> None:
    result = validate(_plan({"closedWonCount": 9, "closedWonValue": 120000}))
    assert result.valid, result.errors
    assert [w.code for w in result.warnings if w.code == "W-3"] == []
    assert result.created["2025-04"]["closedWonValue"] == 0
    assert result.changed["2025-04"]["closedWonValue"] == Decimal(20000)

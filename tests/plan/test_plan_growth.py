"""Quick Fill: growing every metric P% a month from a base month, kept feasible."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.kpis.numbers import Number
from flows.plan.quick_fill import grow_from, grow_targets, parse_pct
from generators.errors import UsageError
from tests.helpers import present
from tests.plan.samples import validate

BASE: dict[str, Number] = {
    "leadsCreated": 50,
    "contactsCreated": 40,
    "companiesCreated": 10,
    "dealsCreated": 8,
    "closedWonCount": 3,
    "closedWonValue": Decimal("25000.00"),
    "pipelineAddedValue": Decimal("75000.00"),
    "activitiesCount": 80,
}


def test_ten_percent_a_month_compounds_from_the_base() -> None:
    months = grow_targets(BASE, Decimal(10), 3)
    assert [m["leadsCreated"] for m in months] == [55, 61, 67]  # 55, 60.5 -> 61, 66.55 -> 67
    assert [m["closedWonValue"] for m in months] == [Decimal("27500.00"), Decimal("30250.00"), Decimal("33275.00")]
    assert months[0]["pipelineAddedValue"] == Decimal("82500.00")


def test_grow_from_gives_a_valid_targets_plan() -> None:
    plan = grow_from(BASE, tenant="acme-corp-demo", first_month="2025-01", months=3, pct="10%")
    assert plan.plan_type == "targets" and plan.mode == "additive"
    assert [m.month for m in plan.months] == ["2025-01", "2025-02", "2025-03"]
    result = validate(plan, current={})
    assert result.valid, result.errors


@pytest.mark.parametrize("text", ["abc", "-100", "-150", "1e9", "nan"])
def test_bad_percentages_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_pct(text)


def test_month_count_is_bounded() -> None:
    with pytest.raises(UsageError):
        grow_from(BASE, tenant="t", first_month="2025-01", months=0, pct=10)


@st.composite
def _base(draw: st.DrawFn) -> dict[str, Number]:
    """A month as real data makes it: won + open + lost deals, money only where deals are."""
    won, open_, lost = (draw(st.integers(0, 300)) for _ in range(3))
    cents = st.integers(1, 10**8).map(lambda c: Decimal(c) / 100)
    won_value = sum((draw(cents) for _ in range(min(won, 3))), Decimal(0)) if won else Decimal(0)
    open_value = sum((draw(cents) for _ in range(min(open_, 3))), Decimal(0)) if open_ else Decimal(0)
    return {
        "leadsCreated": draw(st.integers(0, 1000)),
        "contactsCreated": draw(st.integers(0, 1000)),
        "companiesCreated": draw(st.integers(0, 300)),
        "dealsCreated": won + open_ + lost,
        "closedWonCount": won,
        "closedWonValue": won_value,
        "pipelineAddedValue": won_value + open_value,
        "activitiesCount": draw(st.integers(0, 3000)),
    }


@settings(max_examples=200, deadline=None)
@given(base=_base(), pct=st.decimals(min_value=-90, max_value=30, places=1), months=st.integers(1, 12))
def test_grown_plans_from_real_looking_months_stay_feasible(base, pct, months) -> None:
    plan = grow_from(base, tenant="acme-corp-demo", first_month="2024-01", months=months, pct=pct)
    result = validate(plan, current={})
    assert result.valid, result.errors
    for month in plan.months:
        values = month.values()
        assert present(values["closedWonCount"]) <= present(values["dealsCreated"])
        assert present(values["pipelineAddedValue"]) >= present(values["closedWonValue"])
        assert all(v == v.quantize(Decimal("0.01")) for v in values.values() if v is not None)

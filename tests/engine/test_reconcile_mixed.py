"""RECONCILE months that raise some metrics and lower others land exactly, preview right, revert exact."""

from __future__ import annotations

from decimal import Decimal

import pytest

from flows.engine.revert import revert
from flows.engine.run import apply_plan
from flows.engine.steps import PlanInvalid, prepare
from flows.kpis.reads import MonthKpis, monthly_kpis
from flows.store import Store
from tests.engine.test_reconcile import MONTHS, NOW, _as_numbers, _hand_digest, _hand_made_rows, _plan, _tenant
from tests.helpers import present, table_digest


def _scaled(kpis: MonthKpis, factors: dict[str, str]) -> dict[str, int | str]:
    """Targets of the named metrics at the factor of what they read (counts rounded down, money to the cent)."""
    targets: dict[str, int | str] = {}
    for name, factor in factors.items():
        value = Decimal(str(kpis[name])) * Decimal(factor)
        targets[name] = int(value) if isinstance(kpis[name], int) else str(value.quantize(Decimal("0.01")))
    return targets


# Leads and contacts up 10%, deals, won deals and activities down 20%; won value up, pipeline down.
WON_VALUE_UP = {
    "leadsCreated": "1.1",
    "contactsCreated": "1.1",
    "dealsCreated": "0.8",
    "closedWonCount": "0.8",
    "activitiesCount": "0.8",
    "closedWonValue": "1.05",
    "pipelineAddedValue": "0.9",
}
# New deals carry the pipeline's growth; fewer contacts; won value down, existing open deals make up for it.
PIPELINE_UP = {
    "contactsCreated": "0.8",
    "dealsCreated": "1.2",
    "closedWonValue": "0.8",
    "pipelineAddedValue": "1.1",
}
# New deals while the pipeline falls: they are created lost. More activities, fewer leads.
DEALS_UP_PIPELINE_DOWN = {
    "leadsCreated": "0.8",
    "dealsCreated": "1.2",
    "pipelineAddedValue": "0.9",
    "activitiesCount": "1.1",
}


@pytest.mark.parametrize(
    "factors",
    [WON_VALUE_UP, PIPELINE_UP, DEALS_UP_PIPELINE_DOWN],
    ids=["won-value-up", "pipeline-up", "deals-up-pipeline-down"],
)
def test_a_mixed_month_lands_exactly_and_revert_restores(store: Store, factors: dict[str, str]) -> None:
    tenant = _tenant(store)
    _hand_made_rows(store, tenant)
    hand = _hand_digest(store)
    digest = table_digest(store)
    before = monthly_kpis(store, tenant, MONTHS[0], MONTHS[-1])
    targets = {m: _scaled(before[m], factors) for m in MONTHS}
    plan = _plan(tenant.slug, targets, seed="mixed")

    validation = prepare(store, plan, as_of=NOW).validation
    assert validation.valid, [e.message for e in validation.errors]
    preview = present(validation.preview).as_dict()

    job = apply_plan(store, plan, as_of=NOW)
    assert job.status == "completed", job.error_message
    after = monthly_kpis(store, tenant, MONTHS[0], MONTHS[-1])
    for month in MONTHS:
        wanted = {name: Decimal(str(value)) for name, value in targets[month].items()}
        assert {name: _as_numbers(after[month])[name] for name in wanted} == wanted, month
    assert _hand_digest(store) == hand
    assert present(job.diff_report_json)["allTargetsMet"] is True

    metrics = present(job.metrics_json)
    assert metrics["recordsCreated"] > 0 and metrics["recordsDeleted"] > 0
    assert preview["total"]["records"]["total"] == metrics["recordsCreated"]
    assert preview["recordsToModify"] == metrics["modifiedByEntity"]
    assert preview["recordsToSoftDelete"] == metrics["deletedByEntity"]
    for month in preview["months"]:  # the preview's targeted KPIs are the targets
        shown = {name: m["after"] for name, m in month["metrics"].items() if m["target"] is not None}
        assert {k: Decimal(str(v)) for k, v in shown.items()} == {
            k: Decimal(str(v)) for k, v in targets[month["month"]].items()
        }

    assert revert(store, job.id).status == "completed"
    assert table_digest(store, reverted=job.id) == digest
    assert monthly_kpis(store, tenant, MONTHS[0], MONTHS[-1]) == before


@pytest.mark.parametrize("won_value", ["1.2", "0.9"], ids=["won-value-up", "won-value-down"])
def test_won_deals_up_while_deals_go_down(store: Store, won_value: str) -> None:
    """New won deals are deals: that many more existing deals go. When the won value falls, the new won deal
    carries the month's average won deal and the existing ones give up the rest."""
    tenant = _tenant(store)
    before = monthly_kpis(store, tenant, MONTHS[0], MONTHS[0])[MONTHS[0]]
    targets: dict[str, int | str] = {
        "dealsCreated": int(before["dealsCreated"]) - 2,
        "closedWonCount": int(before["closedWonCount"]) + 1,
        "closedWonValue": str((Decimal(str(before["closedWonValue"])) * Decimal(won_value)).quantize(Decimal("0.01"))),
    }
    job = apply_plan(store, _plan(tenant.slug, {MONTHS[0]: targets}, seed="won-up"), as_of=NOW)
    assert job.status == "completed", job.error_message
    after = _as_numbers(monthly_kpis(store, tenant, MONTHS[0], MONTHS[0])[MONTHS[0]])
    assert {name: after[name] for name in targets} == {k: Decimal(str(v)) for k, v in targets.items()}
    metrics = present(job.metrics_json)
    assert metrics["byEntity"]["deals"] == 1 and metrics["deletedByEntity"]["deals"] == 3


def test_a_mixed_month_that_contradicts_itself_is_refused_and_changes_nothing(store: Store) -> None:
    tenant = _tenant(store)
    digest = table_digest(store)
    before = monthly_kpis(store, tenant, MONTHS[0], MONTHS[0])[MONTHS[0]]
    won_value = Decimal(str(before["closedWonValue"])) + Decimal("1000.00")
    leads = int(before["leadsCreated"]) + 5
    plan = _plan(
        tenant.slug,
        {MONTHS[0]: {"leadsCreated": leads, "closedWonValue": str(won_value), "pipelineAddedValue": "1000.00"}},
    )
    prepared = prepare(store, plan, as_of=NOW)
    assert [e.as_dict() for e in prepared.validation.errors] == [
        {
            "code": "V-7",
            "month": MONTHS[0],
            "metric": "pipelineAddedValue",
            "message": f"Month {MONTHS[0]} cannot end with pipelineAddedValue 1000 below closedWonValue "
            f"{won_value.normalize():f}: the pipeline holds the won value",
        }
    ]
    with pytest.raises(PlanInvalid, match="^plan is invalid: Month 2025-01 cannot end with pipelineAddedValue"):
        apply_plan(store, plan, as_of=NOW)
    assert table_digest(store) == digest


def test_a_mixed_month_only_hand_made_rows_could_meet_is_refused(store: Store) -> None:
    """Leads grow while companies fall to 0: the hand-made company (and the demo one a person's contact works at)
    stay, so the plan is refused before anything runs."""
    tenant = _tenant(store)
    _hand_made_rows(store, tenant)
    digest = table_digest(store)
    before = monthly_kpis(store, tenant, MONTHS[0], MONTHS[0])[MONTHS[0]]
    plan = _plan(
        tenant.slug,
        {MONTHS[0]: {"leadsCreated": int(before["leadsCreated"]) + 3, "companiesCreated": 0}},
    )
    prepared = prepare(store, plan, as_of=NOW)
    assert [e.as_dict() for e in prepared.validation.errors] == [
        {
            "code": "V-6",
            "month": MONTHS[0],
            "metric": "companiesCreated",
            "message": "Cannot reduce companiesCreated below 2 in 2025-01: only demo-generated records can change",
        }
    ]
    with pytest.raises(PlanInvalid):
        apply_plan(store, plan, as_of=NOW)
    assert table_digest(store) == digest

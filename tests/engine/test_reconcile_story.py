"""RECONCILE keeps the sales story: what it deletes or turns lost leaves no activity telling a
step its deal never reached, or a step of a deal that is gone."""

from __future__ import annotations

from datetime import UTC, datetime

from flows.engine.demo_tenants import create_demo_tenant
from flows.engine.run import apply_plan
from flows.plan.model import PatchPlan
from flows.store import Store
from flows.store.tenants import Tenant
from generators.story import LOST_LEVEL, SUBJECT_STEPS
from tests.helpers import present

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
JANUARY, FEBRUARY = "2025-01", "2025-02"
LINKED = (
    "SELECT a.id, a.subject, a.deal_id, a.deleted_at, s.is_won, s.is_lost FROM activities a "
    "JOIN deals d ON d.id = a.deal_id JOIN pipeline_stages s ON s.id = d.stage_id "
    "WHERE a.tenant_id = ? AND d.created_at >= ? AND d.created_at < ?"
)


def _tenant(store: Store) -> Tenant:
    created = create_demo_tenant(store, name="Shrink Demo", first=JANUARY, last=FEBRUARY, seed="shrink", now=NOW)
    assert created.patch_job.status == "completed"
    return created.tenant


def _deltas(slug: str, months: dict[str, dict[str, int]]) -> PatchPlan:
    return PatchPlan.model_validate(
        {
            "tenant": slug,
            "mode": "reconcile",
            "planType": "deltas",
            "seed": "story",
            "months": [{"month": m, "metrics": v} for m, v in months.items()],
        }
    )


def test_a_won_deal_turned_lost_is_one_whose_story_stopped_before_the_contract(store: Store) -> None:
    tenant = _tenant(store)
    # Every won deal of January with activities gets to the contract: RECONCILE turns one lost
    # only if no won deal without activities is left, which January has (two).
    won = [r for r in store.query(LINKED, (tenant.id, "2025-01-01", "2025-02-01")) if r["is_won"]]
    assert won, "January's won deals have activities"
    for row in won:
        store.execute("UPDATE activities SET subject = 'Sent contract' WHERE id = ?", (row["id"],))

    job = apply_plan(store, _deltas(tenant.slug, {JANUARY: {"closedWonCount": -1}}), as_of=NOW)
    assert job.status == "completed", job.error_message
    assert present(job.metrics_json)["modifiedByEntity"]["deals"] == 1

    ahead = [
        r
        for r in store.query(LINKED, (tenant.id, "2025-01-01", "2025-02-01"))
        if r["is_lost"] and r["deleted_at"] is None and SUBJECT_STEPS.get(r["subject"], 0) > LOST_LEVEL
    ]
    assert ahead == []


def test_a_deleted_deals_story_goes_with_it_while_the_month_needs_fewer_activities(store: Store) -> None:
    tenant = _tenant(store)
    lost = [r for r in store.query(LINKED, (tenant.id, "2025-02-01", "2025-03-01")) if r["is_lost"]]
    told = [r for r in lost if SUBJECT_STEPS.get(r["subject"], 0) >= 2]
    assert told, "a lost deal of February tells a step of its story beyond the first"

    plan = _deltas(tenant.slug, {FEBRUARY: {"dealsCreated": -2, "activitiesCount": -len(told)}})
    job = apply_plan(store, plan, as_of=NOW)
    assert job.status == "completed", job.error_message
    metrics = present(job.metrics_json)
    assert (metrics["deletedByEntity"]["deals"], metrics["deletedByEntity"]["activities"]) == (2, len(told))

    gone = store.query(
        "SELECT id, deleted_at, deal_id FROM activities WHERE id IN (SELECT unnest(?::UUID[]))",
        ([r["id"] for r in told],),
    )
    assert [(r["deleted_at"] is not None, r["deal_id"] is not None) for r in gone] == [(True, True)] * len(told)

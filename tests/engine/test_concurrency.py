"""Two applies of one plan at once on PostgreSQL: one publishes, the other returns its job — never duplicates."""

from __future__ import annotations

import threading

import pytest

from flows.engine.run import apply_plan
from flows.kpis.reads import monthly_kpis
from flows.store import open_store
from flows.store.jobs import PatchJob
from generators.errors import DemogenError
from tests.engine.plans import EXAMPLE_MONTHS, NOW, make_plan
from tests.helpers import insert_tenant


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_concurrent_applies_of_one_plan_publish_once(database_url: str) -> None:
    with open_store(database_url) as store:
        tenant = insert_tenant(store, slug="acme")
    plan = make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]})
    outcomes: list[PatchJob | DemogenError] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        with open_store(database_url) as store:
            barrier.wait()
            try:
                outcomes.append(apply_plan(store, plan, as_of=NOW))
            except DemogenError as exc:  # failing cleanly is allowed; duplicating is not
                outcomes.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)

    jobs = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(outcomes) == 2 and jobs
    assert {j.status for j in jobs} == {"completed"} and len({j.id for j in jobs}) == 1
    with open_store(database_url) as store:
        jan = monthly_kpis(store, tenant, "2025-01", "2025-01")["2025-01"]
        assert jan["leadsCreated"] == 50 and jan["dealsCreated"] == 8
        assert store.scalar("SELECT count(*) FROM demo_patch_jobs") == 1


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_two_plans_on_one_tenant_serialise_on_the_tenant_lock(database_url: str) -> None:
    with open_store(database_url) as store:
        tenant = insert_tenant(store, slug="acme")
    plans = [
        make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]}, seed="a"),
        make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]}, seed="b"),
    ]
    results: list[object] = []

    def run(plan) -> None:
        with open_store(database_url) as store:
            try:
                results.append(apply_plan(store, plan, as_of=NOW))
            except DemogenError as exc:
                results.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    # both DELTAS plans land, one after the other: the second reads the first's KPIs
    assert all(getattr(r, "status", None) == "completed" for r in results), results
    with open_store(database_url) as store:
        assert monthly_kpis(store, tenant, "2025-01", "2025-01")["2025-01"]["leadsCreated"] == 100

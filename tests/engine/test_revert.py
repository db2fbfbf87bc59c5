"""Revert removes exactly a job's rows, is recorded as a job, and refuses while later rows point at them."""

from __future__ import annotations

import pytest

from flows.engine.revert import revert
from flows.engine.run import apply_plan
from flows.kpis.reads import monthly_kpis
from flows.store import Store
from flows.store.jobs import list_jobs
from generators.errors import DemogenError
from tests.engine.plans import EXAMPLE_MONTHS, NOW, make_plan
from tests.helpers import present, table_digest


def test_revert_restores_the_tenant_exactly(store: Store, tenant) -> None:
    digest = table_digest(store)
    before = monthly_kpis(store, tenant, "2025-01", "2025-02")
    job = apply_plan(store, make_plan({m: EXAMPLE_MONTHS[m] for m in ("2025-01", "2025-02")}), as_of=NOW)
    assert job.status == "completed"

    undo = revert(store, job.id)
    assert undo.status == "completed" and undo.mode == "revert"
    assert present(undo.metrics_json)["recordsDeleted"] == present(job.metrics_json)["recordsCreated"]
    assert monthly_kpis(store, tenant, "2025-01", "2025-02") == before
    assert table_digest(store) == digest
    assert {j.id for j in list_jobs(store)} == {job.id, undo.id}
    assert revert(store, job.id).id == undo.id  # idempotent
    with pytest.raises(DemogenError, match="was reverted"):
        apply_plan(store, make_plan({m: EXAMPLE_MONTHS[m] for m in ("2025-01", "2025-02")}), as_of=NOW)


def test_revert_refuses_while_a_later_job_points_at_its_rows(store: Store, tenant) -> None:
    first = apply_plan(store, make_plan({"2025-01": {"companiesCreated": 4, "contactsCreated": 4}}), as_of=NOW)
    # no companies in the second plan: its contacts join the first job's companies
    second = apply_plan(store, make_plan({"2025-02": {"contactsCreated": 12}}, seed="s2"), as_of=NOW)
    assert first.status == second.status == "completed"
    digest = table_digest(store)
    with pytest.raises(DemogenError, match=f"job {second.id}"):
        revert(store, first.id)
    assert table_digest(store) == digest
    revert(store, second.id)
    assert revert(store, first.id).status == "completed"
    assert int(store.scalar("SELECT count(*) FROM contacts")) == 0


def test_only_completed_jobs_can_be_reverted(store: Store, tenant) -> None:
    def boom(store, job):
        raise RuntimeError("no")

    failed = apply_plan(
        store, make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]}), as_of=NOW, hooks={"before_write": boom}
    )
    with pytest.raises(DemogenError, match="failed"):
        revert(store, failed.id)
    with pytest.raises(DemogenError, match="unknown job"):
        revert(store, "7d3f5c1e-0000-4000-8000-000000000000")

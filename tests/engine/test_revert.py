"""Revert undoes exactly a job's rows, is recorded as a job, and refuses while a later job built on them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.engine import row_images
from flows.engine.revert import revert
from flows.engine.run import apply_plan
from flows.kpis.reads import monthly_kpis
from flows.store import Store
from flows.store.jobs import list_jobs
from generators.errors import DemogenError
from tests.engine.plans import EXAMPLE_MONTHS, NOW, make_plan
from tests.helpers import insert_rows, present, table_digest


def test_revert_restores_the_tenant_exactly(store: Store, tenant) -> None:
    digest = table_digest(store)
    before = monthly_kpis(store, tenant, "2025-01", "2025-02")
    job = apply_plan(store, make_plan({m: EXAMPLE_MONTHS[m] for m in ("2025-01", "2025-02")}), as_of=NOW)
    assert job.status == "completed"

    undo = revert(store, job.id)
    assert undo.status == "completed" and undo.mode == "revert"
    created = present(job.metrics_json)["recordsCreated"]
    assert present(undo.metrics_json)["recordsDeleted"] == created
    assert monthly_kpis(store, tenant, "2025-01", "2025-02") == before
    # soft-deleted, at the revert's time: the rows stay, out of every KPI
    assert table_digest(store, reverted=job.id) == digest
    stamps = store.query(
        "SELECT DISTINCT deleted_at, updated_at FROM contacts WHERE demo_job_id = ? "
        "UNION SELECT DISTINCT deleted_at, updated_at FROM deals WHERE demo_job_id = ?",
        (job.id, job.id),
    )
    assert len(stamps) == 1 and stamps[0]["deleted_at"] == stamps[0]["updated_at"] is not None
    assert {j.id for j in list_jobs(store)} == {job.id, undo.id}
    assert revert(store, job.id).id == undo.id  # idempotent
    assert table_digest(store, reverted=job.id) == digest
    with pytest.raises(DemogenError, match="was reverted"):
        apply_plan(store, make_plan({m: EXAMPLE_MONTHS[m] for m in ("2025-01", "2025-02")}), as_of=NOW)

    # --purge after a plain revert deletes the soft-deleted rows: the tenant is as it was, row for row
    assert revert(store, job.id, purge=True).id == undo.id
    assert table_digest(store) == digest


def test_revert_purge_deletes_the_rows_outright(store: Store, tenant) -> None:
    digest = table_digest(store)
    job = apply_plan(store, make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]}), as_of=NOW)
    undo = revert(store, job.id, purge=True)
    assert present(undo.metrics_json)["recordsDeleted"] == present(job.metrics_json)["recordsCreated"]
    assert table_digest(store) == digest
    assert revert(store, job.id, purge=True).id == undo.id  # idempotent
    assert table_digest(store) == digest


def test_revert_refuses_while_a_later_job_points_at_its_rows(store: Store, tenant) -> None:
    first = apply_plan(store, make_plan({"2025-01": {"companiesCreated": 4, "contactsCreated": 4}}), as_of=NOW)
    # no companies in the second plan: its contacts join the first job's companies
    second = apply_plan(store, make_plan({"2025-02": {"contactsCreated": 12}}, seed="s2"), as_of=NOW)
    assert first.status == second.status == "completed"
    digest = table_digest(store)
    with pytest.raises(DemogenError) as refused:
        revert(store, first.id)
    assert str(refused.value) == (
        f"cannot revert {first.id}: 12 contacts of job {second.id} point at its rows; revert that first"
    )
    assert table_digest(store) == digest
    revert(store, second.id)
    assert revert(store, first.id).status == "completed"
    assert int(store.scalar("SELECT count(*) FROM contacts WHERE deleted_at IS NULL")) == 0


def _change_as_a_later_job(store: Store, job_id: str, modify: list[str], delete: list[str], at: datetime) -> None:
    """What a RECONCILE publish does to rows it did not create: keep their before-images, then change them."""
    with store.transaction():
        row_images.keep_images(store, job_id, "deals", modify, row_images.MODIFY)
        row_images.keep_images(store, job_id, "contacts", delete, row_images.DELETE)
        for deal in modify:
            store.execute("UPDATE deals SET value = value + 1, updated_at = ? WHERE id = ?", (at, deal))
        for contact in delete:
            store.execute("UPDATE contacts SET deleted_at = ?, updated_at = ? WHERE id = ?", (at, at, contact))


def test_revert_restores_rows_from_their_before_images(store: Store, tenant) -> None:
    first = apply_plan(store, make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]}), as_of=NOW)
    digest = table_digest(store)
    second = apply_plan(store, make_plan({"2025-02": {"companiesCreated": 2}}, seed="s2"), as_of=NOW)
    deals = [
        r["id"] for r in store.query("SELECT id FROM deals WHERE demo_job_id = ? ORDER BY id LIMIT 3", (first.id,))
    ]
    loners = store.query(
        "SELECT c.id, c.email FROM contacts c WHERE c.demo_job_id = ? AND NOT EXISTS "
        "(SELECT 1 FROM deals d WHERE d.contact_id = c.id) AND NOT EXISTS "
        "(SELECT 1 FROM activities a WHERE a.contact_id = c.id) ORDER BY c.id LIMIT 2",
        (first.id,),
    )
    contacts = [r["id"] for r in loners]
    assert len(deals) == 3 and len(contacts) == 2
    _change_as_a_later_job(store, second.id, deals, contacts, datetime(2026, 11, 27, tzinfo=UTC))

    with pytest.raises(DemogenError) as refused:
        revert(store, first.id)
    assert str(refused.value) == (
        f"cannot revert {first.id}: job {second.id} later modified or deleted 2 of the contacts it would change; "
        "revert that first"
    )

    # a contact created since holds the email of one the second job soft-deleted: undeleting it would clash
    clash = insert_rows(
        store,
        "contacts",
        [{"tenant_id": tenant.id, "email": loners[0]["email"].upper(), "created_at": datetime(2025, 3, 2, tzinfo=UTC)}],
    )
    with pytest.raises(DemogenError) as refused:
        revert(store, second.id)
    assert str(refused.value) == (
        f"cannot revert {second.id}: 1 contacts of records not created by demogen took the emails of contacts "
        "it would undelete; revert that first"
    )
    store.execute("DELETE FROM contacts WHERE id = ?", (clash[0],))

    undo = revert(store, second.id)
    assert present(undo.metrics_json)["recordsModified"] == 5
    assert table_digest(store, reverted=second.id) == digest
    assert revert(store, second.id).id == undo.id  # idempotent: nothing restored twice
    assert table_digest(store, reverted=second.id) == digest
    # its images are restored: they no longer stand in the first job's way
    assert revert(store, first.id).status == "completed"


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

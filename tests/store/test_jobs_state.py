"""The job state machine: every status change is a conditional update that refuses a move another run made moot."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flows.store import Store
from flows.store.jobs import (
    JobStateError,
    PatchJob,
    fail_job,
    get_job,
    insert_job,
    interrupted_jobs,
    mark_interrupted,
    now_utc,
    transition,
    update_job,
)
from flows.store.migrate import ensure_master_admin
from tests.helpers import insert_tenant, present

JOB_ID = "7b0c7e43-2a55-4a8e-9d59-0c8f1d0a7f11"


@pytest.fixture
def job(store: Store) -> PatchJob:
    tenant = insert_tenant(store, slug="acme")
    pending = PatchJob(
        id=JOB_ID,
        tenant_id=tenant.id,
        created_by_id=ensure_master_admin(store),
        mode="additive",
        plan_type="deltas",
        patch_plan_json={"months": []},
        seed="s1",
        range_start_month="2025-01",
        range_end_month="2025-01",
    )
    assert insert_job(store, pending)
    return present(get_job(store, JOB_ID))


def test_a_job_runs_then_completes_and_completed_is_final(store: Store, job: PatchJob) -> None:
    running = transition(store, job, "running")
    assert running.lease_owner is not None
    assert present(running.lease_expires_at) > now_utc() + timedelta(seconds=800)
    done = transition(store, running, "completed", progress=90)
    assert present(get_job(store, JOB_ID)).status == "completed"
    assert done.lease_expires_at is None
    for move in ("failed", "running"):
        with pytest.raises(JobStateError) as refused:
            transition(store, done, move)
        assert str(refused.value) == f"job {JOB_ID} is completed: it cannot become {move}"
    assert present(get_job(store, JOB_ID)).status == "completed"


def test_a_stale_copy_cannot_fail_a_job_another_run_completed(store: Store, job: PatchJob) -> None:
    mine = transition(store, job, "running")
    theirs = present(get_job(store, JOB_ID))
    transition(store, theirs, "completed")
    with pytest.raises(JobStateError) as refused:
        fail_job(store, mine, RuntimeError("too late"), "audit")
    assert str(refused.value) == (
        f"job {JOB_ID} cannot go from running to failed: it is completed now, not running (another run moved it)"
    )
    assert present(refused.value.actual).status == "completed"
    with pytest.raises(JobStateError):
        update_job(store, mine, progress=70)
    stored = present(get_job(store, JOB_ID))
    assert (stored.status, stored.error_message, stored.progress) == ("completed", None, 0)


def test_a_run_whose_job_was_taken_over_writes_nothing_more(store: Store, job: PatchJob) -> None:
    first = transition(store, job, "running")
    store.execute(
        "UPDATE demo_patch_jobs SET lease_expires_at = ? WHERE id = ?", (now_utc() - timedelta(seconds=1), JOB_ID)
    )
    [expired] = interrupted_jobs(store, job.tenant_id)
    interrupted = mark_interrupted(store, expired)
    assert interrupted.status == "failed"
    assert present(interrupted.error_message).startswith(
        "interrupted: its run stopped after step start and its lease ran out at "
    )
    second = transition(store, interrupted, "running")
    assert second.lease_owner != first.lease_owner
    with pytest.raises(JobStateError) as refused:
        update_job(store, first, progress=50)
    assert str(refused.value) == (
        f"job {JOB_ID} cannot be updated: another run holds it now (its lease was taken over after {first.lease_owner})"
    )
    assert interrupted_jobs(store, job.tenant_id) == []


def test_status_changes_only_through_transitions(store: Store, job: PatchJob) -> None:
    with pytest.raises(ValueError):
        update_job(store, job, status="completed")
    assert present(get_job(store, JOB_ID)).status == "pending"

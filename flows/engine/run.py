"""`apply_plan`: the steps of a patch composed once, under the tenant lock, with the job's history kept."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime

from flows.engine import steps
from flows.engine.revert import reverted_by
from flows.engine.steps import Hook, Progress
from flows.plan.model import PatchPlan
from flows.store.base import Store
from flows.store.jobs import PatchJob
from flows.store.tenants import resolve_tenant
from generators.errors import DemogenError


def completed_job(store: Store, plan: PatchPlan, job_id: str) -> PatchJob | None:
    """The plan's job if it already completed (re-applying it is a no-op); refuses one that was reverted.

    An existing job id must be this plan's job on this tenant (`steps.same_job`).
    """
    job = steps.existing_job(store, plan, job_id)
    if job is None or job.status != "completed":
        return None
    undone = reverted_by(store, job.id)
    if undone is not None:
        raise DemogenError(
            f"job {job.id} was reverted by job {undone.id}: apply the plan again with a new --job-id or seed"
        )
    return job


@contextmanager
def tenant_turn(store: Store, plan: PatchPlan, job_id: str, lock_wait_seconds: float) -> Iterator[PatchJob | None]:
    """Hold the tenant's patch lock; yields the job if it is already completed (then there is nothing to do).

    Under the lock, jobs of the tenant whose run stopped are failed as interrupted first, and a
    completed job whose run stopped before its report gets its report.
    """
    done = completed_job(store, plan, job_id)
    if done is not None and steps.reported(done):
        yield done
        return
    tenant = resolve_tenant(store, plan.tenant)
    with store.tenant_lock(tenant.id, wait_seconds=lock_wait_seconds):
        steps.recover_interrupted(store, tenant.id)
        done = completed_job(store, plan, job_id)  # another run may have finished it while we waited
        if done is not None and not steps.reported(done):
            done = steps.report_completed(store, done)
        yield done


def apply_plan(
    store: Store,
    plan: PatchPlan,
    *,
    job_id: str | None = None,
    as_of: datetime | None = None,
    original_job_id: str | None = None,
    source: str = "cli",
    progress: Progress | None = None,
    hooks: Mapping[str, Hook] | None = None,
    lock_wait_seconds: float = 120.0,
    actor_id: str | None = None,
) -> PatchJob:
    """Apply a plan with write–audit–publish. Returns the job: completed, or failed with its error.

    Raises PlanInvalid (nothing written) for a plan that fails validation. A
    completed job with the same id is returned unchanged (idempotency). A new job is
    recorded as created by `actor_id` (a Master Admin's user id), else the local actor.
    """
    job_id = steps.job_id_for(store, plan, job_id)
    with tenant_turn(store, plan, job_id, lock_wait_seconds) as done:
        if done is not None:
            return done
        prepared = steps.prepare(store, plan, as_of=as_of, job_id=job_id)
        run = steps.start_job(
            store,
            prepared,
            source=source,
            original_job_id=original_job_id,
            progress=progress,
            hooks=hooks,
            actor_id=actor_id,
        )
        try:
            written = steps.generate_and_write(run, prepared)
            audited = steps.audit(run, prepared)
            steps.publish(run, prepared, written, audited)
        except Exception as exc:
            return steps.fail(run, exc)
        try:
            verified = steps.verify(run, prepared)
            return steps.report(run, prepared, verified)
        except Exception as exc:  # published already: record the problem, keep the job completed
            return steps.note_unfinished(run, exc)

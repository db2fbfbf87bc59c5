"""Reverting a job: soft-delete the rows it created and restore those it changed, recorded as a job of its own."""

from __future__ import annotations

import uuid
from datetime import datetime

from flows.engine import row_images
from flows.engine.steps import recover_interrupted
from flows.kpis.reads import monthly_kpis
from flows.kpis.reports import diff_report, snapshot
from flows.store.base import Store
from flows.store.jobs import (
    JOB_NAMESPACE,
    PatchJob,
    get_job,
    insert_job,
    log_step,
    now_utc,
    require_job,
    transition,
    update_job,
)
from flows.store.migrate import current_actor
from flows.store.tenants import resolve_tenant
from generators import frames
from generators.errors import DemogenError

# (child table, column, parent entity): who may point at a job's rows.
REFERENCES = (
    ("contacts", "company_id", "companies"),
    ("deals", "company_id", "companies"),
    ("deals", "contact_id", "contacts"),
    ("activities", "company_id", "companies"),
    ("activities", "contact_id", "contacts"),
    ("activities", "deal_id", "deals"),
)
ENTITIES = tuple(reversed(frames.ENTITIES))  # children first


def revert_job_id(job_id: str) -> str:
    return str(uuid.uuid5(JOB_NAMESPACE, f"revert:{job_id}"))


def reverted_by(store: Store, job_id: str) -> PatchJob | None:
    job = get_job(store, revert_job_id(job_id))
    return job if job is not None and job.status == "completed" else None


def _blockers(store: Store, job: PatchJob) -> list[tuple[str | None, str, int]]:
    """Live rows of other jobs (or of nobody) that point at this job's rows: (their job, table, count)."""
    found = []
    for child, column, parent in REFERENCES:
        rows = store.query(
            f"SELECT c.demo_job_id AS job, count(*) AS n FROM {child} c JOIN {parent} p ON c.{column} = p.id "
            "WHERE p.demo_job_id = ? AND (c.demo_job_id IS NULL OR c.demo_job_id <> ?) AND c.deleted_at IS NULL "
            "GROUP BY c.demo_job_id",
            (job.id, job.id),
        )
        found += [(r["job"], child, int(r["n"])) for r in rows]
    return found


def refuse_if_built_on(store: Store, job: PatchJob, tenant_id: str) -> None:
    """Refuse, naming the later job, when undoing this one would pull rows from under it."""
    blockers = _blockers(store, job)
    if blockers:
        other, table, n = blockers[0]
        who = f"job {other}" if other else "records not created by demogen"
        raise DemogenError(f"cannot revert {job.id}: {n} {table} of {who} point at its rows; revert that first")
    changes = row_images.later_changes(store, job.id)
    if changes:
        other, entity, n = changes[0]
        raise DemogenError(
            f"cannot revert {job.id}: job {other} later modified or deleted {n} of the {entity} it would change; "
            "revert that first"
        )
    clashes = row_images.email_clashes(store, job.id, tenant_id)
    if clashes:
        owner, n = clashes[0]
        who = f"job {owner}" if owner else "records not created by demogen"
        raise DemogenError(
            f"cannot revert {job.id}: {n} contacts of {who} took the emails of contacts it would undelete; "
            "revert that first"
        )


def _remove_created(store: Store, job_id: str, at: datetime, *, purge: bool) -> dict[str, int]:
    """Soft-delete the live rows the job created (purge: delete every row it created). Rows per entity."""
    removed: dict[str, int] = {}
    for entity in ENTITIES:
        if purge:
            removed[entity] = store.execute(f"DELETE FROM {entity} WHERE demo_job_id = ?", (job_id,))
        else:
            removed[entity] = store.execute(
                f"UPDATE {entity} SET deleted_at = ?, updated_at = ? WHERE demo_job_id = ? AND deleted_at IS NULL",
                (at, at, job_id),
            )
    return removed


def _purge_reverted(store: Store, job: PatchJob, undo: PatchJob) -> PatchJob:
    """Delete outright the rows a finished revert soft-deleted (`revert --purge` after a plain revert)."""
    tenant = resolve_tenant(store, job.tenant_id)
    with store.tenant_lock(tenant.id, wait_seconds=30):
        with store.transaction():
            store.check_tenant_lock(tenant.id)
            purged = {
                e: store.execute(f"DELETE FROM {e} WHERE demo_job_id = ? AND deleted_at IS NOT NULL", (job.id,))
                for e in ENTITIES
            }
        total = sum(purged.values())
        if total:
            undo = log_step(store, undo, "purge", f"purged {total:,} soft-deleted rows of {job.id}", 100)
    return undo


def revert(store: Store, job_id: str, *, actor_id: str | None = None, purge: bool = False) -> PatchJob:
    """Undo a completed job: soft-delete the rows it created (`purge`: delete them outright), restore the
    rows it modified or soft-deleted from their before-images; refuse while a later job built on them.

    The revert job is recorded as created by `actor_id` (a Master Admin's user id), else the local actor.
    Reverting again returns the same revert job (with `purge`, after deleting the rows it soft-deleted).
    """
    job = require_job(store, job_id)
    if job.mode == "revert":
        raise DemogenError(f"job {job_id} is itself a revert; re-apply the original plan with a new --job-id")
    if job.status != "completed":
        raise DemogenError(f"job {job_id} is {job.status}: only a completed job can be reverted")
    done = reverted_by(store, job_id)
    if done is not None:
        return _purge_reverted(store, job, done) if purge else done
    tenant = resolve_tenant(store, job.tenant_id)
    with store.tenant_lock(tenant.id, wait_seconds=30):
        recover_interrupted(store, tenant.id)
        refuse_if_built_on(store, job, tenant.id)
        months = [m["month"] for m in job.before_kpis_json or []] or [job.range_start_month]
        before = monthly_kpis(store, tenant, months[0], months[-1])
        revert_job = PatchJob(
            id=revert_job_id(job_id),
            tenant_id=tenant.id,
            created_by_id=actor_id or current_actor(store),
            mode="revert",
            plan_type="deltas",
            patch_plan_json={"revert": job_id, "purge": purge},
            seed=job.seed,
            range_start_month=job.range_start_month,
            range_end_month=job.range_end_month,
            original_job_id=job.original_job_id,
            logs=[{"at": now_utc().isoformat(), "level": "info", "step": "create", "message": f"revert of {job_id}"}],
        )
        if not insert_job(store, revert_job):
            revert_job = require_job(store, revert_job.id)  # an earlier attempt that failed or was interrupted
        revert_job = transition(store, revert_job, "running", started_at=now_utc(), before_kpis_json=snapshot(before))
        at = now_utc()
        with store.transaction():
            store.check_tenant_lock(tenant.id)
            deleted = _remove_created(store, job_id, at, purge=purge)
            restored = row_images.restore_images(store, job_id, at)
            revert_job = transition(
                store,
                revert_job,
                "completed",
                completed_at=now_utc(),
                progress=100,
                metrics_json={
                    "recordsCreated": 0,
                    "recordsModified": sum(restored.values()),
                    "recordsDeleted": sum(deleted.values()),
                    "byEntity": deleted,
                    "restoredByEntity": restored,
                    "purged": purge,
                },
            )
        after = monthly_kpis(store, tenant, months[0], months[-1])
        revert_job = update_job(
            store, revert_job, after_kpis_json=snapshot(after), diff_report_json=diff_report(before, after, [])
        )
        how = "deleted" if purge else "soft-deleted"
        revert_job = log_step(
            store,
            revert_job,
            "revert",
            f"{how} {sum(deleted.values()):,} rows of {job_id}, restored {sum(restored.values()):,}",
            100,
        )
        log_step(store, job, "reverted", f"reverted by job {revert_job.id}")
        return revert_job

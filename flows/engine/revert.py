"""Reverting an ADDITIVE job: remove exactly the rows it created, recorded as a job of its own."""

from __future__ import annotations

import uuid

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
    """Rows of other jobs (or of nobody) that point at this job's rows: (their job, table, count)."""
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


def revert(store: Store, job_id: str, *, actor_id: str | None = None) -> PatchJob:
    """Delete the rows a completed ADDITIVE job created; refuse while later rows point at them.

    The revert job is recorded as created by `actor_id` (a Master Admin's user id), else the local actor.
    """
    job = require_job(store, job_id)
    if job.mode == "revert":
        raise DemogenError(f"job {job_id} is itself a revert; re-apply the original plan with a new --job-id")
    if job.status != "completed":
        raise DemogenError(f"job {job_id} is {job.status}: only a completed job can be reverted")
    done = reverted_by(store, job_id)
    if done is not None:
        return done
    tenant = resolve_tenant(store, job.tenant_id)
    with store.tenant_lock(tenant.id, wait_seconds=30):
        recover_interrupted(store, tenant.id)
        blockers = _blockers(store, job)
        if blockers:
            other, table, n = blockers[0]
            who = f"job {other}" if other else "records not created by demogen"
            raise DemogenError(f"cannot revert {job_id}: {n} {table} of {who} point at its rows; revert that first")
        months = [m["month"] for m in job.before_kpis_json or []] or [job.range_start_month]
        before = monthly_kpis(store, tenant, months[0], months[-1])
        revert_job = PatchJob(
            id=revert_job_id(job_id),
            tenant_id=tenant.id,
            created_by_id=actor_id or current_actor(store),
            mode="revert",
            plan_type="deltas",
            patch_plan_json={"revert": job_id},
            seed=job.seed,
            range_start_month=job.range_start_month,
            range_end_month=job.range_end_month,
            original_job_id=job.original_job_id,
            logs=[{"at": now_utc().isoformat(), "level": "info", "step": "create", "message": f"revert of {job_id}"}],
        )
        if not insert_job(store, revert_job):
            revert_job = require_job(store, revert_job.id)  # an earlier attempt that failed or was interrupted
        revert_job = transition(store, revert_job, "running", started_at=now_utc(), before_kpis_json=snapshot(before))
        deleted: dict[str, int] = {}
        with store.transaction():
            store.check_tenant_lock(tenant.id)
            for entity in ENTITIES:
                deleted[entity] = int(
                    store.scalar(f"SELECT count(*) AS n FROM {entity} WHERE demo_job_id = ?", (job_id,))
                )
                store.execute(f"DELETE FROM {entity} WHERE demo_job_id = ?", (job_id,))
            revert_job = transition(
                store,
                revert_job,
                "completed",
                completed_at=now_utc(),
                progress=100,
                metrics_json={
                    "recordsCreated": 0,
                    "recordsModified": 0,
                    "recordsDeleted": sum(deleted.values()),
                    "byEntity": deleted,
                },
            )
        after = monthly_kpis(store, tenant, months[0], months[-1])
        revert_job = update_job(
            store, revert_job, after_kpis_json=snapshot(after), diff_report_json=diff_report(before, after, [])
        )
        revert_job = log_step(store, revert_job, "revert", f"deleted {sum(deleted.values()):,} rows of {job_id}", 100)
        log_step(store, job, "reverted", f"reverted by job {revert_job.id}")
        return revert_job

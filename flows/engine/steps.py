"""The steps of a patch — prepare, generate and write (overlapped), audit, publish, verify, report — as plain functions.

Each step takes real values and returns real values; `flows.engine.run.apply_plan`
composes them for the CLI, and the `apply_patch` Prefect flow composes the same
functions as tasks. A job's steps share one `JobRun`: the store, the job record,
and where progress goes.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from flows.engine import audit as dbt_audit
from flows.engine import drafts, reconcile
from flows.engine.context import load_context, taking_turns
from flows.kpis.reads import MonthKpis, monthly_kpis, typical_deal_size, zero_kpis
from flows.kpis.realism import realism
from flows.kpis.reports import diff_report, snapshot
from flows.plan.model import PatchPlan, canonical_json, plan_to_dict
from flows.plan.preview import total_preview
from flows.plan.rules import Deltas, ValidationResult, validate_plan
from flows.store.base import ConnectionLost, Store
from flows.store.jobs import (
    JOB_NAMESPACE,
    JobStateError,
    PatchJob,
    fail_job,
    get_job,
    insert_job,
    interrupted_jobs,
    log_step,
    mark_interrupted,
    now_utc,
    require_job,
    transition,
    update_job,
)
from flows.store.migrate import current_actor
from flows.store.tenants import Tenant, resolve_tenant
from generators import TenantContext, generate_by_month
from generators.calendar import month_index, month_of, month_start
from generators.errors import DemogenError
from generators.metrics import METRICS

log = logging.getLogger(__name__)

# Observers and fault-injection points, called with (store, job) at step boundaries:
# before_write, during_write (after each month's drafts, on the writer's thread, inside the month's transaction),
# after_write, during_audit, before_publish, during_publish, after_publish.
Hook = Callable[[Store, PatchJob], None]
Progress = Callable[[str, int, str], None]
# A job's progress once its before-KPIs are read, and once its records are generated.
PREPARED_PCT, GENERATED_PCT = 10, 35


class PlanInvalid(DemogenError):
    """The plan failed validation: nothing was written."""

    def __init__(self, result: ValidationResult) -> None:
        self.result = result
        first = result.errors[0].message if result.errors else "invalid plan"
        more = f" (and {len(result.errors) - 1} more)" if len(result.errors) > 1 else ""
        super().__init__(f"plan is invalid: {first}{more}")


class AuditFailed(DemogenError):
    """The dbt audit of the drafts failed: nothing was published."""


class Conflict(DemogenError):
    """The tenant's KPIs moved between computing the deltas and publishing."""


@dataclass
class Prepared:
    """A plan read against its tenant: what the job will do, before anything is written."""

    tenant: Tenant
    plan: PatchPlan
    months: list[str]
    before: dict[str, MonthKpis]
    typical_deal_size: Decimal
    validation: ValidationResult
    seed: str
    job_id: str
    as_of: datetime
    targets: list[dict[str, Any]] = field(default_factory=list)
    companies_existing: int = 0  # live companies before the plan's first month, as the preview counted them (capped)
    changes: reconcile.Changes | None = None  # RECONCILE: the demo rows its lowered metrics edit and soft-delete


@dataclass(frozen=True)
class Written:
    """The drafts a job wrote: rows per entity table, and per record type (leads apart from contacts)."""

    by_entity: dict[str, int]
    by_record_type: dict[str, int]
    changed: dict[str, int] = field(default_factory=dict)  # RECONCILE: existing rows drafted anew, per entity

    @property
    def total(self) -> int:
        return sum(self.by_entity.values())


@dataclass
class JobRun:
    """One job under way: its store, its record (kept current), and where progress and hooks go."""

    store: Store
    job: PatchJob
    progress: Progress | None = None
    hooks: Mapping[str, Hook] = field(default_factory=dict)
    step: str = "start"

    def log(self, step: str, message: str, pct: int, *, echo: bool = True) -> None:
        """Record a step's outcome in the job's history, the process log (unless echo=False) and progress."""
        self.step = step
        if echo:
            log.info("%s: %s", step, message)
        self.job = log_step(self.store, self.job, step, message, pct)
        if self.progress:
            self.progress(step, pct, message)

    @contextmanager
    def failing_at(self, step: str) -> Iterator[None]:
        """An error raised inside fails the job at `step`: a step under way before it logs its entry."""
        try:
            yield
        except BaseException:
            self.step = step
            raise

    def hook(self, point: str) -> None:
        if point in self.hooks:
            self.hooks[point](self.store, self.job)


def default_seed(plan: PatchPlan) -> str:
    """A plan without a seed gets one derived from its content: re-runs stay deterministic."""
    return hashlib.sha256(canonical_json(plan).encode()).hexdigest()[:16]


def plan_job_id(tenant_id: str, plan: PatchPlan, seed: str) -> str:
    """The job id of a plan: uuid5 of tenant, canonical plan and seed, so the same plan is the same job."""
    return str(uuid.uuid5(JOB_NAMESPACE, f"{tenant_id}|{canonical_json(plan)}|{seed}"))


def job_id_for(store: Store, plan: PatchPlan, job_id: str | None = None) -> str:
    """The given job id, else the plan's own."""
    if job_id:
        return job_id
    tenant = resolve_tenant(store, plan.tenant)
    return plan_job_id(tenant.id, plan, plan.seed or default_seed(plan))


# --- prepare ---------------------------------------------------------------------------------


# The allocation only asks whether a tenant has companies before a month (when it has none,
# contacts bring their own): counting past this would cost a scan of a large tenant's companies.
COMPANIES_COUNTED = 1_000


def _companies_before(store: Store, tenant: Tenant, first_month_start: datetime) -> int:
    """The tenant's live companies created before the plan's first month, counted up to COMPANIES_COUNTED."""
    return int(
        store.scalar(
            "SELECT count(*) AS n FROM (SELECT 1 AS one FROM companies "
            "WHERE tenant_id = ? AND deleted_at IS NULL AND created_at < ? LIMIT ?) AS counted",
            (tenant.id, first_month_start, COMPANIES_COUNTED),
        )
    )


def _runs(months: list[str]) -> list[tuple[str, str]]:
    """Sorted months as (first, last) runs of consecutive months."""
    runs: list[tuple[str, str]] = []
    for month in months:
        if runs and month_index(month) == month_index(runs[-1][1]) + 1:
            runs[-1] = (runs[-1][0], month)
        else:
            runs.append((month, month))
    return runs


def _before_kpis(store: Store, tenant: Tenant, months: list[str], as_of: datetime) -> dict[str, MonthKpis]:
    """KPIs of the plan's months (not of the months between them); months outside tenant
    creation..now (V-2 errors) read as zeros."""
    lowest = month_index(month_of(tenant.created_at, tenant.timezone))
    highest = month_index(month_of(as_of, tenant.timezone))
    readable = [m for m in months if lowest <= month_index(m) <= highest]
    kpis: dict[str, MonthKpis] = {}
    for first, last in _runs(readable):
        kpis |= monthly_kpis(store, tenant, first, last)
    return {m: kpis.get(m) or zero_kpis() for m in months}


def prepare(store: Store, plan: PatchPlan, *, as_of: datetime | None = None, job_id: str | None = None) -> Prepared:
    """Read the plan's months' KPIs, compute deltas, check the rules and preview. Writes nothing."""
    as_of = as_of or now_utc()
    tenant = resolve_tenant(store, plan.tenant)
    months = sorted({m.month for m in plan.months})
    before = _before_kpis(store, tenant, months, as_of)
    typical = typical_deal_size(store, tenant)
    companies = _companies_before(store, tenant, month_start(months[0], tenant.timezone)) if months else 0
    result = validate_plan(plan, tenant, before, now=as_of, typical_deal_size=typical, companies_existing=companies)
    seed = plan.seed or default_seed(plan)
    job_id = job_id or plan_job_id(tenant.id, plan, seed)
    changes = None
    if plan.mode == "reconcile" and result.valid and result.changed:
        changes, refused = reconcile.plan_changes(
            store, tenant, result.changed, before, job_id=job_id, at=as_of, created=result.created
        )
        result = _with_changes(result, changes, refused)
    prepared = Prepared(
        tenant=tenant,
        plan=plan,
        months=months,
        before=before,
        typical_deal_size=typical,
        validation=result,
        seed=seed,
        job_id=job_id,
        as_of=as_of,
        companies_existing=companies,
        changes=changes if result.valid else None,
    )
    if result.valid:
        prepared.targets = dbt_audit.job_targets(plan, result.deltas, before)
    log.info(
        "prepare: %d month(s) of %s read from the KPI model; plan %s",
        len(months),
        tenant.slug,
        "valid" if result.valid else f"invalid ({len(result.errors)} error(s))",
    )
    return prepared


def _with_changes(result: ValidationResult, changes: reconcile.Changes, refused: list[Any]) -> ValidationResult:
    """The validation of a RECONCILE plan: refused where only other rows could change, else its preview also
    counts the rows to edit and soft-delete."""
    if refused:
        return replace(result, errors=[*result.errors, *refused], preview=None)
    counts = changes.counts()
    preview = result.preview or total_preview([])
    return replace(result, preview=replace(preview, to_modify=counts["modified"], to_delete=counts["deleted"]))


# --- the job record --------------------------------------------------------------------------


def same_job(store: Store, job: PatchJob, tenant: Tenant, plan: PatchPlan, seed: str) -> None:
    """Refuse a job id that names another tenant's job or a job of another plan or seed."""
    if job.tenant_id != tenant.id:
        owner = store.scalar("SELECT slug FROM tenants WHERE id = ?", (job.tenant_id,)) or job.tenant_id
        raise DemogenError(f"job {job.id} belongs to tenant {owner}, not {tenant.slug}")
    try:
        ran = canonical_json(PatchPlan.model_validate(job.patch_plan_json))
    except ValueError:  # a revert job, or a plan this version no longer reads
        ran = None
    if ran != canonical_json(plan) or job.seed != seed:
        raise DemogenError(
            f"job {job.id} ran a different plan (seed {job.seed}, months {job.range_start_month}…"
            f"{job.range_end_month}); apply without --job-id or with a new one"
        )


def existing_job(store: Store, plan: PatchPlan, job_id: str) -> PatchJob | None:
    """The job with this id if there is one, after checking it is this plan's job on this tenant."""
    job = get_job(store, job_id)
    if job is not None:
        same_job(store, job, resolve_tenant(store, plan.tenant), plan, plan.seed or default_seed(plan))
    return job


def recover_interrupted(store: Store, tenant_id: str) -> list[PatchJob]:
    """Fail the tenant's running jobs whose lease ran out and discard their drafts (call under the tenant lock)."""
    recovered = []
    for job in interrupted_jobs(store, tenant_id):
        try:
            job = mark_interrupted(store, job)
        except JobStateError:  # its owner finished or failed it just now
            continue
        drafts.discard_drafts(store, job.id)
        log.warning("job %s %s", job.id, job.error_message)
        recovered.append(job)
    return recovered


def queue_job(
    store: Store, prepared: Prepared, *, source: str, actor_id: str | None = None, original_job_id: str | None = None
) -> PatchJob:
    """The plan's job as a pending row, created if it does not exist yet: a job accepted to run later.

    A failed job is queued again; a job pending, running or completed is returned as it is.
    Refuses an invalid plan (PlanInvalid) and a job id that names another plan's job.
    """
    if not prepared.validation.valid:
        raise PlanInvalid(prepared.validation)
    existing = get_job(store, prepared.job_id)
    if existing is not None:
        same_job(store, existing, prepared.tenant, prepared.plan, prepared.seed)
        if existing.status != "failed":
            return existing
        entry = {
            "at": now_utc().isoformat(),
            "level": "info",
            "step": "retry",
            "message": f"queued again after failing: {existing.error_message}",
        }
        cleared = {"error_message": None, "error_stack": None, "completed_at": None, "progress": 0}
        return transition(store, existing, "pending", logs=[*existing.logs, entry], **cleared)
    insert_job(store, _new_job(store, prepared, original_job_id, source, actor_id))  # False: another run just did
    return require_job(store, prepared.job_id)


def start_job(
    store: Store,
    prepared: Prepared,
    *,
    source: str,
    original_job_id: str | None = None,
    progress: Progress | None = None,
    hooks: Mapping[str, Hook] | None = None,
    actor_id: str | None = None,
) -> JobRun:
    """Refuse an invalid plan; else create the job (pending → running), start a queued one, or restart a failed
    one from clean drafts."""
    if not prepared.validation.valid:
        raise PlanInvalid(prepared.validation)
    existing = get_job(store, prepared.job_id)
    retry: dict[str, Any] = {}
    if existing is None:
        job = _new_job(store, prepared, original_job_id, source, actor_id)
        if not insert_job(store, job):
            raise DemogenError(f"job {prepared.job_id} was created by another run at the same time; apply again")
        job = get_job(store, prepared.job_id) or job
    elif existing.status == "pending":  # queued by a server: this run starts it
        same_job(store, existing, prepared.tenant, prepared.plan, prepared.seed)
        drafts.discard_drafts(store, existing.id)  # a job queued again after failing starts from clean drafts
        job = existing
    else:
        same_job(store, existing, prepared.tenant, prepared.plan, prepared.seed)
        if existing.status == "running":
            until = existing.lease_expires_at.isoformat() if existing.lease_expires_at else "unknown"
            raise DemogenError(f"job {existing.id} is still running in another process (its lease runs until {until})")
        drafts.discard_drafts(store, existing.id)
        job = existing
        entry = {
            "at": now_utc().isoformat(),
            "level": "info",
            "step": "retry",
            "message": f"restarting a {existing.status} job from clean drafts",
        }
        retry = {"logs": [*existing.logs, entry], "error_message": None, "error_stack": None, "completed_at": None}
    job = transition(
        store,
        job,
        "running",
        **retry,
        progress=0,
        started_at=now_utc(),
        before_kpis_json=snapshot(prepared.before),
        after_kpis_json=None,
        diff_report_json=None,
        metrics_json=None,
    )
    run = JobRun(store, job, progress, hooks or {})
    # prepare() logged its figures already: this entry is for the job's history and the progress bar
    read = f"before-KPIs of {len(prepared.months)} month(s) read from the dbt KPI model"
    run.log("prepare", read, PREPARED_PCT, echo=False)
    return run


def _new_job(store: Store, p: Prepared, original_job_id: str | None, source: str, actor_id: str | None) -> PatchJob:
    return PatchJob(
        id=p.job_id,
        tenant_id=p.tenant.id,
        created_by_id=actor_id or current_actor(store),
        mode=p.plan.mode,
        plan_type=p.plan.plan_type,
        patch_plan_json=plan_to_dict(p.plan),
        seed=p.seed,
        range_start_month=p.months[0],
        range_end_month=p.months[-1],
        original_job_id=original_job_id or _generation_job(store, p.tenant.id),
        tolerance_config=p.plan.tolerances.model_dump(by_alias=True),
        logs=[
            {"at": now_utc().isoformat(), "level": "info", "step": "create", "message": f"job created from {source}"}
        ],
    )


def _generation_job(store: Store, tenant_id: str) -> str | None:
    """The job that generated the tenant: the parent of its patches."""
    value = store.scalar(
        "SELECT id FROM demo_generation_jobs WHERE tenant_id = ? ORDER BY created_at LIMIT 1", (tenant_id,)
    )
    return None if value is None else str(value)


def fail(run: JobRun, error: BaseException) -> PatchJob:
    """The job failed at its current step: record the error and discard its drafts. Nothing was published.

    If another run moved the job meanwhile, its record stands: a job that run completed is the
    result; any other state is a one-line conflict.
    """
    if run.job.status == "completed":  # the failure came after the publishing commit: the rows are live
        return note_unfinished(run, error)
    step = run.step if run.step not in ("start", "prepare") else "generate"
    log.warning("%s failed: %s", step, error)
    store = run.store
    try:
        if isinstance(error, ConnectionLost):
            store.reconnect()  # explicitly, to record the failure: nothing else of the job runs on this connection
        run.job = fail_job(store, run.job, error, step)
    except JobStateError as lost:
        if lost.actual is None or lost.actual.status != "completed":
            raise DemogenError(f"{lost}; this run stopped at {step}: {error}") from error
        log.warning("job %s was completed by another run while this one was at %s", run.job.id, step)
        drafts.discard_drafts(store, run.job.id)  # this run's leftovers: the completed rows are live already
        run.job = lost.actual
        return run.job
    except Exception as unrecorded:  # the database cannot take the failure either: say so in one line
        first = (str(unrecorded).strip().splitlines() or [type(unrecorded).__name__])[0]
        raise DemogenError(
            f"job {run.job.id} failed at {step}: {error}; recording the failure failed too ({first}), "
            "so the next command on the tenant will mark it interrupted once its lease runs out"
        ) from error
    drafts.discard_drafts(store, run.job.id)
    return run.job


# --- generate, write, audit, publish ---------------------------------------------------------


def generate_and_write(run: JobRun, prepared: Prepared) -> Written:
    """Seeded generation of each month's companies, contacts, deals and activities, each month written into the
    draft tables (tagged with the job id: nobody reads them yet) while the next month is generated.

    A RECONCILE month generates only what it raises (`validation.created`), and never attaches new
    records to the rows the job changes; once every month is written, the new versions of those rows
    go into the same drafts, under their ids. The job's history gets a `generate` entry and a `write`
    entry; an error of the writer fails the job at `write`.
    """
    context = generation_context(run.store, prepared)
    with run.failing_at("write"):
        run.hook("before_write")
    months = len(_months(prepared))

    def month_written(done: int) -> None:  # on the writer's thread, inside the month's transaction
        run.job = update_job(run.store, run.job, progress=_month_pct(done, months))
        run.hook("during_write")

    with drafts.DraftWriter(run.store, written=month_written) as writer:
        leads, generating_s = _generate_into(writer, run, prepared, taking_turns(context, writer.turn))
        generated = time.perf_counter()
        with run.failing_at("write"):
            by_entity = writer.finish()
    last_month_s = time.perf_counter() - generated
    started = time.perf_counter()
    with run.failing_at("write"):
        changed = drafts.write_drafts(run.store, prepared.changes.frames()) if prepared.changes else {}
    writing_s = writer.busy_s + time.perf_counter() - started
    written = Written(by_entity=by_entity, by_record_type=_by_record_type(by_entity, leads), changed=changed)
    run.log(
        "generate",
        f"generated {written.total:,} records in {generating_s:.2f} s: {_counts_text(by_entity)}",
        GENERATED_PCT,
    )
    run.log(
        "write",
        f"wrote {written.total + sum(changed.values()):,} draft rows in {writing_s:.2f} s, each month as soon as it "
        f"was generated; the last month was written {last_month_s:.2f} s after generation ended",
        50,
    )
    run.hook("after_write")
    return written


def _generate_into(
    writer: drafts.DraftWriter, run: JobRun, prepared: Prepared, context: TenantContext
) -> tuple[int, float]:
    """Generate the plan month by month, handing each month to the writer. Returns the leads made and the
    seconds spent generating (not waiting for the writer to take a month)."""
    started = time.perf_counter()
    waited = 0.0
    leads = 0
    months = _months(prepared)
    for made, batch in enumerate(
        generate_by_month(
            months,
            context,
            as_of=prepared.as_of,
            job_id=run.job.id,
            seed=prepared.seed,
            companies_available=prepared.companies_existing,
        ),
        start=1,
    ):
        leads += batch.contacts.filter(batch.contacts["status"] == "lead").height
        handed = time.perf_counter()
        with run.failing_at("write"):
            writer.put(batch)
        waited += time.perf_counter() - handed
        del batch  # the writer's now
        if run.progress:  # the callback hears it on this thread (it may stop the job); the writer's moves the row
            message = f"generated {made} of {len(months)} months, {writer.months} written"
            run.progress("generate", _month_pct(made, len(months)), message)
    return leads, time.perf_counter() - started - waited


def _month_pct(done: int, months: int) -> int:
    """The job's progress once `done` of the plan's `months` are generated (or written)."""
    return PREPARED_PCT + (GENERATED_PCT - PREPARED_PCT) * done // months


def _by_record_type(by_entity: dict[str, int], leads: int) -> dict[str, int]:
    return {
        "leads": leads,
        "contacts": by_entity["contacts"] - leads,
        "companies": by_entity["companies"],
        "deals": by_entity["deals"],
        "activities": by_entity["activities"],
    }


def generation_context(store: Store, prepared: Prepared) -> TenantContext:
    """The tenant's records the plan's new ones may attach to (RECONCILE: not to the rows it changes)."""
    preview = prepared.validation.preview
    allocations = {m.month: m.allocation for m in preview.months} if preview else {}
    left_out = prepared.changes.left_out() if prepared.changes else None
    return load_context(store, prepared.tenant, prepared.typical_deal_size, allocations, left_out=left_out)


def _months(prepared: Prepared) -> list[tuple[str, Deltas]]:
    """The plan's months with what each creates, in calendar order."""
    created = prepared.validation.created
    return [(m, created[m]) for m in prepared.months if m in created]


def check_unmoved(store: Store, prepared: Prepared) -> None:
    """The deltas hold only if the plan's months still read as they did when they were computed."""
    now = monthly_kpis(store, prepared.tenant, prepared.months[0], prepared.months[-1])
    for month in prepared.months:
        for metric in METRICS:
            was, is_now = prepared.before[month][metric.name], now[month][metric.name]
            if is_now != was:
                raise Conflict(
                    f"conflict: {metric.name} of {month} moved from {was} to {is_now} since the deltas were "
                    "computed (another patch landed?); nothing published — apply again"
                )


def audit(run: JobRun, prepared: Prepared) -> dict[str, Any]:
    """dbt tests over published ∪ draft rows: projected targets, integrity, lifecycle, timestamps, provenance."""
    run.hook("during_audit")
    started = time.perf_counter()
    result = dbt_audit.audit_drafts(run.store, run.job.id, prepared.tenant.id, prepared.as_of, prepared.targets)
    summary = dbt_audit.summary(result)
    if not result.success:
        # Keep the failing tests, test by test, with the failed job for its report and artifacts.
        run.job = update_job(run.store, run.job, diff_report_json={"audit": summary})
        check_unmoved(run.store, prepared)  # a KPI that moved under us explains a missed target best
        failed = ", ".join(
            f"{r.name} ({r.failures} rows)" if r.failures is not None else f"{r.name} (error: {r.message})"
            for r in result.failed
        )
        failed = failed or "dbt could not run the audit"
        raise AuditFailed(f"audit failed: {failed}")
    run.log(
        "audit",
        f"dbt audit passed: {len(result.results)} tests over published ∪ draft rows "
        f"in {time.perf_counter() - started:.2f} s",
        70,
    )
    return summary


def publish(run: JobRun, prepared: Prepared, written: Written, audited: dict[str, Any]) -> dict[str, int]:
    """In one transaction: check the tenant lock and the before-KPIs, move the drafts live, complete the job.

    The same commit stores the job's metrics and what its report needs (targets, as-of, audit), so a
    run stopped right after it leaves a completed job whose report a re-apply can fill in.
    """
    run.hook("before_publish")
    store = run.store
    with store.transaction():
        store.check_tenant_lock(prepared.tenant.id)
        check_unmoved(store, prepared)
        changes = prepared.changes
        if changes is not None:
            modified = {e: changes.modified_ids(e) for e in written.changed}
            deleted = {e: changes.deleted_ids(e) for e in written.changed}
            drafts.publish_changes(store, run.job.id, modified, deleted)
        moved = drafts.publish_drafts(store, run.job.id)
        if moved != written.by_entity:
            raise DemogenError(f"publish moved {moved} but {written.by_entity} were written")
        run.hook("during_publish")
        counts = changes.counts() if changes is not None else {}
        touched = sum(sum(by_entity.values()) for by_entity in counts.values())
        changed = f" and changed {touched:,} demo rows" if touched else ""
        entry = {
            "at": now_utc().isoformat(),
            "level": "info",
            "step": "publish",
            "message": f"published {sum(moved.values()):,} new rows{changed} in one transaction",
        }
        completed = transition(
            store,
            replace(run.job),  # a copy: if the commit fails, run.job still says what the database says
            "completed",
            completed_at=now_utc(),
            progress=90,
            current_step="publish",
            logs=[*run.job.logs, entry],
            metrics_json=_metrics(moved, written, prepared.changes, prepared.tenant.timezone),
            diff_report_json=_report_inputs(prepared, audited),
        )
    run.job = completed
    log.info("publish: published %s rows of job %s in one transaction", f"{sum(moved.values()):,}", run.job.id)
    if run.progress:
        run.progress("publish", 90, "published")
    run.hook("after_publish")
    return moved


def _metrics(
    published: dict[str, int], written: Written, changes: reconcile.Changes | None, timezone: str
) -> dict[str, Any]:
    counts = changes.counts() if changes else {"modified": {}, "deleted": {}}
    return {
        "recordsCreated": sum(published.values()),
        "recordsModified": sum(counts["modified"].values()),
        "recordsDeleted": sum(counts["deleted"].values()),
        "byEntity": published,
        "byRecordType": written.by_record_type,
        "modifiedByEntity": counts["modified"],
        "deletedByEntity": counts["deleted"],
        "changesByMonth": changes.by_month(timezone) if changes else {},
    }


def _report_inputs(p: Prepared, audited: dict[str, Any]) -> dict[str, Any]:
    """What the diff report needs beyond the before-KPIs, kept with the job from the publishing commit on."""
    return {
        "targets": p.targets,
        "audit": audited,
        "asOf": p.as_of.isoformat(),
        "warnings": [w.as_dict() for w in p.validation.warnings],
        "preview": p.validation.preview.as_dict() if p.validation.preview else None,
        # RECONCILE: existing rows modified and soft-deleted, per month and entity
        "changes": p.changes.by_month(p.tenant.timezone) if p.changes else None,
    }


# --- verify, report (after publishing: they never fail the job) -------------------------------


def verify(run: JobRun, prepared: Prepared) -> dict[str, Any]:
    """dbt verification tests on the live tables: the KPI verification stored with the job."""
    return _verify(run, prepared.tenant.id, prepared.as_of, prepared.targets)


def _verify(run: JobRun, tenant_id: str, as_of: datetime, targets: list[dict[str, Any]]) -> dict[str, Any]:
    published = (run.job.metrics_json or {}).get("byEntity") or {}
    result = dbt_audit.verify_published(run.store, run.job.id, tenant_id, as_of, targets, published)
    verdict = "passed" if result.success else "FAILED: " + ", ".join(r.name for r in result.failed)
    run.log("verify", f"KPI verification on live tables {verdict}: {len(result.results)} tests", 95)
    return dbt_audit.summary(result)


def report(run: JobRun, prepared: Prepared, verified: dict[str, Any]) -> PatchJob:
    """After-KPIs and the before/after diff report, stored on the job (its metrics came with publish)."""
    return _report(run, prepared.tenant, prepared.before, verified)


def _report(run: JobRun, tenant: Tenant, before: Mapping[str, MonthKpis], verified: dict[str, Any]) -> PatchJob:
    months = sorted(before)
    inputs = run.job.diff_report_json or {}
    as_of, job_id = inputs.get("asOf"), run.job.id

    def after_kpis(store: Store) -> dict[str, MonthKpis]:
        return {m: k for m, k in monthly_kpis(store, tenant, months[0], months[-1]).items() if m in months}

    def realism_figures(store: Store) -> dict[str, Any] | None:
        # verify gave the tables this job grew fresh statistics for this read
        return realism(store, tenant, datetime.fromisoformat(as_of), job_id=job_id) if as_of else None

    after, figures = run.store.side_by_side(after_kpis, realism_figures)
    diff = diff_report(before, after, inputs.get("targets") or [])
    diff.update({key: inputs.get(key) for key in ("targets", "audit", "asOf", "warnings", "preview", "changes")})
    diff["verification"] = verified
    if figures is not None:
        diff["realism"] = figures
    run.job = update_job(run.store, run.job, after_kpis_json=snapshot(after), diff_report_json=diff)
    run.log("report", f"after-KPIs and the diff report stored; all targets met: {diff['allTargetsMet']}", 100)
    return run.job


def reported(job: PatchJob) -> bool:
    """A completed job has its report once its after-KPIs are stored."""
    return job.after_kpis_json is not None


def report_completed(store: Store, job: PatchJob) -> PatchJob:
    """Fill in the report of a job completed by a run that stopped after publishing: verify, then report."""
    run = JobRun(store, job)
    inputs = job.diff_report_json or {}
    before = {m["month"]: m["metrics"] for m in job.before_kpis_json or []}
    if not before or "asOf" not in inputs:
        return job  # completed before the report inputs were kept with the publishing commit
    tenant = resolve_tenant(store, job.tenant_id)
    run.log("report", "the run that published this job stopped before its report: reporting now", 90)
    try:
        verified = _verify(run, tenant.id, datetime.fromisoformat(inputs["asOf"]), inputs.get("targets") or [])
        return _report(run, tenant, before, verified)
    except Exception as exc:  # the rows are live: record the problem, keep the job completed
        return note_unfinished(run, exc)


def note_unfinished(run: JobRun, error: BaseException) -> PatchJob:
    """Verification or reporting could not finish after publishing: the job stays completed, with a note."""
    log.error("verification could not finish: %s", error)
    run.job = log_step(run.store, run.job, "verify", f"verification could not finish: {error}", level="error")
    return run.job


def _counts_text(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{entity} {n:,}" for entity, n in counts.items())

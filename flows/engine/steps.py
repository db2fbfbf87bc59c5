"""The ADDITIVE patch engine: snapshot → validate → generate → stage → audit → publish → verify.

Every step is a plain function over a Store; `apply_plan` runs them in order and
keeps the job's audit trail. The Prefect flow and the CLI both call these.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from flows.engine import audit, drafts
from flows.engine.context import load_context
from flows.engine.jobs import PatchJob, fail_job, get_job, insert_job, log_step, now_utc, update_job
from flows.kpis.reads import MonthKpis, monthly_kpis, typical_deal_size
from flows.kpis.reports import diff_report, snapshot
from flows.plan.model import PatchPlan, canonical_json, plan_to_dict
from flows.plan.rules import ValidationResult, validate_plan
from flows.store.base import Store
from flows.store.migrate import current_actor
from flows.store.tenants import Tenant, resolve_tenant
from generators import EntityFrames, generate_plan
from generators.errors import DemogenError
from generators.metrics import METRICS

JOB_NAMESPACE = uuid.UUID("3f1b8f0a-77a4-4c8e-9f55-8d1c3a6b2e90")

# Observers and fault-injection points, called with (store, job) at each step boundary.
Hook = Callable[[Store, PatchJob], None]
HOOK_POINTS = ("before_staging", "after_staging", "during_audit", "before_publish", "during_publish", "after_publish")
Progress = Callable[[str, int, str], None]
# Runs one named step of apply_plan: (step name, the step) -> its result. The Prefect flow
# (flows/patch.py) makes each step a task; everywhere else a step is a plain call.
StepRunner = Callable[[str, Callable[[], Any]], Any]
_STEP_RUNNER: ContextVar[StepRunner | None] = ContextVar("demogen_step_runner", default=None)


@contextmanager
def steps_run_by(runner: StepRunner) -> Iterator[None]:
    """Within this block, apply_plan runs each of its steps through `runner`."""
    token = _STEP_RUNNER.set(runner)
    try:
        yield
    finally:
        _STEP_RUNNER.reset(token)


def _step(name: str, step: Callable[[], Any]) -> Any:
    runner = _STEP_RUNNER.get()
    return step() if runner is None else runner(name, step)


class PlanInvalid(DemogenError):
    """The plan failed validation: nothing was written."""

    def __init__(self, result: ValidationResult) -> None:
        self.result = result
        first = result.errors[0].message if result.errors else "invalid plan"
        more = f" (and {len(result.errors) - 1} more)" if len(result.errors) > 1 else ""
        super().__init__(f"plan is invalid: {first}{more}")


class AuditFailed(DemogenError):
    """The dbt audit of the staged rows failed: nothing was published."""


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


def default_seed(plan: PatchPlan) -> str:
    """A plan without a seed gets one derived from its content: re-runs stay deterministic."""
    return hashlib.sha256(canonical_json(plan).encode()).hexdigest()[:16]


def plan_job_id(tenant_id: str, plan: PatchPlan, seed: str) -> str:
    """DESIGN decision 5: uuid5(tenant, canonical plan, seed)."""
    return str(uuid.uuid5(JOB_NAMESPACE, f"{tenant_id}|{canonical_json(plan)}|{seed}"))


def _count_before(store: Store, tenant: Tenant, table: str, first_month_start: datetime) -> int:
    return int(
        store.scalar(
            f"SELECT count(*) AS n FROM {table} WHERE tenant_id = ? AND deleted_at IS NULL AND created_at < ?",
            (tenant.id, first_month_start),
        )
    )


def _snapshot(store: Store, tenant: Tenant, months: list[str], as_of: datetime) -> dict[str, MonthKpis]:
    """KPIs of the plan's months; months outside tenant creation..now (V-2 errors) read as zeros."""
    from flows.kpis.reads import zero_kpis
    from generators.calendar import month_index, month_of

    lowest = month_index(month_of(tenant.created_at, tenant.timezone))
    highest = month_index(month_of(as_of, tenant.timezone))
    readable = [m for m in months if lowest <= month_index(m) <= highest]
    kpis = monthly_kpis(store, tenant, readable[0], readable[-1]) if readable else {}
    return {m: kpis.get(m) or zero_kpis() for m in months}


def prepare(store: Store, plan: PatchPlan, *, as_of: datetime | None = None, job_id: str | None = None) -> Prepared:
    """Snapshot the KPIs of the plan's months, compute deltas, validate and preview. Writes nothing."""
    from generators.calendar import month_start

    as_of = as_of or now_utc()
    tenant = resolve_tenant(store, plan.tenant)
    months = sorted({m.month for m in plan.months})
    before = _snapshot(store, tenant, months, as_of)
    typical = typical_deal_size(store, tenant)
    companies = _count_before(store, tenant, "companies", month_start(months[0], tenant.timezone)) if months else 0
    result = validate_plan(plan, tenant, before, now=as_of, typical_deal_size=typical, companies_existing=companies)
    seed = plan.seed or default_seed(plan)
    prepared = Prepared(
        tenant=tenant,
        plan=plan,
        months=months,
        before=before,
        typical_deal_size=typical,
        validation=result,
        seed=seed,
        job_id=job_id or plan_job_id(tenant.id, plan, seed),
        as_of=as_of,
    )
    if result.valid:
        prepared.targets = audit.job_targets(plan, result.deltas, before)
    return prepared


class _Run:
    """One job's execution: its steps, progress reporting and hooks."""

    def __init__(
        self, store: Store, prepared: Prepared, job: PatchJob, progress: Progress | None, hooks: Mapping[str, Hook]
    ) -> None:
        self.store, self.prepared, self.job = store, prepared, job
        self._progress, self._hooks = progress, hooks
        self.step = "start"
        self.record_types: dict[str, int] = {}

    def log(self, step: str, message: str, pct: int) -> None:
        self.step = step
        self.job = log_step(self.store, self.job, step, message, pct)
        if self._progress:
            self._progress(step, pct, message)

    def hook(self, point: str) -> None:
        if point in self._hooks:
            self._hooks[point](self.store, self.job)

    def generate(self) -> EntityFrames:
        p = self.prepared
        ctx = load_context(self.store, p.tenant, p.typical_deal_size)
        months = [(m, p.validation.deltas[m]) for m in p.months]
        started = time.perf_counter()
        frames = generate_plan(months, ctx, as_of=p.as_of, job_id=self.job.id, seed=p.seed)
        counts = frames.counts()
        leads = frames.contacts.filter(frames.contacts["status"] == "lead").height
        self.record_types = {
            "leads": leads,
            "contacts": counts["contacts"] - leads,
            "companies": counts["companies"],
            "deals": counts["deals"],
            "activities": counts["activities"],
        }
        self.log(
            "generate",
            f"generated {sum(counts.values()):,} records in "
            f"{time.perf_counter() - started:.2f} s: {_counts_text(counts)}",
            35,
        )
        return frames

    def stage(self, frames: EntityFrames) -> dict[str, int]:
        self.hook("before_staging")
        counts = drafts.stage(self.store, frames)
        self.log("stage", f"staged {sum(counts.values()):,} rows for audit", 50)
        self.hook("after_staging")
        return counts

    def audit(self) -> dict[str, Any]:
        p = self.prepared
        self.hook("during_audit")
        run = audit.audit_staged(self.store, self.job.id, p.tenant.id, p.as_of, p.targets)
        result = audit.summary(run)
        if not run.success:
            # Keep the failing tests test by test with the failed job, for its report and artifacts.
            self.job = update_job(self.store, self.job, diff_report_json={"audit": result})
            self.check_unmoved()  # a KPI that moved under us explains a missed target best
            failed = ", ".join(f"{r.name} ({r.failures} rows)" for r in run.failed) or "dbt could not run the audit"
            raise AuditFailed(f"audit failed: {failed}")
        self.log("audit", f"dbt audit passed: {len(run.results)} tests over published ∪ staged rows", 70)
        return result

    def check_unmoved(self) -> None:
        """DESIGN decision 6: the deltas hold only if the plan's months still read as they did."""
        p = self.prepared
        now = monthly_kpis(self.store, p.tenant, p.months[0], p.months[-1])
        for month in p.months:
            for metric in METRICS:
                if now[month][metric.name] != p.before[month][metric.name]:
                    raise Conflict(
                        f"conflict: {metric.name} of {month} moved from {p.before[month][metric.name]} to "
                        f"{now[month][metric.name]} since the deltas were computed (another patch landed?); "
                        "nothing published — apply again"
                    )

    def publish(self, staged: dict[str, int]) -> dict[str, int]:
        self.hook("before_publish")
        with self.store.transaction():
            self.check_unmoved()
            moved = drafts.move_staged(self.store, self.job.id)
            if moved != staged:
                raise DemogenError(f"publish moved {moved} but {staged} were staged")
            self.hook("during_publish")
            self.job = update_job(
                self.store,
                self.job,
                status="completed",
                completed_at=now_utc(),
                progress=90,
                current_step="publish",
            )
            self.job = log_step(
                self.store, self.job, "publish", f"published {sum(moved.values()):,} rows in one transaction", 90
            )
        if self._progress:
            self._progress("publish", 90, "published")
        self.hook("after_publish")
        return moved

    def verify(self, moved: dict[str, int], audit_result: dict[str, Any]) -> None:
        p = self.prepared
        after = {
            m: k for m, k in monthly_kpis(self.store, p.tenant, p.months[0], p.months[-1]).items() if m in p.months
        }
        report = diff_report(p.before, after, p.targets)
        run = audit.verify_published(self.store, self.job.id, p.tenant.id, p.as_of, p.targets)
        report["verification"] = audit.summary(run)
        report["audit"] = audit_result
        report["asOf"] = p.as_of.isoformat()
        report["warnings"] = [w.as_dict() for w in p.validation.warnings]
        report["preview"] = p.validation.preview.as_dict() if p.validation.preview else None
        metrics = {
            "recordsCreated": sum(moved.values()),
            "recordsModified": 0,
            "recordsDeleted": 0,
            "byEntity": moved,
            "byRecordType": self.record_types,
        }
        self.job = update_job(
            self.store, self.job, after_kpis_json=snapshot(after), diff_report_json=report, metrics_json=metrics
        )
        verdict = "passed" if run.success else "FAILED: " + ", ".join(r.name for r in run.failed)
        self.log(
            "verify", f"KPI verification on live tables {verdict}; all targets met: {report['allTargetsMet']}", 100
        )


def _counts_text(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{entity} {n:,}" for entity, n in counts.items())


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
) -> PatchJob:
    """Apply a plan with write–audit–publish. Returns the job: completed, or failed with its error.

    Raises PlanInvalid (nothing written) for a plan that fails validation. A
    completed job with the same id is returned unchanged (idempotency).
    """
    tenant = resolve_tenant(store, plan.tenant)
    seed = plan.seed or default_seed(plan)
    job_id = job_id or plan_job_id(tenant.id, plan, seed)
    existing = get_job(store, job_id)
    if existing is not None and existing.status == "completed":
        return _unless_reverted(store, existing)
    with store.tenant_lock(tenant.id, wait_seconds=lock_wait_seconds):
        existing = get_job(store, job_id)  # another run may have finished it while we waited
        if existing is not None and existing.status == "completed":
            return _unless_reverted(store, existing)
        if existing is not None and existing.tenant_id != tenant.id:
            raise DemogenError(f"job {job_id} belongs to tenant {existing.tenant_id}, not {tenant.id}")
        prepared: Prepared = _step("snapshot", lambda: prepare(store, plan, as_of=as_of, job_id=job_id))
        if not prepared.validation.valid:
            raise PlanInvalid(prepared.validation)
        job = _open_job(store, prepared, existing, original_job_id, source)
        run = _Run(store, prepared, job, progress, hooks or {})
        run.log("snapshot", f"before-KPIs of {len(prepared.months)} month(s) read from the dbt KPI model", 10)
        try:
            frames = _step("generate", run.generate)
            staged = _step("stage", lambda: run.stage(frames))
            audit_result = _step("audit", run.audit)
            moved = _step("publish", lambda: run.publish(staged))
        except Exception as exc:
            drafts.drain(store, job_id)
            return fail_job(store, run.job, exc, run.step if run.step != "start" else "generate")
        try:
            _step("verify", lambda: run.verify(moved, audit_result))
        except Exception as exc:  # published already: record the problem, keep the job completed
            run.job = log_step(store, run.job, "verify", f"verification could not finish: {exc}", level="error")
        return run.job


def _unless_reverted(store: Store, job: PatchJob) -> PatchJob:
    from flows.engine.revert import reverted_by

    undone = reverted_by(store, job.id)
    if undone is not None:
        raise DemogenError(
            f"job {job.id} was reverted by job {undone.id}: apply the plan again with a new --job-id or seed"
        )
    return job


def _open_job(
    store: Store, p: Prepared, existing: PatchJob | None, original_job_id: str | None, source: str
) -> PatchJob:
    """Create the job row (pending → running), or restart a failed or interrupted one from clean staging."""
    actor = current_actor(store)
    original = original_job_id or _generation_job(store, p.tenant.id)
    if existing is None:
        job = PatchJob(
            id=p.job_id,
            tenant_id=p.tenant.id,
            created_by_id=actor,
            mode=p.plan.mode,
            plan_type=p.plan.plan_type,
            patch_plan_json=plan_to_dict(p.plan),
            seed=p.seed,
            range_start_month=p.months[0],
            range_end_month=p.months[-1],
            original_job_id=original,
            tolerance_config=p.plan.tolerances.model_dump(by_alias=True),
            logs=[
                {
                    "at": now_utc().isoformat(),
                    "level": "info",
                    "step": "create",
                    "message": f"job created from {source}",
                }
            ],
        )
        if not insert_job(store, job):
            raise DemogenError(f"job {p.job_id} was created by another run at the same time; apply again")
    else:
        drafts.drain(store, existing.id)
        job = log_step(store, existing, "retry", f"restarting a {existing.status} job from clean staging")
        job = update_job(store, job, error_message=None, error_stack=None, completed_at=None, progress=0)
    started = now_utc()
    return update_job(
        store,
        get_job(store, p.job_id) or job,
        status="running",
        started_at=started,
        before_kpis_json=snapshot(p.before),
        after_kpis_json=None,
        diff_report_json=None,
        metrics_json=None,
    )


def _generation_job(store: Store, tenant_id: str) -> str | None:
    """FR-4: the tenant's generation job, parent of its patches."""
    value = store.scalar(
        "SELECT id FROM demo_generation_jobs WHERE tenant_id = ? ORDER BY created_at LIMIT 1", (tenant_id,)
    )
    return None if value is None else str(value)

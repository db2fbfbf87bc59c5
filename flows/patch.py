"""`apply_patch`: the engine's write–audit–publish steps as Prefect tasks, with artifacts per tenant."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.logging.handlers import PrefectConsoleHandler
from prefect.runtime import flow_run

from flows import artifacts
from flows.engine.jobs import PatchJob, require_job
from flows.engine.steps import PlanInvalid, Prepared, Progress, apply_plan, steps_run_by
from flows.plan.model import PatchPlan
from flows.plan.sources import resolve_plan
from flows.store import open_store
from flows.store.tenants import Tenant, resolve_tenant
from generators import EntityFrames
from generators.errors import DemogenError

Step = Callable[[], Any]
_OBSERVER: ContextVar[Progress | None] = ContextVar("demogen_progress_observer", default=None)


class PatchFailed(DemogenError):
    """The job ran and failed (nothing published); the flow run fails with it."""

    def __init__(self, job: PatchJob) -> None:
        self.job = job
        super().__init__(f"job {job.id} failed: {job.error_message}")


@contextmanager
def observe_progress(callback: Progress | None) -> Iterator[None]:
    """Also send the engine's progress (step, pct, message) to `callback` (the CLI's bar) in this block."""
    token = _OBSERVER.set(callback)
    try:
        yield
    finally:
        _OBSERVER.reset(token)


@contextmanager
def quiet_console() -> Iterator[None]:
    """No Prefect log lines on the terminal in this block (they still reach the Prefect API)."""
    known = logging.Logger.manager.loggerDict.values()
    loggers = [logging.getLogger(), *(lg for lg in known if isinstance(lg, logging.Logger))]
    handlers = {h for lg in loggers for h in lg.handlers if isinstance(h, PrefectConsoleHandler)}
    levels = {h: h.level for h in handlers}
    for handler in handlers:
        handler.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for handler, level in levels.items():
            handler.setLevel(level)


# --- tasks: one per engine step, each a thin wrapper over the engine's plain function -------


@task(cache_policy=NO_CACHE)
def read_plan(
    plan_path: str | None,
    plan: PatchPlan | None,
    csv_text: str | None,
    tenant: str | None,
    mode: str | None,
    plan_type: str | None,
) -> tuple[PatchPlan, str]:
    """Read the plan from the one source given: a project file, the inline form, or pasted CSV."""
    return resolve_plan(plan_path, plan, csv_text, tenant=tenant, mode=mode, plan_type=plan_type)


@task(cache_policy=NO_CACHE)
def snapshot_kpis(step: Step) -> Prepared:
    """Before-KPIs from the dbt KPI model, deltas, rules V-1..V-5 and the preview."""
    return step()


@task(cache_policy=NO_CACHE)
def generate_records(step: Step) -> EntityFrames:
    """Seeded generation of the months' companies, contacts, deals and activities."""
    return step()


@task(cache_policy=NO_CACHE)
def stage_batches(step: Step) -> dict[str, int]:
    """Bulk-load the generated rows into staging tables, tagged with the job id."""
    return step()


@task(cache_policy=NO_CACHE)
def audit_staged(step: Step) -> dict[str, Any]:
    """dbt tests over published ∪ staged rows: targets, integrity, lifecycle, provenance."""
    return step()


@task(cache_policy=NO_CACHE)
def publish(step: Step) -> dict[str, int]:
    """Move the staged rows into the CRM tables in one transaction, under the tenant lock."""
    return step()


@task(cache_policy=NO_CACHE)
def verify_published(step: Step) -> None:
    """dbt tests on the live tables and the after-KPIs: the verification report stored with the job."""
    return step()


_TASKS = {
    "snapshot": snapshot_kpis,
    "generate": generate_records,
    "stage": stage_batches,
    "audit": audit_staged,
    "publish": publish,
    "verify": verify_published,
}


def _as_task(name: str, step: Step) -> Any:
    # Called in the flow's own thread: the store connection and the tenant lock stay with it.
    return _TASKS[name](step)


@task(cache_policy=NO_CACHE)
def publish_reports(job: PatchJob, tenant: Tenant, source: str, flow_seconds: float) -> dict[str, str]:
    """KPI comparison table, markdown summary and dbt test results as artifacts keyed by tenant."""
    return artifacts.publish_job(job, tenant, source, flow_seconds)


def run_plan(
    plan: PatchPlan,
    *,
    source: str,
    database_url: str | None = None,
    job_id: str | None = None,
    as_of: datetime | None = None,
    lock_wait_seconds: float = 120.0,
) -> PatchJob:
    """Apply a plan inside a flow run: engine steps as tasks, progress and reports as artifacts."""
    started = time.perf_counter()
    observer = _OBSERVER.get()
    with open_store(database_url) as store:
        tenant = resolve_tenant(store, plan.tenant)
        progress = artifacts.ProgressArtifact(tenant)

        def report(step: str, pct: int, message: str) -> None:
            progress(step, pct, message)
            if observer is not None:
                observer(step, pct, message)

        with steps_run_by(_as_task):
            job = apply_plan(
                store,
                plan,
                job_id=job_id,
                as_of=as_of,
                source=source,
                progress=report,
                lock_wait_seconds=lock_wait_seconds,
            )
        if job.status == "completed":
            progress("done", 100, f"job {job.id} completed")
        else:
            progress(job.current_step or "failed", job.progress, f"failed: {job.error_message}")
    publish_reports(job, tenant, source, round(time.perf_counter() - started, 1))
    if job.status != "completed":
        raise PatchFailed(job)
    return job


@flow(name="apply-patch")
def apply_patch(
    plan_path: str | None = None,
    plan: PatchPlan | None = None,
    csv_text: str | None = None,
    tenant: str | None = None,
    mode: Literal["additive", "reconcile"] | None = None,
    plan_type: Literal["deltas", "targets"] | None = None,
    database_url: str | None = None,
    job_id: str | None = None,
    source: str | None = None,
    as_of: datetime | None = None,
    lock_wait_seconds: float = 120.0,
) -> dict[str, Any]:
    """Apply a patch plan to a demo tenant with write–audit–publish (US-2, US-3, US-6).

    Give exactly one of plan_path, plan or csv_text.

    Args:
        plan_path: A plan file (YAML, JSON or CSV) relative to the project root, e.g. plans/examples/prd-appendix.yaml.
        plan: The plan itself: tenant, mode, plan type and the monthly grid of metrics.
        csv_text: A pasted CSV plan (PRD appendix A): a month column and one column per metric.
        tenant: Tenant id or slug of a CSV plan.
        mode: Mode of a CSV plan (default additive).
        plan_type: Plan type of a CSV plan (default deltas).
        database_url: CRM database URL (default: DEMOGEN_DATABASE_URL, else duckdb:///demogen.duckdb).
        job_id: Job id (default: derived from tenant, plan and seed, so a re-run is a no-op).
        source: What the job's log names as the plan's origin (default: the parameter used).
        as_of: The job's clock (default: now): later months are refused, the current one is filled up to it.
        lock_wait_seconds: How long to wait for another patch of the same tenant to finish.
    """
    chosen, origin = read_plan(plan_path, plan, csv_text, tenant, mode, plan_type)
    run_name = flow_run.get_name()
    label = source or (f"prefect flow run {run_name}: {origin}" if run_name else f"prefect: {origin}")
    try:
        job = run_plan(
            chosen,
            source=label,
            database_url=database_url,
            job_id=job_id,
            as_of=as_of if as_of is None or as_of.tzinfo else as_of.replace(tzinfo=UTC),
            lock_wait_seconds=lock_wait_seconds,
        )
    except PlanInvalid as exc:
        _publish_invalid(exc, chosen, label, database_url)
        raise
    return job.to_response()


def _publish_invalid(exc: PlanInvalid, plan: PatchPlan, source: str, database_url: str | None) -> None:
    with open_store(database_url) as store:
        tenant = resolve_tenant(store, plan.tenant)
    artifacts.publish_preview(exc.result.as_dict(), tenant, source, prefix="patch-summary")


@contextmanager
def _database_in_env(url: str | None) -> Iterator[str | None]:
    """A URL holding a password reaches the flow by environment: flow parameters are shown in the UI."""
    if url is None or "@" not in url or ":" not in url.split("://", 1)[-1].split("@", 1)[0]:
        yield url
        return
    saved = os.environ.get("DEMOGEN_DATABASE_URL")
    os.environ["DEMOGEN_DATABASE_URL"] = url
    try:
        yield None
    finally:
        if saved is None:
            os.environ.pop("DEMOGEN_DATABASE_URL", None)
        else:
            os.environ["DEMOGEN_DATABASE_URL"] = saved


def apply_via_flow(
    plan: PatchPlan,
    *,
    database_url: str | None,
    job_id: str | None,
    source: str,
    progress: Progress | None = None,
) -> PatchJob:
    """`demogen apply` through the flow: the run and its artifacts land on the configured Prefect server.

    Returns the job, completed or failed, as apply_plan does; PlanInvalid and domain errors propagate.
    """
    with quiet_console(), observe_progress(progress), _database_in_env(database_url) as url:
        try:
            response = apply_patch(plan=plan, database_url=url, job_id=job_id, source=source)
        except PatchFailed as exc:
            return exc.job
        with open_store(url) as store:
            return require_job(store, response["id"])

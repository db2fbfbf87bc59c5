"""`apply_patch`: the engine's write–audit–publish steps as Prefect tasks, with artifacts per tenant."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

from prefect import flow
from prefect.logging.handlers import PrefectConsoleHandler
from prefect.runtime import flow_run

from flows import artifacts, tasks
from flows.engine import steps
from flows.engine.run import tenant_turn
from flows.engine.steps import PlanInvalid, Progress
from flows.plan.model import PatchPlan
from flows.store import open_store
from flows.store.base import Store
from flows.store.jobs import PatchJob, require_job
from flows.store.tenants import resolve_tenant
from flows.store.urls import has_password, mask_text
from generators.errors import DemogenError

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


def _apply_as_tasks(
    store: Store, plan: PatchPlan, job_id: str, as_of: datetime | None, source: str, progress: Progress
) -> PatchJob:
    """The engine's composition (flows.engine.run.apply_plan) with each step a task of the flow run."""
    prepared = tasks.prepare(store, plan, as_of, job_id)
    run = steps.start_job(store, prepared, source=source, progress=progress)
    try:
        written = tasks.generate_and_write(run, prepared)
        audited = tasks.audit(run, prepared)
        tasks.publish(run, prepared, written, audited)
    except Exception as exc:
        return steps.fail(run, exc)
    try:
        verified = tasks.verify(run, prepared)
        return tasks.report(run, prepared, verified)
    except Exception as exc:  # published already: record the problem, keep the job completed
        return steps.note_unfinished(run, exc)


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
    with tasks.logs_to_prefect(), open_store(database_url) as store:
        tenant = resolve_tenant(store, plan.tenant)
        progress = artifacts.ProgressArtifact(tenant)

        def report(step: str, pct: int, message: str) -> None:
            progress(step, pct, message)
            if observer is not None:
                observer(step, pct, message)

        job_id = steps.job_id_for(store, plan, job_id)
        with tenant_turn(store, plan, job_id, lock_wait_seconds) as done:
            job = done or _apply_as_tasks(store, plan, job_id, as_of, source, report)
        if job.status == "completed":
            progress("done", 100, f"job {job.id} completed")
        else:
            progress(job.current_step or "failed", job.progress, f"failed: {job.error_message}")
    tasks.create_artifacts(job, tenant, source, round(time.perf_counter() - started, 1), done is not None)
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
    """Apply a patch plan to a demo tenant with write–audit–publish.

    Give exactly one of plan_path, plan or csv_text.

    Args:
        plan_path: A plan file (YAML, JSON or CSV) relative to the project root,
            e.g. plans/examples/first-quarter-2025.yaml.
        plan: The plan itself: tenant, mode, plan type and the monthly grid of metrics.
        csv_text: A pasted CSV plan: a month column and one column per metric, one row per month.
        tenant: Tenant id or slug of a CSV plan.
        mode: Mode of a CSV plan (default additive).
        plan_type: Plan type of a CSV plan (default deltas).
        database_url: CRM database URL (default: DEMOGEN_DATABASE_URL, else duckdb:///demogen.duckdb).
        job_id: Job id (default: derived from tenant, plan and seed, so a re-run is a no-op).
        source: What the job's log names as the plan's origin (default: the parameter used).
        as_of: The job's clock (default: now): later months are refused, the current one is filled up to it.
        lock_wait_seconds: How long to wait for another patch of the same tenant to finish.
    """
    chosen, origin = tasks.read_plan(plan_path, plan, csv_text, tenant, mode, plan_type)
    run_name = flow_run.get_name()
    label = mask_text(source or (f"prefect flow run {run_name}: {origin}" if run_name else f"prefect: {origin}"))
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
    artifacts.create_preview_artifact(exc.result.as_dict(), tenant, source, prefix="patch-summary")


@contextmanager
def _database_in_env(url: str | None) -> Iterator[str | None]:
    """A URL holding a password reaches the flow by environment: flow parameters are shown in the UI."""
    if url is None or not has_password(url):
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

"""The engine's steps as Prefect tasks: each a thin call of the plain step function, passing real values."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from flows import artifacts
from flows.engine import steps
from flows.engine.steps import JobRun, Prepared, Written
from flows.plan.model import PatchPlan
from flows.plan.sources import resolve_plan
from flows.store.base import Store
from flows.store.jobs import PatchJob
from flows.store.paths import PROJECT_LOGGERS
from flows.store.tenants import Tenant


@contextmanager
def logs_to_prefect() -> Iterator[None]:
    """Within a flow run, the project's loggers also reach Prefect (its task runs show them).

    Prefect's own `extra_loggers` setting would attach them for the whole process, and
    outside a run Prefect's API handler warns about every record; this lasts one run.
    """
    handlers = logging.getLogger("prefect.extra").handlers
    loggers = [logging.getLogger(name) for name in PROJECT_LOGGERS]
    saved = [(logger, logger.level, list(logger.handlers)) for logger in loggers]
    for logger in loggers:
        logger.setLevel(min(logger.getEffectiveLevel(), logging.INFO))
        logger.handlers.extend(h for h in handlers if h not in logger.handlers)
    try:
        yield
    finally:
        for logger, level, previous in saved:
            logger.setLevel(level)
            logger.handlers[:] = previous


# Tasks run in the flow's own thread (called, not submitted): the store's connection and the
# tenant lock stay with it. Nothing is cached: every step reads or writes the database.


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
def prepare(store: Store, plan: PatchPlan, as_of: datetime | None, job_id: str) -> Prepared:
    """Before-KPIs from the dbt KPI model, deltas, rules V-1..V-7 and the preview. Writes nothing."""
    return steps.prepare(store, plan, as_of=as_of, job_id=job_id)


@task(cache_policy=NO_CACHE)
def generate_and_write(run: JobRun, prepared: Prepared) -> Written:
    """Seeded generation of the months' records, each month bulk-loaded into the draft tables while the next is
    generated (then RECONCILE's new versions of existing rows)."""
    return steps.generate_and_write(run, prepared)


@task(cache_policy=NO_CACHE)
def audit(run: JobRun, prepared: Prepared) -> dict[str, Any]:
    """dbt tests over published ∪ draft rows: targets, integrity, lifecycle, provenance."""
    return steps.audit(run, prepared)


@task(cache_policy=NO_CACHE)
def publish(run: JobRun, prepared: Prepared, written: Written, audited: dict[str, Any]) -> dict[str, int]:
    """Move the drafts into the CRM tables and mark the job completed, with its metrics, in one transaction."""
    return steps.publish(run, prepared, written, audited)


@task(cache_policy=NO_CACHE)
def verify(run: JobRun, prepared: Prepared) -> dict[str, Any]:
    """dbt verification tests on the live tables."""
    return steps.verify(run, prepared)


@task(cache_policy=NO_CACHE)
def report(run: JobRun, prepared: Prepared, verified: dict[str, Any]) -> PatchJob:
    """After-KPIs and the diff report, stored on the job."""
    return steps.report(run, prepared, verified)


@task(cache_policy=NO_CACHE)
def create_artifacts(
    job: PatchJob, tenant: Tenant, source: str, flow_seconds: float, already_applied: bool = False
) -> dict[str, str]:
    """KPI comparison table, markdown summary and dbt test results as artifacts keyed by tenant.

    `already_applied`: the job had completed before this run, which created nothing: only a summary saying so.
    """
    return artifacts.create_job_artifacts(job, tenant, source, flow_seconds, already_applied=already_applied)

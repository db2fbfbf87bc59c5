"""`demogen apply | jobs | job show | job export | revert`: the patch engine at the command line."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import click
from rich.table import Table

from flows.cli import output
from flows.cli.group import cli
from flows.cli.options import UUID, database_option, job_ref_argument, json_option, plan_source_options
from flows.cli.output import (
    Column,
    applied_json,
    fits,
    fitted_tables,
    issues_table,
    print_json,
    progress_bar,
    show_already_applied,
    show_job,
)
from flows.engine.job_lookup import MIN_PREFIX, job_names, jobs_with_tenant_slugs, require_job_ref, resolve_job_id
from flows.engine.revert import revert as revert_job
from flows.engine.run import apply_plan, completed_job
from flows.engine.steps import PlanInvalid, job_id_for
from flows.kpis.reports import EXPORTERS
from flows.plan.model import PatchPlan
from flows.plan.readers import read_plan_file
from flows.plan.rules import ValidationResult
from flows.store import open_store
from flows.store.jobs import PatchJob, now_utc
from flows.store.tenants import resolve_tenant
from flows.store.urls import mask_text
from generators.errors import DemogenError


@cli.command()
@plan_source_options()
@click.option("--job-id", type=UUID, help="Job id (default: derived from tenant, plan and seed).")
@database_option
@json_option
def apply(
    plan_file: str,
    tenant: str | None,
    mode: str | None,
    plan_type: str | None,
    job_id: str | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Apply PLAN (YAML, JSON or CSV) with write–audit–publish; print the KPI comparison.

    Exit 0 when the job completed, 1 when the plan is invalid or the job failed.
    """
    plan = read_plan_file(plan_file, tenant=tenant, mode=mode, plan_type=plan_type)
    try:
        result, was_applied = _apply(plan, database, job_id, mask_text(f"cli: {plan_file}"), as_json)
    except PlanInvalid as exc:
        _print_invalid(exc.result, as_json)
        raise
    if as_json:
        print_json(applied_json(result, was_applied=was_applied))
    elif was_applied:
        show_already_applied(result)
    else:
        show_job(result)
    if result.status != "completed":
        raise DemogenError(f"job {result.id} failed: {result.error_message}")


def _apply(
    plan: PatchPlan, database: str | None, job_id: str | None, source: str, as_json: bool
) -> tuple[PatchJob, bool]:
    """The job, and whether it had completed before (then nothing ran and nothing was created).

    Checked before running: the plan's job id already names a completed job. A run that waited
    for the tenant's lock can also find it completed by another run; its publish time says so.
    """
    started = now_utc()
    with open_store(database) as store:
        done = completed_job(store, plan, job_id_for(store, plan, job_id))
        if done is not None:
            return done, True
        if not _through_prefect():
            with progress_bar(not as_json) as report:
                job = apply_plan(store, plan, job_id=job_id, source=source, progress=report)
            return job, _completed_before(job, started)
    job = _apply_via_prefect(plan, database, job_id, source, as_json)
    return job, _completed_before(job, started)


def _through_prefect() -> bool:
    return os.environ.get("DEMOGEN_PREFECT", "").lower() in {"1", "true", "yes"}


def _completed_before(job: PatchJob, started: datetime) -> bool:
    return job.status == "completed" and job.completed_at is not None and job.completed_at < started


def _print_invalid(result: ValidationResult, as_json: bool) -> None:
    if as_json:
        print_json(result.as_dict())
    else:
        output.console.print(issues_table(result.errors, "Errors: nothing was applied"))


def _apply_via_prefect(
    plan: PatchPlan, database: str | None, job_id: str | None, source: str, as_json: bool
) -> PatchJob:
    """Opt-in: through the apply_patch flow, so the job shows in the Prefect UI.

    Not the default: importing Prefect and the run's bookkeeping add ~4.5 s to the command
    (a temporary server without PREFECT_API_URL ~20 s more); benchmarks/RESULTS.md.
    """
    from flows.patch import apply_via_flow  # imports Prefect: slow, so only when asked for

    with progress_bar(not as_json) as report:
        return apply_via_flow(plan, database_url=database, job_id=job_id, source=source, progress=report)


@cli.command()
@click.option("--tenant", "tenant_ref", metavar="ID_OR_SLUG", help="Only this tenant's jobs.")
@database_option
@json_option
def jobs(tenant_ref: str | None, database: str | None, as_json: bool) -> None:
    """List patch jobs, newest first."""
    with open_store(database) as store:
        tenant_id = resolve_tenant(store, tenant_ref).id if tenant_ref else None
        found = jobs_with_tenant_slugs(store, tenant_id)
    if as_json:
        print_json({"jobs": [j.to_response() for j, _ in found]})
        return
    if not found:
        output.console.print("No jobs yet.")
        return
    output.console.print(*_jobs_tables(found))


_JOB_COLUMNS = (
    Column("id", whole=True),
    Column("tenant"),
    Column("status"),
    Column("mode", drop=3),
    Column("months", whole=True),
    Column("records", justify="right", whole=True),
    Column("created", drop=2),
    Column("seconds", justify="right", whole=True, drop=1),
)


def _jobs_tables(found: list[tuple[PatchJob, str]]) -> list[Table]:
    """Whole ids when every column fits, else their first 8 characters (job show, export and revert take those)."""
    rows = [_job_row(job, slug) for job, slug in found]
    if not fits(_JOB_COLUMNS, rows, output.console):
        rows = [[row[0][:MIN_PREFIX], *row[1:]] for row in rows]
    return fitted_tables("Patch jobs", _JOB_COLUMNS, rows, output.console)


def _job_row(j: PatchJob, slug: str) -> list[str]:
    records = (j.metrics_json or {}).get("recordsCreated" if j.mode != "revert" else "recordsDeleted", 0)
    colour = {"completed": "green", "failed": "red"}.get(j.status, "yellow")
    return [
        j.id,
        slug,
        f"[{colour}]{j.status}[/]",
        f"{j.mode}/{j.plan_type}",
        f"{j.range_start_month}…{j.range_end_month}",
        f"{'-' if j.mode == 'revert' else ''}{records:,}",
        j.created_at.strftime("%Y-%m-%d %H:%M") if j.created_at else "",
        "" if j.duration_seconds is None else str(j.duration_seconds),
    ]


@cli.group()
def job() -> None:
    """Inspect and export one patch job (JOB: its id, or its first 8 or more characters)."""


@job.command("show")
@job_ref_argument
@database_option
@json_option
def job_show(job_ref: str, database: str | None, as_json: bool) -> None:
    """Show JOB: status, KPI comparison, records created and its log."""
    with open_store(database) as store:
        found = require_job_ref(store, job_ref)
        names = job_names(store, found)
    if as_json:
        print_json(found.to_response())
    else:
        show_job(found, names=names, logs=True)


@job.command("export")
@job_ref_argument
@click.option("--format", "fmt", type=click.Choice(list(EXPORTERS)), required=True)
@click.option("-o", "--output", "output_path", type=click.Path(dir_okay=False, writable=True), help="File to write.")
@database_option
def job_export(job_ref: str, fmt: str, output_path: str | None, database: str | None) -> None:
    """Export JOB's before/after report as Markdown, CSV, JSON or HTML with a chart (default: to stdout)."""
    with open_store(database) as store:
        found = require_job_ref(store, job_ref)
        names = job_names(store, found)
    text = EXPORTERS[fmt](found, names)
    if output_path:
        Path(output_path).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output_path}", err=True)
    else:
        click.echo(text, nl=False)


@cli.command()
@job_ref_argument
@click.option("--purge", is_flag=True, help="Delete the job's created rows outright instead of soft-deleting them.")
@database_option
@json_option
def revert(job_ref: str, purge: bool, database: str | None, as_json: bool) -> None:
    """Undo a completed job (recorded as a job): soft-delete the rows it created, restore the rows it
    modified or soft-deleted; refused while a later job built on them."""
    with open_store(database) as store:
        done = revert_job(store, resolve_job_id(store, job_ref), purge=purge)
    if as_json:
        print_json(done.to_response())
    else:
        show_job(done)

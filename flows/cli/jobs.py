"""`demogen apply | jobs | job show | job export | revert | tenant create | demo`: the engine at the command line."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

import flows.cli.main as cli_module
from flows.cli.main import MONTH, database_option, json_option, print_json
from flows.engine.jobs import PatchJob
from flows.store.paths import PLANS_DIR
from generators.errors import DemogenError

_MODES = click.Choice(["additive", "reconcile"], case_sensitive=False)
_PLAN_TYPES = click.Choice(["deltas", "targets"], case_sensitive=False)
DEMO_NAME = "Acme Corp Demo"
DEMO_SLUG = "acme-corp-demo"
DEMO_PLAN = PLANS_DIR / "examples" / "prd-appendix.yaml"


def register(cli: click.Group) -> None:
    for command in (apply, jobs, job, revert, tenant, demo):
        cli.add_command(command)


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    """A progress bar on stderr while a job runs (silent for --json)."""
    if not enabled:
        yield None
        return
    from rich.console import Console

    bar = Progress(
        TextColumn("[bold]{task.fields[step]:<9}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=False,
    )
    with bar:
        task = bar.add_task("starting", total=100, step="start")

        def report(step: str, pct: int, message: str) -> None:
            bar.update(task, completed=pct, step=step, description=message[:70])

        yield report


def show_job(job: PatchJob, *, logs: bool = False) -> None:
    """The PRD §7.2 result view: status, duration, KPI comparison, records created."""
    from flows.kpis.reports import comparison_rows, records_created

    console = cli_module.console
    mark = {"completed": "[green]✓ Completed[/]", "failed": "[red]✗ Failed[/]"}.get(job.status, job.status)
    console.print(f"[bold]Patch job[/] {job.id}")
    console.print(
        f"Status: {mark}   Mode: {job.mode} / {job.plan_type}   Months: {job.range_start_month} … {job.range_end_month}"
    )
    if job.duration_seconds is not None:
        console.print(f"Duration: {job.duration_seconds} s")
    if job.error_message:
        console.print(f"[red]Error:[/] {job.error_message}")
    rows = comparison_rows(job)
    if rows:
        table = Table(title="KPI comparison")
        for column, justify in (
            ("Month", "left"),
            ("Metric", "left"),
            ("Before", "right"),
            ("After", "right"),
            ("Delta", "right"),
            ("%", "right"),
            ("Target", "right"),
            ("Pass", "center"),
        ):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for n, r in enumerate(rows):
            colour = {"✓": "green", "✗": "red"}.get(r["pass"], "dim")
            last_of_month = n + 1 == len(rows) or rows[n + 1]["month"] != r["month"]
            table.add_row(
                r["month"] if n == 0 or rows[n - 1]["month"] != r["month"] else "",
                r["metric"],
                r["before"],
                r["after"],
                r["delta"],
                r["pct"],
                r["target"],
                f"[{colour}]{r['pass']}[/]",
                end_section=last_of_month,
            )
        console.print(table)
    created = records_created(job)
    if created:
        console.print(
            "Records "
            + ("deleted" if job.mode == "revert" else "created")
            + ": "
            + "  │  ".join(f"{e.title()}: {n:,}" for e, n in created.items())
        )
    verification = (job.diff_report_json or {}).get("verification")
    if verification:
        tests = verification["tests"]
        ok = sum(t["status"] == "pass" for t in tests)
        colour = "green" if verification["success"] else "red"
        console.print(f"KPI verification (dbt tests on live tables): [{colour}]{ok}/{len(tests)} passed[/]")
    if logs:
        table = Table(title="Log")
        for column in ("at", "step", "message"):
            table.add_column(column)
        for entry in job.logs:
            style = "red" if entry.get("level") == "error" else None
            table.add_row(entry["at"][11:19], entry["step"], entry["message"], style=style)
        console.print(table)


def _invalid(exc: Any, as_json: bool) -> None:
    from flows.cli.plans import _issues_table

    if as_json:
        print_json(exc.result.as_dict())
    else:
        cli_module.console.print(_issues_table(exc.result.errors, "Errors: nothing was applied"))


@click.command()
@click.argument("plan_file", metavar="PLAN")
@click.option("--job-id", metavar="UUID", help="Job id (default: derived from tenant, plan and seed).")
@click.option("--tenant", metavar="ID_OR_SLUG", help="Tenant of a CSV plan.")
@click.option("--mode", type=_MODES, help="Mode of a CSV plan [default: additive].")
@click.option("--plan-type", type=_PLAN_TYPES, help="Plan type of a CSV plan [default: deltas].")
@database_option
@json_option
def apply(
    plan_file: str,
    job_id: str | None,
    tenant: str | None,
    mode: str | None,
    plan_type: str | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Apply PLAN (YAML, JSON or CSV) with write–audit–publish; print the KPI comparison.

    Exit 0 when the job completed, 1 when the plan is invalid or the job failed.
    """
    from flows.engine.run import apply_plan
    from flows.engine.steps import PlanInvalid
    from flows.plan.readers import read_plan_file
    from flows.store import open_store

    _check_uuid(job_id)
    plan = read_plan_file(plan_file, tenant=tenant, mode=mode, plan_type=plan_type)
    source = f"cli: {plan_file}"
    try:
        if os.environ.get("DEMOGEN_PREFECT", "").lower() in {"1", "true", "yes"}:
            # Opt-in: through the apply_patch flow, so the job shows in the Prefect UI. Not the
            # default: importing Prefect and the run's bookkeeping add ~4.5 s to the command
            # (a temporary server without PREFECT_API_URL ~20 s more); benchmarks/RESULTS.md.
            from flows.patch import apply_via_flow

            with _progress(not as_json) as report:
                result = apply_via_flow(plan, database_url=database, job_id=job_id, source=source, progress=report)
        else:
            with open_store(database) as store, _progress(not as_json) as report:
                result = apply_plan(store, plan, job_id=job_id, source=source, progress=report)
    except PlanInvalid as exc:
        _invalid(exc, as_json)
        raise
    if as_json:
        print_json(result.to_response())
    else:
        show_job(result)
    if result.status != "completed":
        raise DemogenError(f"job {result.id} failed: {result.error_message}")


def _check_uuid(value: str | None) -> None:
    import uuid

    if value is None:
        return
    try:
        uuid.UUID(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a UUID", param_hint="'--job-id'") from None


@click.command()
@click.option("--tenant", "tenant_ref", metavar="ID_OR_SLUG", help="Only this tenant's jobs.")
@database_option
@json_option
def jobs(tenant_ref: str | None, database: str | None, as_json: bool) -> None:
    """List patch jobs, newest first."""
    from flows.engine.jobs import list_jobs
    from flows.store import open_store
    from flows.store.tenants import resolve_tenant

    with open_store(database) as store:
        tenant_id = resolve_tenant(store, tenant_ref).id if tenant_ref else None
        found = list_jobs(store, tenant_id)
        slugs = {r["id"]: r["slug"] for r in store.query("SELECT id, slug FROM tenants")}
    if as_json:
        print_json({"jobs": [j.to_response() for j in found]})
        return
    if not found:
        cli_module.console.print("No jobs yet.")
        return
    table = Table(title="Patch jobs")
    table.add_column("id", no_wrap=True)
    for column in ("tenant", "status", "mode", "months", "records", "created", "seconds"):
        table.add_column(column)
    for j in found:
        records = (j.metrics_json or {}).get("recordsCreated" if j.mode != "revert" else "recordsDeleted", 0)
        colour = {"completed": "green", "failed": "red"}.get(j.status, "yellow")
        table.add_row(
            j.id,
            slugs.get(j.tenant_id, j.tenant_id),
            f"[{colour}]{j.status}[/]",
            f"{j.mode}/{j.plan_type}",
            f"{j.range_start_month}…{j.range_end_month}",
            f"{'-' if j.mode == 'revert' else ''}{records:,}",
            j.created_at.strftime("%Y-%m-%d %H:%M") if j.created_at else "",
            "" if j.duration_seconds is None else str(j.duration_seconds),
        )
    cli_module.console.print(table)


@click.group()
def job() -> None:
    """Inspect and export one patch job."""


@job.command("show")
@click.argument("job_id", metavar="JOB")
@database_option
@json_option
def job_show(job_id: str, database: str | None, as_json: bool) -> None:
    """Show JOB: status, KPI comparison, records created and its log."""
    from flows.engine.jobs import require_job
    from flows.store import open_store

    with open_store(database) as store:
        found = require_job(store, job_id)
    if as_json:
        print_json(found.to_response())
    else:
        show_job(found, logs=True)


@job.command("export")
@click.argument("job_id", metavar="JOB")
@click.option("--format", "fmt", type=click.Choice(["md", "csv", "json", "html"]), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File to write (default stdout).")
@database_option
def job_export(job_id: str, fmt: str, output: str | None, database: str | None) -> None:
    """Export JOB's before/after report (US-4) as Markdown, CSV, JSON or HTML with a chart."""
    from flows.engine.jobs import require_job
    from flows.kpis.reports import EXPORTERS
    from flows.store import open_store

    with open_store(database) as store:
        found = require_job(store, job_id)
    text = EXPORTERS[fmt](found)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@click.command()
@click.argument("job_id", metavar="JOB")
@database_option
@json_option
def revert(job_id: str, database: str | None, as_json: bool) -> None:
    """Remove exactly the rows a completed ADDITIVE job created (recorded as a job)."""
    from flows.engine.revert import revert as revert_job
    from flows.store import open_store

    with open_store(database) as store:
        done = revert_job(store, job_id)
    if as_json:
        print_json(done.to_response())
    else:
        show_job(done)


@click.group()
def tenant() -> None:
    """Create demo tenants."""


@tenant.command("create")
@click.option("--name", required=True, help="Display name, e.g. 'Acme Corp Demo'.")
@click.option("--slug", help="URL-safe id (default: from the name).")
@click.option("--from", "first", type=MONTH, required=True, help="First month of data (tenant created then).")
@click.option("--to", "last", type=MONTH, required=True, help="Last month of data.")
@click.option("--template", default="steady-growth", show_default=True, help="A plan in plans/templates/.")
@click.option("--seed", help="Same seed and arguments → identical tenant, ids and rows.")
@click.option("--timezone", default="UTC", show_default=True, help="IANA timezone of the tenant.")
@click.option("--locale", default="en_US", show_default=True, help="Faker locale of names, phones and titles.")
@click.option("--currency", default="USD", show_default=True, help="ISO 4217 currency of deal values.")
@database_option
@json_option
def tenant_create(
    name: str,
    slug: str | None,
    first: str,
    last: str,
    template: str,
    seed: str | None,
    timezone: str,
    locale: str,
    currency: str,
    database: str | None,
    as_json: bool,
) -> None:
    """Create a demo tenant and generate every month's data from a template."""
    from flows.engine.demo_tenants import create_demo_tenant
    from flows.store import open_store

    with open_store(database) as store, _progress(not as_json) as report:
        created = create_demo_tenant(
            store,
            name=name,
            slug=slug,
            first=first,
            last=last,
            template=template,
            seed=seed,
            timezone=timezone,
            locale=locale,
            currency=currency.upper(),
            progress=report,
        )
    if as_json:
        print_json(created.as_dict())
    else:
        cli_module.console.print(
            f"Created demo tenant [bold]{created.tenant.name}[/] ({created.tenant.slug}, "
            f"{created.tenant.id}); generation job {created.generation_job_id}"
        )
        show_job(created.patch_job)
    if created.patch_job.status != "completed":
        raise DemogenError(f"generating {created.tenant.slug} failed: {created.patch_job.error_message}")


@click.command()
@database_option
@json_option
def demo(database: str | None, as_json: bool) -> None:
    """The main job: create 'Acme Corp Demo' (2024) if absent, apply the PRD appendix plan, compare."""
    from flows.engine.demo_tenants import create_demo_tenant
    from flows.engine.run import apply_plan
    from flows.plan.readers import read_plan_file
    from flows.store import open_store
    from flows.store.tenants import find_tenant

    console = cli_module.console
    with open_store(database) as store:
        if find_tenant(store, DEMO_SLUG) is None:
            if not as_json:
                console.print(f"Creating demo tenant {DEMO_NAME} (2024-01 … 2024-12, template steady-growth)")
            with _progress(not as_json) as report:
                created = create_demo_tenant(
                    store,
                    name=DEMO_NAME,
                    slug=DEMO_SLUG,
                    first="2024-01",
                    last="2024-12",
                    template="steady-growth",
                    seed="acme",
                    timezone="America/New_York",
                    progress=report,
                )
            if created.patch_job.status != "completed":
                raise DemogenError(f"generating {DEMO_SLUG} failed: {created.patch_job.error_message}")
        plan = read_plan_file(str(DEMO_PLAN))
        if not as_json:
            console.print(f"Applying {DEMO_PLAN.relative_to(DEMO_PLAN.parents[2])} (DELTAS, 2025-01 … 2025-03)")
        with _progress(not as_json) as report:
            result = apply_plan(store, plan, source=f"demo: {DEMO_PLAN.name}", progress=report)
    if as_json:
        print_json(result.to_response())
    else:
        show_job(result)
        console.print(f"\nExport the report: demogen job export {result.id} --format html -o report.html")
    if result.status != "completed":
        raise DemogenError(f"job {result.id} failed: {result.error_message}")

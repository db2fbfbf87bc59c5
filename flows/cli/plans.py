"""`demogen validate` and `demogen plan from-csv|grow|from-template`: patch plans at the command line."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import click
from rich import box
from rich.table import Table

from flows.cli import output
from flows.cli.group import cli
from flows.cli.options import MONTH, database_option, json_option, plan_source_options
from flows.cli.output import issues_table, print_json, show_already_applied
from flows.engine.run import completed_job
from flows.engine.steps import Prepared, job_id_for, prepare
from flows.kpis.numbers import format_count, format_money, format_number, plural
from flows.kpis.reports import applied_validation
from flows.plan.limits import MAX_PLAN_MONTHS
from flows.plan.model import PatchPlan
from flows.plan.preview import Preview, Records
from flows.plan.quick_fill import grow_plan, parse_pct
from flows.plan.readers import PlanFormatError, plan_to_json, plan_to_yaml, read_plan_file
from flows.plan.rules import Issue
from flows.plan.schema import SCHEMA_PATH
from flows.plan.shapes import shape_plan
from flows.plan.templates import available
from flows.store import open_store
from flows.store.jobs import PatchJob
from flows.store.tenants import Tenant, resolve_tenant
from generators.errors import DemogenError
from generators.metrics import METRICS


def _check(database: str | None, patch_plan: PatchPlan) -> Prepared:
    """The plan read against its tenant exactly as `apply` reads it (flows.engine.steps.prepare)."""
    with open_store(database) as store:
        return prepare(store, patch_plan)


@cli.command()
@plan_source_options()
@database_option
@json_option
def validate(
    plan_file: str,
    tenant: str | None,
    mode: str | None,
    plan_type: str | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Validate PLAN (YAML, JSON or CSV file, - for stdin) and preview what it would create.

    Exit 0 when valid, 1 when invalid. A plan applied before previews nothing: applying it again creates nothing.
    """
    try:
        patch_plan = read_plan_file(plan_file, tenant=tenant, mode=mode, plan_type=plan_type)
    except PlanFormatError as exc:
        if as_json:
            issue = Issue("P-0", str(exc))
            print_json({"valid": False, "errors": [issue.as_dict()], "warnings": [], "preview": None})
        raise
    with open_store(database) as store:
        done = completed_job(store, patch_plan, job_id_for(store, patch_plan))
        if done is not None:
            _show_applied(done, patch_plan, resolve_tenant(store, patch_plan.tenant), plan_file, as_json)
            return
        checked = prepare(store, patch_plan)
    result = checked.validation
    if as_json:
        print_json(result.as_dict())
    else:
        _show(checked, plan_file)
    if not result.valid:
        raise DemogenError(f"{plan_file}: the plan is invalid ({plural(len(result.errors), 'error')})")


@cli.group()
def plan() -> None:
    """Write patch plans: from a spreadsheet CSV, growing a month with data, or reshaping months by a template."""


@plan.command("from-csv")
@plan_source_options(tenant_required=True)
@click.option("-o", "--output", "output_path", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@database_option
@json_option
def from_csv(
    plan_file: str,
    tenant: str,
    mode: str | None,
    plan_type: str | None,
    output_path: Path | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Turn a CSV plan (FILE or - for stdin) into a YAML plan, after validating it.

    --json writes the plan as JSON instead of YAML.
    """
    patch_plan = read_plan_file(plan_file, "csv", tenant=tenant, mode=mode, plan_type=plan_type)
    _write_valid(_check(database, patch_plan), output_path, as_json)


@plan.command("grow")
@click.option("--tenant", required=True, metavar="ID_OR_SLUG", help="Tenant the plan patches.")
@click.option("--from", "first", type=MONTH, required=True, help="First month of the plan.")
@click.option("--months", type=click.IntRange(1, MAX_PLAN_MONTHS), required=True, help="Number of months.")
@click.option("--pct", required=True, metavar="P", help="Growth per month in percent, e.g. 10.")
@click.option("--base", "base_month", type=MONTH, help="Month to grow from [default: the latest month with data].")
@click.option("--seed", default=None, help="Seed of the generated records.")
@click.option("-o", "--output", "output_path", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@database_option
@json_option
def grow(
    tenant: str,
    first: str,
    months: int,
    pct: str,
    base_month: str | None,
    seed: str | None,
    output_path: Path | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Quick Fill: a TARGETS plan growing each metric P% a month from a base month.

    --json writes the plan as JSON instead of YAML.
    """
    growth = parse_pct(pct)  # refuse a bad --pct before touching the database
    with open_store(database) as store:
        grown = grow_plan(store, tenant, first_month=first, months=months, pct=growth, seed=seed, base_month=base_month)
        checked = prepare(store, grown.plan)
    output.err_console.print(
        f"{months} months from {first}, growing {format_number(growth)}% a month from {grown.base_month} "
        f"of {grown.tenant.slug}",
        highlight=False,
    )
    _write_valid(checked, output_path, as_json)


@plan.command("from-template")
@click.argument("name", metavar="NAME", type=click.Choice(available("shape")))
@click.option("--tenant", required=True, metavar="ID_OR_SLUG", help="Tenant the plan patches.")
@click.option("--from", "first", type=MONTH, required=True, help="First month the template may shape.")
@click.option("--to", "last", type=MONTH, required=True, help="Last month the template may shape.")
@click.option(
    "--mode",
    type=click.Choice(["additive", "reconcile"]),
    default="additive",
    show_default=True,
    help="The plan's mode: additive only creates records, so a dip needs reconcile.",
)
@click.option("--seed", default=None, help="Seed of the generated records.")
@click.option("-o", "--output", "output_path", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@database_option
@json_option
def from_template(
    name: str,
    tenant: str,
    first: str,
    last: str,
    mode: str,
    seed: str | None,
    output_path: Path | None,
    database: str | None,
    as_json: bool,
) -> None:
    """A TARGETS plan reshaping the tenant's current KPIs with shape template NAME (e.g. holiday-dip).

    Each month from --from to --to that NAME shapes gets its current KPIs times the template's
    factor. --json writes the plan as JSON instead of YAML.
    """
    with open_store(database) as store:
        shaped = shape_plan(
            store,
            name,
            tenant,
            first_month=first,
            last_month=last,
            mode="reconcile" if mode == "reconcile" else "additive",
            seed=seed,
        )
        checked = prepare(store, shaped.plan)
    output.err_console.print(
        f"{name}: {plural(len(shaped.months), 'month')} of {shaped.tenant.slug} shaped "
        f"({shaped.months[0]} … {shaped.months[-1]}), mode {mode}",
        highlight=False,
    )
    _write_valid(checked, output_path, as_json)


def _write_valid(checked: Prepared, output_path: Path | None, as_json: bool) -> None:
    """Write the plan if it is valid; otherwise list its errors and fail."""
    result = checked.validation
    if not result.valid:
        output.err_console.print(issues_table(result.errors, "Errors"))
        raise DemogenError(f"the plan is invalid ({plural(len(result.errors), 'error')})")
    if result.warnings:
        output.err_console.print(issues_table(result.warnings, "Warnings"))
    if as_json:
        text = plan_to_json(checked.plan) + "\n"
    else:
        text = plan_to_yaml(checked.plan, schema_ref=_schema_ref(output_path))
    if output_path is None:
        click.echo(text, nl=False)
        return
    try:
        output_path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise DemogenError(f"cannot write {output_path}: {exc.strerror or exc}") from None
    output.err_console.print(f"wrote {output_path}", highlight=False)


def _schema_ref(output_path: Path | None) -> str | None:
    """The schema's path relative to the written file, when the repository is at hand."""
    if output_path is None or not SCHEMA_PATH.exists():
        return None
    try:
        return Path(os.path.relpath(SCHEMA_PATH, output_path.parent.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return None


# --- for people ----------------------------------------------------------------------------


def _show_applied(job: PatchJob, plan: PatchPlan, tenant: Tenant, name: str, as_json: bool) -> None:
    """A plan whose job is complete: applying it again creates nothing, so that is the preview."""
    if as_json:
        print_json(applied_validation(job))
        return
    show_already_applied(job)
    _show_plan(plan, tenant, name)
    output.console.print("Preview: applying it again creates nothing.")


def _show_plan(p: PatchPlan, t: Tenant, name: str) -> None:
    months = sorted({m.month for m in p.months})
    span = f"{months[0]} … {months[-1]}" if months else "no months"
    output.console.print(
        f"[bold]{name}[/]: {p.mode.upper()} {p.plan_type.upper()} plan for "
        f"{t.name} ({t.slug}), {plural(len(p.months), 'month')} ({span})",
        highlight=False,
    )


def _show(checked: Prepared, name: str) -> None:
    p, t, result = checked.plan, checked.tenant, checked.validation
    _show_plan(p, t, name)
    if result.preview:
        output.console.print(_records_table(result.preview))
        output.console.print(_values_line(result.preview, t.currency), highlight=False)
        output.console.print(_kpi_table(result.preview, t.currency))
        changes = _changes_line(result.preview)
        if changes:
            output.console.print(changes, highlight=False)
    if result.warnings:
        output.console.print(issues_table(result.warnings, "Warnings"))
    if result.errors:
        output.console.print(issues_table(result.errors, "Errors"))
        output.console.print(f"[red]✗[/] {plural(len(result.errors), 'error')}: the plan is invalid")
    else:
        output.console.print(f"[green]✓[/] All metrics valid for {p.mode.upper()} mode")


def _records_table(preview: Preview) -> Table:
    table = Table(
        title="Estimated records to create",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        collapse_padding=True,
    )
    for column in ("month", "leads", "contacts", "companies", "deals", "won", "open", "lost", "activities"):
        table.add_column(column, justify="left" if column == "month" else "right", no_wrap=True)

    def row(label: str, r: Records) -> list[str]:
        counts = (r.leads, r.contacts, r.companies, r.deals, r.deals_won, r.deals_open, r.deals_lost, r.activities)
        return [label, *(format_count(n) for n in counts)]

    for m in preview.months:
        table.add_row(*row(m.month, m.records))
    table.add_section()
    table.add_row(*(f"[bold]{cell}[/]" for cell in row("total", preview.records)))
    return table


def _changes_line(preview: Preview) -> str:
    """RECONCILE: the existing demo-generated records to modify and to soft-delete, by entity."""
    parts = []
    for what, counts in (("modify", preview.to_modify), ("soft-delete", preview.to_delete)):
        listed = ", ".join(f"{entity} {format_count(n)}" for entity, n in counts.items() if n)
        parts.append(f"to {what}: {listed or 'none'}")
    return "Demo-generated records " + " · ".join(parts) if preview.to_modify or preview.to_delete else ""


def _values_line(preview: Preview, currency: str) -> str:
    won = format_money(preview.closed_won_value, currency, estimated=preview.estimated)
    pipeline = format_money(preview.pipeline_value, currency, estimated=preview.estimated)
    note = " (~ estimated from the tenant's typical deal size)" if preview.estimated else ""
    return f"Total closed won value: [bold]{won}[/] · pipeline added: [bold]{pipeline}[/]{note}"


def _kpi_table(preview: Preview, currency: str) -> Table:
    """Each KPI the plan sets or moves, month by month: before -> after, and its target."""
    table = Table(title="KPIs before → after", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("month", "metric", "before", "after", "change", "target"):
        table.add_column(column, justify="left" if column in ("month", "metric") else "right", no_wrap=True)
    for m in preview.months:
        rows = [(metric, m.metrics[metric.name]) for metric in METRICS]
        rows = [(metric, c) for metric, c in rows if c.planned or c.change]
        for n, (metric, c) in enumerate(rows):
            if metric.kind == "money":
                cells = [
                    format_money(Decimal(v), currency, estimated=c.estimated and v is not c.before)
                    for v in (c.before, c.after)
                ]
                change = ("+" if c.change >= 0 else "") + format_money(
                    Decimal(c.change), currency, estimated=c.estimated
                )
            else:
                cells = [format_count(c.before), format_count(c.after)]
                change = f"{c.change:+,}"
            target = cells[1] if c.planned else "[dim]no target[/]"
            table.add_row(m.month if n == 0 else "", metric.label, *cells, change, target)
        table.add_section()
    return table

"""`demogen validate` and `demogen plan from-csv|grow`: patch plans at the command line."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich import box
from rich.table import Table

import flows.cli.main as cli_module
from flows.cli.main import MONTH, database_option, json_option, print_json
from flows.plan.model import PatchPlan
from flows.plan.preview import Preview, Records
from flows.plan.readers import PlanFormatError, plan_to_json, plan_to_yaml, read_plan_file
from flows.plan.rules import Issue, fmt_number
from flows.plan.schema import SCHEMA_PATH
from generators.errors import DemogenError
from generators.metrics import METRICS

if TYPE_CHECKING:
    from flows.engine.steps import Prepared

_MODES = click.Choice(["additive", "reconcile"], case_sensitive=False)
_PLAN_TYPES = click.Choice(["deltas", "targets"], case_sensitive=False)
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


def register(cli: click.Group) -> None:
    """Hang this module's commands off the `demogen` group."""
    cli.add_command(validate)
    cli.add_command(plan)


def _check(database: str | None, patch_plan: PatchPlan) -> Prepared:
    """The plan read against its tenant exactly as `apply` reads it (flows.engine.prepare)."""
    from flows.engine.steps import prepare
    from flows.store import open_store

    with open_store(database) as store:
        return prepare(store, patch_plan)


@click.command()
@click.argument("plan_file", metavar="PLAN")
@click.option("--tenant", metavar="ID_OR_SLUG", help="Tenant of a CSV plan (fills a missing one).")
@click.option("--mode", type=_MODES, help="Mode of a CSV plan [default: additive].")
@click.option("--plan-type", type=_PLAN_TYPES, help="Plan type of a CSV plan [default: deltas].")
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

    Exit 0 when valid, 1 when invalid.
    """
    try:
        patch_plan = read_plan_file(plan_file, tenant=tenant, mode=mode, plan_type=plan_type)
    except PlanFormatError as exc:
        if as_json:
            issue = Issue("P-0", str(exc))
            print_json({"valid": False, "errors": [issue.as_dict()], "warnings": [], "preview": None})
        raise
    checked = _check(database, patch_plan)
    result = checked.validation
    if as_json:
        print_json(result.as_dict())
    else:
        _show(checked, plan_file)
    if not result.valid:
        raise DemogenError(f"{plan_file}: the plan is invalid ({_count(len(result.errors), 'error')})")


@click.group()
def plan() -> None:
    """Write patch plans: from a spreadsheet CSV, or growing the latest month."""


@plan.command("from-csv")
@click.argument("source", metavar="FILE|-")
@click.option("--tenant", required=True, metavar="ID_OR_SLUG", help="Tenant the plan patches.")
@click.option("--mode", type=_MODES, default="additive", show_default=True)
@click.option("--plan-type", type=_PLAN_TYPES, default="deltas", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@database_option
@json_option
def from_csv(
    source: str,
    tenant: str,
    mode: str,
    plan_type: str,
    output: Path | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Turn a CSV plan (PRD appendix A layout) into a YAML plan, after validating it (US-6).

    --json writes the plan as JSON instead of YAML.
    """
    patch_plan = read_plan_file(source, "csv", tenant=tenant, mode=mode, plan_type=plan_type)
    _write_valid(_check(database, patch_plan), output, as_json)


@plan.command("grow")
@click.option("--tenant", required=True, metavar="ID_OR_SLUG", help="Tenant the plan patches.")
@click.option("--from", "first", type=MONTH, required=True, help="First month of the plan.")
@click.option("--months", type=click.IntRange(1, 120), required=True, help="Number of months.")
@click.option("--pct", required=True, metavar="P", help="Growth per month in percent, e.g. 10.")
@click.option("--seed", default=None, help="Seed of the generated records.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@database_option
@json_option
def grow(
    tenant: str,
    first: str,
    months: int,
    pct: str,
    seed: str | None,
    output: Path | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Quick Fill: a TARGETS plan growing each metric P% a month from the latest month with data.

    --json writes the plan as JSON instead of YAML.
    """
    from flows.engine.steps import prepare
    from flows.plan.quick_fill import grow_plan, parse_pct
    from flows.store import open_store

    growth = parse_pct(pct)  # refuse a bad --pct before touching the database
    with open_store(database) as store:
        grown = grow_plan(store, tenant, first_month=first, months=months, pct=growth, seed=seed)
        checked = prepare(store, grown.plan)
    cli_module.err_console.print(
        f"{months} months from {first}, growing {fmt_number(growth)}% a month from {grown.base_month} "
        f"of {grown.tenant.slug}",
        highlight=False,
    )
    _write_valid(checked, output, as_json)


def _write_valid(checked: Prepared, output: Path | None, as_json: bool) -> None:
    """Write the plan if it is valid; otherwise list its errors and fail."""
    result = checked.validation
    if not result.valid:
        cli_module.err_console.print(_issues_table(result.errors, "Errors"))
        raise DemogenError(f"the plan is invalid ({_count(len(result.errors), 'error')})")
    if result.warnings:
        cli_module.err_console.print(_issues_table(result.warnings, "Warnings"))
    text = plan_to_json(checked.plan) + "\n" if as_json else plan_to_yaml(checked.plan, schema_ref=_schema_ref(output))
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise DemogenError(f"cannot write {output}: {exc.strerror or exc}") from None
    cli_module.err_console.print(f"wrote {output}", highlight=False)


def _schema_ref(output: Path | None) -> str | None:
    """The schema's path relative to the written file, when the repository is at hand."""
    if output is None or not SCHEMA_PATH.exists():
        return None
    try:
        return Path(os.path.relpath(SCHEMA_PATH, output.parent.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return None


# --- for people ----------------------------------------------------------------------------


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _money(value: Decimal, currency: str, estimated: bool = False) -> str:
    digits = ",.0f" if value == value.to_integral_value() else ",.2f"
    symbol = _SYMBOLS.get(currency)
    text = f"{symbol}{value:{digits}}" if symbol else f"{value:{digits}} {currency}"
    return f"~{text}" if estimated else text


def _issues_table(issues: list[Issue], title: str) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in ("code", "month", "metric", "message"):
        table.add_column(column, overflow="fold")
    for issue in issues:
        table.add_row(issue.code, issue.month or "", issue.metric or "", issue.message)
    return table


def _show(checked: Prepared, name: str) -> None:
    p, t, result = checked.plan, checked.tenant, checked.validation
    months = sorted({m.month for m in p.months})
    span = f"{months[0]} … {months[-1]}" if months else "no months"
    cli_module.console.print(
        f"[bold]{name}[/]: {p.mode.upper()} {p.plan_type.upper()} plan for "
        f"{t.name} ({t.slug}), {_count(len(p.months), 'month')} ({span})",
        highlight=False,
    )
    if result.preview:
        cli_module.console.print(_records_table(result.preview))
        cli_module.console.print(_values_line(result.preview, t.currency), highlight=False)
        cli_module.console.print(_kpi_table(result.preview, t.currency))
    if result.warnings:
        cli_module.console.print(_issues_table(result.warnings, "Warnings"))
    if result.errors:
        cli_module.console.print(_issues_table(result.errors, "Errors"))
        cli_module.console.print(f"[red]✗[/] {_count(len(result.errors), 'error')}: the plan is invalid")
    else:
        cli_module.console.print(f"[green]✓[/] All metrics valid for {p.mode.upper()} mode")


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
        return [label, *(f"{n:,}" for n in counts)]

    for m in preview.months:
        table.add_row(*row(m.month, m.records))
    table.add_section()
    table.add_row(*(f"[bold]{cell}[/]" for cell in row("total", preview.records)))
    return table


def _values_line(preview: Preview, currency: str) -> str:
    won = _money(preview.closed_won_value, currency, preview.estimated)
    pipeline = _money(preview.pipeline_value, currency, preview.estimated)
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
                cells = [_money(Decimal(v), currency, c.estimated and v is not c.before) for v in (c.before, c.after)]
                change = ("+" if c.change >= 0 else "") + _money(Decimal(c.change), currency, c.estimated)
            else:
                cells = [f"{c.before:,}", f"{c.after:,}"]
                change = f"{c.change:+,}"
            target = cells[1] if c.planned else "[dim]no target[/]"
            table.add_row(m.month if n == 0 else "", metric.label, *cells, change, target)
        table.add_section()
    return table

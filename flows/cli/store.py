"""`demogen init | tenants | kpis`: the CRM store, its tenants and their monthly KPIs."""

from __future__ import annotations

import click
from rich.table import Table

from flows.cli import output
from flows.cli.group import cli
from flows.cli.options import MONTH, database_option, json_option
from flows.cli.output import Column, fitted_tables, print_json
from flows.kpis.numbers import format_count, format_value
from flows.kpis.reads import MonthKpis, kpis_json, monthly_kpis, require_data_range
from flows.store import connect, database_url, open_store
from flows.store.migrate import ensure_initialised, ensure_master_admin
from flows.store.tenants import ENTITIES, TenantSummary, list_tenants, resolve_tenant
from flows.store.urls import mask_url
from generators.calendar import month_range
from generators.metrics import METRICS


@cli.command()
@database_option
@click.option("--admin", "admin_email", metavar="EMAIL", default=None, help="Also make sure this Master Admin exists.")
@json_option
def init(database: str | None, admin_email: str | None, as_json: bool) -> None:
    """Create or upgrade the CRM store and the dbt KPI views (idempotent)."""
    store = connect(database)
    try:
        report = ensure_initialised(store)
        if admin_email:
            ensure_master_admin(store, admin_email)
    finally:
        store.close()
    payload = {
        "database": mask_url(database_url(database)),
        "schemaVersion": report.schema_version,
        "migrationsApplied": list(report.applied),
        "dbtModelsRebuilt": report.dbt_models_rebuilt,
        "masterAdmin": admin_email or report.admin_email,
    }
    if as_json:
        print_json(payload)
        return
    applied = ", ".join(map(str, report.applied)) or "none (already up to date)"
    output.console.print(f"[bold]{payload['database']}[/] at schema version {report.schema_version}")
    output.console.print(f"migrations applied: {applied}")
    output.console.print(f"dbt views: {'rebuilt' if report.dbt_models_rebuilt else 'up to date'}")
    output.console.print(f"Master Admin: {payload['masterAdmin']}")


@cli.command()
@database_option
@click.option("--all", "include_all", is_flag=True, help="Include tenants that are not demo-generated.")
@json_option
def tenants(database: str | None, include_all: bool, as_json: bool) -> None:
    """List demo tenants with their data range and record counts."""
    with open_store(database) as store:
        summaries = list_tenants(store, include_all=include_all)
    if as_json:
        print_json({"tenants": [s.as_dict() for s in summaries]})
        return
    if not summaries:
        hint = "" if include_all else " (none is demo-generated; try --all)"
        output.console.print(f"No tenants{hint}.")
        return
    output.console.print(*_tenants_tables(summaries, "Tenants" if include_all else "Demo tenants"))


def _tenants_tables(summaries: list[TenantSummary], title: str) -> list[Table]:
    columns = [
        Column("slug", whole=True),
        Column("name"),
        Column("id", whole=True, drop=1),
        Column("timezone", drop=2),
        Column("data range"),
        *(Column(entity, justify="right", whole=True) for entity in ENTITIES),
    ]
    rows = []
    for s in summaries:
        t = s.tenant
        span = f"{s.first_month} … {s.last_month}" if s.first_month else "no data"
        name = t.name if t.demo_generated else f"{t.name} [dim](not demo)[/]"
        rows.append([t.slug, name, t.id, t.timezone, span, *(format_count(s.counts[e]) for e in ENTITIES)])
    return fitted_tables(title, columns, rows, output.console)


@cli.command()
@database_option
@click.argument("tenant")
@click.option("--from", "first", type=MONTH, help="First month, YYYY-MM [default: the tenant's first with data].")
@click.option("--to", "last", type=MONTH, help="Last month, YYYY-MM [default: the tenant's last with data].")
@json_option
def kpis(database: str | None, tenant: str, first: str | None, last: str | None, as_json: bool) -> None:
    """Monthly KPIs of TENANT (id or slug), every month of the range, from the dbt KPI model."""
    if first and last:
        month_range(first, last)  # refuse --from after --to before touching the database
    with open_store(database) as store:
        found = resolve_tenant(store, tenant)
        if not (first and last):
            data_first, data_last = require_data_range(store, found)
            first, last = first or data_first, last or data_last
            month_range(first, last)
        result = monthly_kpis(store, found, first, last)
    if as_json:
        print_json(kpis_json(result))
        return
    output.console.print(*_kpis_tables(result, f"KPIs of {found.name} ({found.slug}, {found.timezone})"))


def _kpis_tables(result: dict[str, MonthKpis], title: str) -> list[Table]:
    columns = [
        Column("month", whole=True),
        *(Column(metric.label, justify="right", whole=True) for metric in METRICS),
        Column("leads + contacts", drop=1),
    ]
    peak = max((int(m["contactsCreated"]) + int(m["leadsCreated"]) for m in result.values()), default=0)
    rows = []
    for month, metrics in result.items():
        people = int(metrics["leadsCreated"]) + int(metrics["contactsCreated"])
        bar = "█" * round(20 * people / peak) if peak else ""
        rows.append([month, *(format_value(metrics[m.name], m.name) for m in METRICS), f"[cyan]{bar}[/]"])
    return fitted_tables(title, columns, rows, output.console)

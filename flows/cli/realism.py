"""`demogen realism`: how real a tenant's data looks, as a prospect clicking through it would see."""

from __future__ import annotations

import click

from flows.cli import output
from flows.cli.group import cli
from flows.cli.options import database_option, json_option
from flows.cli.output import Column, fitted_tables, print_json
from flows.kpis.realism import realism, stage_rows, summary_rows
from flows.store import open_store
from flows.store.jobs import now_utc
from flows.store.tenants import resolve_tenant


@cli.command("realism")
@database_option
@click.argument("tenant")
@json_option
def realism_command(database: str | None, tenant: str, as_json: bool) -> None:
    """Realism of TENANT (id or slug) now: pipeline age, stages by age, deal stories, names, hours."""
    with open_store(database) as store:
        found = resolve_tenant(store, tenant)
        figures = realism(store, found, now_utc())
    if as_json:
        print_json(figures)
        return
    title = f"Realism of {found.name} ({found.slug}, {found.timezone}) at {figures['asOf'][:16]}"
    summary = fitted_tables(
        title, [Column("figure"), Column("value", justify="right", whole=True)], summary_rows(figures), output.console
    )
    header, rows = stage_rows(figures)
    columns = [Column(header[0]), *(Column(band, justify="right", whole=True) for band in header[1:])]
    stages = fitted_tables("Open deals by stage and age", columns, rows, output.console)
    output.console.print(*summary, *stages)

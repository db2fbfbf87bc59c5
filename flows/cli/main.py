"""The `demogen` command line: rich tables for people, --json for programs."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from generators.calendar import parse_month
from generators.errors import DemogenError, UsageError
from generators.metrics import METRICS

F = TypeVar("F", bound=Callable[..., Any])
console = Console()
err_console = Console(stderr=True)


def database_option(func: F) -> F:
    return click.option(
        "--database",
        "database",
        metavar="URL",
        default=None,
        help="duckdb:///file.duckdb or postgresql://user@host:port/db "
        "(default: $DEMOGEN_DATABASE_URL, else duckdb:///demogen.duckdb).",
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")(func)


class MonthType(click.ParamType):
    name = "YYYY-MM"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return parse_month(value)
        except UsageError as exc:
            self.fail(str(exc), param, ctx)


MONTH = MonthType()


def print_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def fmt(value: Any, kind: str = "count") -> str:
    if value is None:
        return "—"
    if kind == "money":
        return f"{Decimal(value):,.2f}"
    return f"{int(value):,}"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="demogen")
def cli() -> None:
    """demogen — keeps demo tenants of the CRM alive with planned, audited monthly patches."""


@cli.command()
@database_option
@click.option("--admin", "admin_email", metavar="EMAIL", default=None, help="Also make sure this Master Admin exists.")
@json_option
def init(database: str | None, admin_email: str | None, as_json: bool) -> None:
    """Create or upgrade the CRM store and the dbt KPI views (idempotent)."""
    from flows.store import connect, database_url
    from flows.store.migrate import ensure_initialised, ensure_master_admin

    store = connect(database)
    try:
        report = ensure_initialised(store)
        if admin_email:
            ensure_master_admin(store, admin_email)
    finally:
        store.close()
    payload = {
        "database": _redacted(database_url(database)),
        "schemaVersion": report.schema_version,
        "migrationsApplied": list(report.applied),
        "dbtModelsRebuilt": report.dbt_models_rebuilt,
        "masterAdmin": admin_email or report.admin_email,
    }
    if as_json:
        print_json(payload)
        return
    applied = ", ".join(map(str, report.applied)) or "none (already up to date)"
    console.print(f"[bold]{payload['database']}[/] at schema version {report.schema_version}")
    console.print(f"migrations applied: {applied}")
    console.print(f"dbt views: {'rebuilt' if report.dbt_models_rebuilt else 'up to date'}")
    console.print(f"Master Admin: {payload['masterAdmin']}")


def _redacted(url: str) -> str:
    from flows.store.postgres_store import redact

    return redact(url)


@cli.command()
@database_option
@click.option("--all", "include_all", is_flag=True, help="Include tenants that are not demo-generated.")
@json_option
def tenants(database: str | None, include_all: bool, as_json: bool) -> None:
    """List demo tenants with their data range and record counts (US-1)."""
    from flows.store import open_store
    from flows.store.tenants import ENTITIES, list_tenants

    with open_store(database) as store:
        summaries = list_tenants(store, include_all=include_all)
    if as_json:
        print_json({"tenants": [s.as_dict() for s in summaries]})
        return
    if not summaries:
        hint = "" if include_all else " (none is demo-generated; try --all)"
        console.print(f"No tenants{hint}.")
        return
    table = Table(title="Demo tenants" if not include_all else "Tenants")
    for column in ("slug", "name", "id", "timezone", "data range", *ENTITIES):
        table.add_column(column, justify="right" if column in ENTITIES else "left")
    for s in summaries:
        t = s.tenant
        span = f"{s.first_month} … {s.last_month}" if s.first_month else "no data"
        name = t.name if t.demo_generated else f"{t.name} [dim](not demo)[/]"
        table.add_row(t.slug, name, t.id, t.timezone, span, *(fmt(s.counts[e]) for e in ENTITIES))
    console.print(table)


@cli.command()
@database_option
@click.argument("tenant")
@click.option("--from", "first", type=MONTH, required=True, help="First month, YYYY-MM.")
@click.option("--to", "last", type=MONTH, required=True, help="Last month, YYYY-MM.")
@json_option
def kpis(database: str | None, tenant: str, first: str, last: str, as_json: bool) -> None:
    """Monthly KPIs of TENANT (id or slug), every month of the range, from the dbt KPI model."""
    from flows.kpis.reads import kpis_json, monthly_kpis
    from flows.store import open_store
    from flows.store.tenants import resolve_tenant
    from generators.calendar import month_range

    month_range(first, last)  # refuse --from after --to before touching the database
    with open_store(database) as store:
        found = resolve_tenant(store, tenant)
        result = monthly_kpis(store, found, first, last)
    if as_json:
        print_json(kpis_json(result))
        return
    table = Table(title=f"KPIs of {found.name} ({found.slug}, {found.timezone})")
    table.add_column("month")
    for metric in METRICS:
        table.add_column(metric.label, justify="right")
    peak = max((int(m["contactsCreated"]) + int(m["leadsCreated"]) for m in result.values()), default=0)
    table.add_column("leads + contacts", justify="left")
    for month, metrics in result.items():
        people = int(metrics["leadsCreated"]) + int(metrics["contactsCreated"])
        bar = "█" * round(20 * people / peak) if peak else ""
        table.add_row(month, *(fmt(metrics[m.name], m.kind) for m in METRICS), f"[cyan]{bar}[/]")
    console.print(table)


def _register_optional() -> None:
    """Commands owned by other modules hang off the same group."""
    from flows.cli import jobs as cli_jobs
    from flows.cli import plans as cli_plan

    cli_plan.register(cli)
    cli_jobs.register(cli)


def main(argv: list[str] | None = None) -> None:
    """Entry point: one-line errors, exit 0 ok, 1 domain failure, 2 usage error."""
    _register_optional()
    try:
        cli.main(args=argv, prog_name="demogen", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        err_console.print(f"[red]error:[/] {exc.format_message()}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except click.Abort:
        err_console.print("[red]aborted[/]")
        sys.exit(1)
    except UsageError as exc:
        err_console.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except DemogenError as exc:
        err_console.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("[red]interrupted[/]")
        sys.exit(130)
    except Exception as exc:  # a bug, not a user mistake: one line, traceback on request
        if os.environ.get("DEMOGEN_DEBUG"):
            raise
        first = (str(exc).splitlines() or [""])[0]
        err_console.print(
            f"[red]error:[/] internal error ({type(exc).__name__}: {first}); "
            "rerun with DEMOGEN_DEBUG=1 for the traceback",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()

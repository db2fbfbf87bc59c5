"""Options and parameter types shared by demogen's commands."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import click

from generators.calendar import parse_month
from generators.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])

DATABASE_HELP = (
    "duckdb:///file.duckdb or postgresql://user@host:port/db "
    "(default: $DEMOGEN_DATABASE_URL, else duckdb:///demogen.duckdb)."
)
MODES = click.Choice(["additive", "reconcile"], case_sensitive=False)
PLAN_TYPES = click.Choice(["deltas", "targets"], case_sensitive=False)


def _database_or_group(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The command's --database, else the one given before the command (`demogen --database URL demo`)."""
    if value is not None:
        return value
    return ctx.find_root().params.get("database")


def database_option(func: F) -> F:
    return click.option(
        "--database",
        "database",
        metavar="URL",
        default=None,
        callback=_database_or_group,
        help=DATABASE_HELP,
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")(func)


class MonthType(click.ParamType):
    """A YYYY-MM month."""

    name = "YYYY-MM"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return parse_month(value)
        except UsageError as exc:
            self.fail(str(exc), param, ctx)


class UuidType(click.ParamType):
    """A whole UUID, as text."""

    name = "UUID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            uuid.UUID(str(value))
            return str(value)
        except ValueError:
            self.fail(f"'{value}' is not a UUID", param, ctx)


class JobRefType(click.ParamType):
    """A job id, or the first 8+ characters of one (resolved against the database by the command)."""

    name = "JOB"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        return str(value).strip()


MONTH = MonthType()
UUID = UuidType()
JOB_REF = JobRefType()


def job_ref_argument(func: F) -> F:
    return click.argument("job_ref", metavar="JOB", type=JOB_REF)(func)


def plan_source_options(*, tenant_required: bool = False) -> Callable[[F], F]:
    """PLAN (a file, or - for stdin) and what a CSV plan lacks: --tenant, --mode, --plan-type."""
    tenant_help = "Tenant the plan patches." if tenant_required else "Tenant of a CSV plan (fills a missing one)."

    def decorate(func: F) -> F:
        for option in reversed(
            (
                click.argument("plan_file", metavar="PLAN"),
                click.option("--tenant", required=tenant_required, metavar="ID_OR_SLUG", help=tenant_help),
                click.option("--mode", type=MODES, help="Mode of a CSV plan [default: additive]."),
                click.option("--plan-type", type=PLAN_TYPES, help="Plan type of a CSV plan [default: deltas]."),
            )
        ):
            func = option(func)
        return func

    return decorate

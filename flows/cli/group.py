"""The `demogen` click group: every command module decorates its commands onto it."""

from __future__ import annotations

import click

from flows.cli.options import DATABASE_HELP


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="demogen")
@click.option("--database", "database", metavar="URL", default=None, help=DATABASE_HELP)
def cli(database: str | None) -> None:
    """demogen — keeps demo tenants of the CRM alive with planned, audited monthly patches.

    --database URL works before the command (for every command) or after it.
    """

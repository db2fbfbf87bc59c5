"""The `demogen` click group: every command module decorates its commands onto it."""

from __future__ import annotations

import logging

import click

from flows.cli.options import DATABASE_HELP
from flows.store.paths import PROJECT_LOGGERS


def show_logs(verbose: bool) -> None:
    """With -v the steps' log lines go to stderr (stdout may carry --json)."""
    if not verbose:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    for name in PROJECT_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.propagate = False  # dbt configures the root logger too: one line per record
        if not any(isinstance(h, logging.StreamHandler) for h in logger.handlers):
            logger.addHandler(handler)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="demogen")
@click.option("--database", "database", metavar="URL", default=None, help=DATABASE_HELP)
@click.option("-v", "--verbose", is_flag=True, help="Show what each step did, with its figures, on stderr.")
def cli(database: str | None, verbose: bool) -> None:
    """demogen — keeps demo tenants of the CRM alive with planned, audited monthly patches.

    --database URL works before the command (for every command) or after it.
    """
    show_logs(verbose)

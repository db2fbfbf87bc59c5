"""The `demogen` entry point: the group with every command, one-line errors and exit codes."""

from __future__ import annotations

import os
import sys

import click

# jobs, plans, store and tenants are imported for their commands: importing decorates them onto the group.
from flows.cli import jobs, output, plans, store, tenants  # noqa: F401
from flows.cli.group import cli
from flows.store.urls import mask_text
from generators.errors import DemogenError, UsageError


def main(argv: list[str] | None = None) -> None:
    """Entry point: one-line errors, exit 0 ok, 1 domain failure, 2 usage error."""
    try:
        cli.main(args=argv, prog_name="demogen", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        _error(exc.format_message())
        sys.exit(2)
    except click.Abort:
        output.err_console.print("[red]aborted[/]")
        sys.exit(1)
    except UsageError as exc:
        _error(str(exc))
        sys.exit(2)
    except DemogenError as exc:
        _error(str(exc))
        sys.exit(1)
    except KeyboardInterrupt:
        output.err_console.print("[red]interrupted[/]")
        sys.exit(130)
    except Exception as exc:  # a bug, not a user mistake: one line, traceback on request
        if os.environ.get("DEMOGEN_DEBUG"):
            raise
        first = (str(exc).splitlines() or [""])[0]
        _error(f"internal error ({type(exc).__name__}: {first}); rerun with DEMOGEN_DEBUG=1 for the traceback")
        sys.exit(1)


def _error(message: str) -> None:
    output.err_console.print(f"[red]error:[/] {mask_text(message)}", highlight=False, soft_wrap=True)


if __name__ == "__main__":
    main()

"""The `demogen` entry point: the group with every command, one-line errors and exit codes."""

from __future__ import annotations

import atexit
import gc
import os
import sys
import unicodedata

import click
from rich.markup import escape

# The command modules are imported for their commands: importing decorates them onto the group.
from flows.cli import admin, jobs, output, plans, realism, serve, store, tenants  # noqa: F401
from flows.cli.group import cli
from flows.store.urls import mask_text
from generators.errors import DemogenError, UsageError


def main(argv: list[str] | None = None) -> None:
    """Entry point: one-line errors, exit 0 ok, 1 domain failure, 2 usage error."""
    _no_collection_at_exit()
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


def _no_collection_at_exit() -> None:
    """Let the process end without the garbage collector walking every object still alive.

    Interpreter shutdown runs full collections over all of them (~250,000 after a dbt run:
    0.3 s, over 1 s on a busy machine) just before the memory goes back to the OS anyway;
    frozen objects are skipped. Every atexit handler still runs, and nothing here relies on
    a cycle being collected: stores are closed explicitly.
    """
    atexit.unregister(gc.freeze)  # one registration however often main() runs (tests call it in-process)
    atexit.register(gc.freeze)


def _error(message: str) -> None:
    output.err_console.print(f"[red]error:[/] {escape(one_line(mask_text(message)))}", highlight=False, soft_wrap=True)


def one_line(message: str) -> str:
    """The message with line breaks, control characters and lone surrogates escaped: an error is one line."""
    return "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in _ESCAPED else c for c in message)


# Control characters (\n, \r, NUL…), line and paragraph separators, lone surrogates (undecodable argv bytes).
_ESCAPED = frozenset({"Cc", "Zl", "Zp", "Cs"})


if __name__ == "__main__":
    main()

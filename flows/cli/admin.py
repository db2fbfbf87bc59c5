"""`demogen admin create | token | revoke-token`: Master Admin accounts and API tokens."""

from __future__ import annotations

import sys

import click

from flows.cli import output
from flows.cli.group import cli
from flows.cli.options import database_option, json_option
from flows.cli.output import print_json
from flows.store import open_store
from flows.store.accounts import issue_token, normalise_email, revoke_token, set_admin_password
from generators.errors import UsageError


@cli.group()
def admin() -> None:
    """Master Admin accounts and API tokens."""


# Extra arguments and unknown options are taken, not refused by click: its refusal would print
# them, and they may be a password typed on the command line.
@admin.command("create", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@click.argument("email")
@click.option("--password-stdin", "password_stdin", is_flag=True, help="Read the password from stdin's first line.")
@database_option
@json_option
@click.pass_context
def admin_create(ctx: click.Context, email: str, password_stdin: bool, database: str | None, as_json: bool) -> None:
    """Create the Master Admin EMAIL with a password to sign in with, or reset its password."""
    # A password in argv would be seen by every user of the machine and kept in shell history.
    if ctx.args or not password_stdin:
        raise UsageError("pass the password on stdin with --password-stdin")
    password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    with open_store(database) as store:
        user = set_admin_password(store, email, password)
    if as_json:
        print_json({"email": user.email, "id": user.id})
        return
    output.console.print(f"Master Admin {user.email} can sign in", highlight=False, markup=False)


@admin.command("token")
@click.argument("email")
@database_option
@json_option
def admin_token(email: str, database: str | None, as_json: bool) -> None:
    """Issue an API token for the Master Admin EMAIL; it is printed once, alone on stdout."""
    with open_store(database) as store:
        token_id, token = issue_token(store, email)
    if as_json:
        print_json({"id": token_id, "token": token, "email": normalise_email(email)})
        return
    click.echo(token)  # alone and unwrapped, so that TOKEN=$(demogen admin token EMAIL) takes it
    output.err_console.print(
        f"API token {token_id} for {normalise_email(email)}: shown once, store it now;"
        f" revoke it with `demogen admin revoke-token {token_id}`",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


@admin.command("revoke-token")
@click.argument("token_or_id", metavar="TOKEN_OR_ID")
@database_option
@json_option
def admin_revoke_token(token_or_id: str, database: str | None, as_json: bool) -> None:
    """Revoke an API token, given whole or by its id; programs using it are refused from then on."""
    with open_store(database) as store:
        token_id = revoke_token(store, token_or_id)
    if as_json:
        print_json({"id": token_id, "revoked": True})
        return
    output.console.print(f"revoked API token {token_id}", highlight=False, markup=False)

"""`demogen admin`: a Master Admin's password only from stdin, an API token shown once, revocation."""

from __future__ import annotations

import io
import json
import sys

import pytest

from flows.store import connect
from flows.store.accounts import authenticate, token_user
from tests.cli.test_cli import run

EMAIL = "ops@example.com"
PASSWORD = "correct horse battery"


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def _create(database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _stdin(monkeypatch, f"{PASSWORD}\n")
    assert run(["admin", "create", EMAIL, "--password-stdin", "--database", database_url], capsys) == (
        0,
        f"Master Admin {EMAIL} can sign in\n",
        "",
    )


def test_create_reads_the_password_from_stdin(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, f"{PASSWORD}\r\nthe second line is not read\n")
    args = ["admin", "create", " Ops@Example.com", "--password-stdin", "--json", "--database", database_url]
    code, out, err = run(args, capsys)
    assert (code, err) == (0, "")
    created = json.loads(out)
    store = connect(database_url)
    try:
        user = authenticate(store, EMAIL, PASSWORD)
        assert user is not None and user.is_master_admin
        assert created == {"email": EMAIL, "id": user.id}
    finally:
        store.close()


def test_create_refuses_a_password_anywhere_but_stdin(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, f"{PASSWORD}\n")
    code, out, err = run(["admin", "create", EMAIL, "--database", database_url], capsys)
    assert (code, out, err) == (2, "", "error: pass the password on stdin with --password-stdin\n")
    refused = (2, "", "error: pass the password on stdin with --password-stdin\n")
    # nor is a password typed on the command line printed back
    assert run(["admin", "create", EMAIL, PASSWORD, "--password-stdin", "--database", database_url], capsys) == refused
    assert run(["admin", "create", EMAIL, f"--password={PASSWORD}", "--database", database_url], capsys) == refused


def test_create_refuses_a_short_password_and_a_crm_user(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, "short\n")
    assert run(["admin", "create", EMAIL, "--password-stdin", "--database", database_url], capsys) == (
        2,
        "",
        "error: password too short: at least 12 characters\n",
    )
    store = connect(database_url)
    try:
        store.execute(
            "INSERT INTO users (id, tenant_id, email, name, role)"
            " VALUES ('00000000-0000-0000-0000-0000000000aa', NULL, 'rep@example.com', 'Rep', 'sales_rep')"
        )
    finally:
        store.close()
    _stdin(monkeypatch, f"{PASSWORD}\n")
    assert run(["admin", "create", "rep@example.com", "--password-stdin", "--database", database_url], capsys) == (
        1,
        "",
        "error: user rep@example.com exists and is not a Master Admin\n",
    )


def test_a_token_is_printed_once_alone_and_revoked(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _create(database_url, monkeypatch, capsys)
    code, out, err = run(["admin", "token", EMAIL, "--database", database_url], capsys)
    token = out.removesuffix("\n")
    token_id = token.split("_")[1]
    assert code == 0 and out == f"{token}\n" and token.startswith(f"dgt_{token_id}_")
    assert err == (
        f"API token {token_id} for {EMAIL}: shown once, store it now;"
        f" revoke it with `demogen admin revoke-token {token_id}`\n"
    )
    store = connect(database_url)
    try:
        assert store.scalar("SELECT count(*) AS n FROM api_tokens WHERE token_hash = ?", (token,)) == 0
        user = token_user(store, token)
        assert user is not None and user.email == EMAIL
    finally:
        store.close()
    assert run(["admin", "revoke-token", token_id, "--database", database_url], capsys) == (
        0,
        f"revoked API token {token_id}\n",
        "",
    )
    store = connect(database_url)
    try:
        assert token_user(store, token) is None
    finally:
        store.close()


def test_token_and_revocation_as_json(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _create(database_url, monkeypatch, capsys)
    code, out, err = run(["admin", "token", "OPS@example.com", "--json", "--database", database_url], capsys)
    issued = json.loads(out)
    assert (code, err) == (0, "")
    assert issued == {"id": issued["id"], "token": issued["token"], "email": EMAIL}
    assert issued["token"].startswith(f"dgt_{issued['id']}_")
    code, out, _ = run(["admin", "revoke-token", issued["token"], "--json", "--database", database_url], capsys)
    assert code == 0 and json.loads(out) == {"id": issued["id"], "revoked": True}


def test_tokens_refused_to_unknown_users_and_unknown_tokens_named(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["admin", "token", "nobody@example.com", "--database", database_url], capsys) == (
        1,
        "",
        "error: no user nobody@example.com\n",
    )
    assert run(["admin", "revoke-token", "0123456789ab", "--database", database_url], capsys) == (
        1,
        "",
        "error: no API token 0123456789ab\n",
    )


def test_an_actor_who_is_not_a_master_admin_is_refused_without_a_way_in(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEMOGEN_ACTOR", "nobody@example.com")
    code, out, err = run(
        ["tenant", "create", "--name", "Refused", "--from", "2025-01", "--to", "2025-01", "--database", database_url],
        capsys,
    )
    assert (code, out, err) == (1, "", "error: DEMOGEN_ACTOR 'nobody@example.com' is not a Master Admin\n")

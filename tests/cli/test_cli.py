"""The `demogen` CLI: JSON shapes, exit codes, and one-line errors that name the value and write nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from flows.cli import output
from flows.cli.main import main
from flows.store import open_store
from tests.helpers import insert_rows, insert_tenant, table_digest


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in-process, as wide as a real terminal so tables do not wrap."""
    output.console = Console(width=250)
    output.err_console = Console(width=250, stderr=True)
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def seeded(database_url: str) -> str:
    with open_store(database_url) as store:
        tenant = insert_tenant(store, slug="acme", name="Acme Corp Demo")
        insert_tenant(store, slug="realco", demo_generated=False)
        insert_rows(
            store,
            "contacts",
            [{"tenant_id": tenant.id, "status": "lead", "created_at": datetime(2025, 1, 5, 10, tzinfo=UTC)}],
        )
    return database_url


def test_init_is_idempotent(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["init", "--database", database_url, "--json"], capsys)
    assert code == 0
    report = json.loads(out)
    assert report["schemaVersion"] >= 1 and report["migrationsApplied"] == []
    assert report["masterAdmin"] == "admin@demogen.local"


def test_tenants_json_lists_demo_tenants_only_unless_all(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["tenants", "--database", seeded, "--json"], capsys)
    assert code == 0
    listed = json.loads(out)["tenants"]
    assert [t["slug"] for t in listed] == ["acme"]
    assert listed[0]["dataRange"] == {"from": "2025-01", "to": "2025-01"}
    assert listed[0]["counts"]["contacts"] == 1
    code, out, _ = run(["tenants", "--database", seeded, "--json", "--all"], capsys)
    assert {t["slug"] for t in json.loads(out)["tenants"]} == {"acme", "realco"}


def test_tenants_table_for_people(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["tenants", "--database", seeded], capsys)
    assert code == 0 and "acme" in out and "2025-01" in out


def test_kpis_json_has_every_month(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["kpis", "acme", "--from", "2024-12", "--to", "2025-02", "--json", "--database", seeded], capsys)
    assert code == 0
    months = json.loads(out)["months"]
    assert [m["month"] for m in months] == ["2024-12", "2025-01", "2025-02"]
    assert months[1]["metrics"]["leadsCreated"] == 1
    assert months[0]["metrics"]["closedWonValue"] == 0


def test_kpis_table_for_people(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["kpis", "acme", "--from", "2025-01", "--to", "2025-01", "--database", seeded], capsys)
    assert code == 0 and "2025-01" in out and "Leads" in out


@pytest.mark.parametrize("month", ["2025-13", "25-01", "2025/01", "2025-00", "jan"])
def test_malformed_month_is_a_usage_error(month: str, seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["kpis", "acme", "--from", month, "--to", "2025-02", "--database", seeded], capsys)
    assert code == 2
    assert f"'{month}'" in err and len(err.strip().splitlines()) == 1 and out == ""


def test_from_after_to_is_refused(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["kpis", "acme", "--from", "2025-03", "--to", "2025-01", "--database", seeded], capsys)
    assert code == 2 and "2025-03" in err and "2025-01" in err


def test_unknown_tenant_names_it_and_writes_nothing(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    with open_store(seeded) as store:
        before = table_digest(store)
    code, _, err = run(["kpis", "ghost-co", "--from", "2025-01", "--to", "2025-01", "--database", seeded], capsys)
    assert code == 1 and "'ghost-co'" in err and len(err.strip().splitlines()) == 1
    with open_store(seeded) as store:
        assert table_digest(store) == before


def test_unknown_scheme_and_unreachable_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["tenants", "--database", "mysql://root@localhost/crm"], capsys)
    assert code == 2 and "mysql://root@localhost/crm" in err
    code, _, err = run(["tenants", "--database", "postgresql://demo:secret@127.0.0.1:9/crm"], capsys)
    assert code == 1 and "127.0.0.1:9" in err and "secret" not in err
    missing_dir = tmp_path / "no" / "such" / "dir" / "x.duckdb"
    code, _, err = run(["tenants", "--database", f"duckdb:///{missing_dir}"], capsys)
    assert code == 1 and str(missing_dir.parent) in err and not missing_dir.parent.exists()


def test_bad_month_on_a_new_database_creates_no_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "fresh.duckdb"
    code, _, _ = run(
        ["kpis", "acme", "--from", "2025-13", "--to", "2025-01", "--database", f"duckdb:///{path}"], capsys
    )
    assert code == 2 and not path.exists()


def test_env_var_selects_the_database(seeded: str, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setenv("DEMOGEN_DATABASE_URL", seeded)
    code, out, _ = run(["tenants", "--json"], capsys)
    assert code == 0 and json.loads(out)["tenants"][0]["slug"] == "acme"


def test_real_process_prints_no_traceback(tmp_path: Path) -> None:
    """The installed entry point, as a user runs it: an error is one line on stderr."""
    env = os.environ | {"DEMOGEN_DATABASE_URL": f"duckdb:///{tmp_path / 'x.duckdb'}"}
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli.main", "kpis", "acme", "--from", "2025/01", "--to", "2025-02"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error:") and "'2025/01'" in result.stderr


def _loaded_after(code: str, tmp_path: Path) -> list[str]:
    """Which libraries that only some commands need a new process has loaded after running `code`."""
    optional = ("duckdb", "psycopg", "faker", "pyarrow")
    probe = f"{code}\nimport sys\nprint(*(m for m in {optional!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=True)
    return result.stdout.split()


def test_start_up_loads_no_database_driver_nor_generation_library(tmp_path: Path) -> None:
    """Importing the CLI loads neither backend's driver nor what only generation needs (~0.5 s of imports)."""
    assert _loaded_after("import flows.cli.main", tmp_path) == []


def test_a_duckdb_connection_loads_duckdb_alone(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'x.duckdb'}"
    assert _loaded_after(
        f"import flows.cli.main\nfrom flows.store import connect\nconnect({url!r}).close()", tmp_path
    ) == ["duckdb"]

"""The CLI for people: 80-column tables, --database anywhere, job id prefixes, names, "new", default ranges."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console

from flows.cli import output
from flows.cli.main import main
from flows.engine.revert import revert_job_id
from flows.store import open_store
from tests.cli.test_cli_jobs import PLAN, tenant_url  # noqa: F401  (the fixture)
from tests.helpers import insert_rows, insert_tenant, stage_id


def run_at(width: int, args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in-process on a terminal `width` columns wide."""
    output.console = Console(width=width)
    output.err_console = Console(width=width, stderr=True)
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def rows_of(out: str, first: str) -> list[list[str]]:
    """The lines of a table starting with `first`, as their cells (split on blanks)."""
    return [line.split() for line in out.splitlines() if line.startswith(first)]


@pytest.fixture
def won_url(database_url: str) -> str:
    """A tenant with one 36,300 won deal in 2025-01 and a company in 2025-03, and a tenant without data."""
    with open_store(database_url) as store:
        tenant = insert_tenant(store, slug="acme", name="Acme Corp Demo")
        insert_tenant(store, slug="empty-co", name="Empty Co")
        at = datetime(2025, 1, 10, 12, tzinfo=UTC)
        insert_rows(
            store,
            "deals",
            [
                {
                    "tenant_id": tenant.id,
                    "stage_id": stage_id(tenant.id, "Won"),
                    "value": Decimal("36300"),
                    "created_at": at,
                }
            ],
        )
        insert_rows(store, "companies", [{"tenant_id": tenant.id, "created_at": datetime(2025, 3, 2, tzinfo=UTC)}])
    return database_url


def test_kpis_fit_80_columns_with_every_number_whole(won_url: str, capsys) -> None:
    code, out, err = run_at(80, ["kpis", "acme", "--from", "2025-01", "--to", "2025-01", "--database", won_url], capsys)
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 80
    assert rows_of(out, "2025-01") == [["2025-01", "0", "0", "0", "1", "1", "36,300", "36,300", "0"]]


def test_kpis_without_from_and_to_show_the_data_range(won_url: str, capsys) -> None:
    code, out, err = run_at(250, ["kpis", "acme", "--json", "--database", won_url], capsys)
    assert code == 0, err
    assert [m["month"] for m in json.loads(out)["months"]] == ["2025-01", "2025-02", "2025-03"]
    code, out, _ = run_at(250, ["kpis", "acme", "--from", "2025-02", "--json", "--database", won_url], capsys)
    assert [m["month"] for m in json.loads(out)["months"]] == ["2025-02", "2025-03"]
    code, out, err = run_at(250, ["kpis", "empty-co", "--database", won_url], capsys)
    assert (code, out) == (1, "")
    assert err.strip() == "error: tenant empty-co has no data yet: give --from and --to to see empty months"


def test_database_before_the_command(won_url: str, capsys) -> None:
    code, out, err = run_at(250, ["--database", won_url, "tenants", "--json"], capsys)
    assert code == 0, err
    assert [t["slug"] for t in json.loads(out)["tenants"]] == ["acme", "empty-co"]


def test_tenants_and_jobs_fit_80_columns(tenant_url: str, capsys) -> None:  # noqa: F811
    code, out, _ = run_at(250, ["jobs", "--json", "--database", tenant_url], capsys)
    (generation,) = json.loads(out)["jobs"]
    records = generation["metrics"]["recordsCreated"]
    code, out, err = run_at(80, ["jobs", "--database", tenant_url], capsys)
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 80
    assert rows_of(out, generation["id"][:8]) == [
        [generation["id"][:8], "cli-demo", "completed", "additive/deltas", "2024-11…2024-12", f"{records:,}"]
    ]
    code, out, _ = run_at(250, ["tenants", "--json", "--database", tenant_url], capsys)
    (tenant,) = json.loads(out)["tenants"]
    counts = [f"{tenant['counts'][e]:,}" for e in ("companies", "contacts", "deals", "activities")]
    code, out, err = run_at(80, ["tenants", "--database", tenant_url], capsys)
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 80
    assert rows_of(out, "cli-demo") == [["cli-demo", "CLI", "Demo", "UTC", "2024-11", "…", *counts]]  # "2024-12" wraps


def _apply(url: str, plan: Path, job_id: str, capsys) -> dict:
    code, out, err = run_at(250, ["apply", str(plan), "--job-id", job_id, "--json", "--database", url], capsys)
    assert code == 0, err
    return json.loads(out)


def test_job_id_prefixes_names_and_new(tenant_url: str, tmp_path: Path, capsys) -> None:  # noqa: F811
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    first = _apply(tenant_url, plan, "abcdef12-0000-4000-8000-000000000001", capsys)["id"]

    code, out, err = run_at(250, ["--database", tenant_url, "job", "show", "abcdef12"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:3] == [
        f"Patch job {first}",
        "Tenant: CLI Demo (cli-demo)",
        "Created by: Master Admin <admin@demogen.local>",
    ]
    code, _, _ = run_at(
        250,
        ["job", "export", "abcdef12-00", "--format", "md", "-o", str(tmp_path / "r.md"), "--database", tenant_url],
        capsys,
    )
    report = (tmp_path / "r.md").read_text().splitlines()
    assert code == 0
    assert "- **Tenant**: CLI Demo (cli-demo)" in report
    assert "- **Created by**: Master Admin <admin@demogen.local>" in report
    assert "| 2025-01 | Leads | 0 | 20 | +20 | new | 20 | ✓ |" in report
    code, out, _ = run_at(250, ["job", "export", "abcdef12", "--format", "json", "--database", tenant_url], capsys)
    exported = json.loads(out)
    assert (exported["tenantName"], exported["createdByName"]) == (
        "CLI Demo (cli-demo)",
        "Master Admin <admin@demogen.local>",
    )
    code, out, _ = run_at(250, ["job", "export", "abcdef12", "--format", "csv", "--database", tenant_url], capsys)
    assert out.splitlines()[1] == (
        "2025-01,leadsCreated,0,20,20,,20,true,CLI Demo (cli-demo),Master Admin <admin@demogen.local>"
    )

    second = _apply(tenant_url, plan, "abcdef12-9000-4000-8000-000000000002", capsys)["id"]
    code, _, err = run_at(250, ["job", "show", "abcdef12", "--database", tenant_url], capsys)
    assert code == 1
    assert err.strip() == f"error: job id prefix 'abcdef12' is ambiguous ({first}, {second}): give more characters"
    code, _, err = run_at(250, ["revert", "fedcba98", "--database", tenant_url], capsys)
    assert (code, err.strip()) == (1, "error: no job id starts with 'fedcba98' (see `demogen jobs`)")
    code, _, err = run_at(250, ["job", "export", "abcdef1", "--format", "md", "--database", tenant_url], capsys)
    assert (code, err.strip()) == (1, "error: job id prefix 'abcdef1' is too short: give at least 8 characters")
    code, out, err = run_at(250, ["revert", "abcdef12-9", "--json", "--database", tenant_url], capsys)
    assert code == 0, err
    assert json.loads(out)["id"] == revert_job_id(second)


def test_a_refused_plan_draws_no_progress_bar(tenant_url: str, tmp_path: Path, capsys) -> None:  # noqa: F811
    plan = tmp_path / "bad.yaml"
    plan.write_text(PLAN.replace("closedWonCount: 1", "closedWonCount: 9"))
    code, out, err = run_at(250, ["apply", str(plan), "--database", tenant_url], capsys)
    assert code == 1 and "Errors: nothing was applied" in out
    assert err.splitlines() == ["error: plan is invalid: closedWonCount (9) cannot exceed dealsCreated (4) (2025-01)"]


def test_grow_from_a_chosen_base_month(won_url: str, capsys) -> None:
    args = [
        "plan",
        "grow",
        "--tenant",
        "acme",
        "--from",
        "2025-04",
        "--months",
        "1",
        "--pct",
        "10",
        "--database",
        won_url,
        "--json",
    ]
    code, out, err = run_at(250, [*args, "--base", "2025-01"], capsys)
    assert code == 0, err
    assert err.splitlines()[0] == "1 months from 2025-04, growing 10% a month from 2025-01 of acme"
    (month,) = json.loads(out)["months"]
    assert month["metrics"]["closedWonValue"] == 39930
    code, out, err = run_at(250, args, capsys)
    assert code == 0, err
    assert err.splitlines()[0] == "1 months from 2025-04, growing 10% a month from 2025-03 of acme"

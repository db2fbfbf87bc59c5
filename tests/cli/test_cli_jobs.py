"""apply, jobs, job show/export, revert, tenant create and demo as a user runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from flows.store import open_store
from tests.cli.test_cli import run
from tests.helpers import table_digest

PLAN = """\
tenant: cli-demo
mode: additive
planType: deltas
seed: cli
months:
  - month: 2025-01
    metrics: {leadsCreated: 20, contactsCreated: 10, companiesCreated: 3, dealsCreated: 4,
              closedWonCount: 1, closedWonValue: 5000, pipelineAddedValue: 12000}
"""


@pytest.fixture
def tenant_url(database_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = run(
        [
            "tenant",
            "create",
            "--name",
            "CLI Demo",
            "--from",
            "2024-11",
            "--to",
            "2024-12",
            "--seed",
            "1",
            "--template",
            "steady-growth",
            "--database",
            database_url,
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    created = json.loads(out)
    assert created["slug"] == "cli-demo" and created["generationJobId"] and created["id"]
    assert created["status"] == "completed" and created["recordsCreated"] > 0
    return database_url


def test_apply_prints_the_job_and_is_idempotent(tenant_url: str, tmp_path: Path, capsys) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    code, out, err = run(["apply", str(plan), "--database", tenant_url, "--json"], capsys)
    assert code == 0, err
    job = json.loads(out)
    for key in (
        "id",
        "tenantId",
        "status",
        "mode",
        "planType",
        "patchPlan",
        "beforeKpis",
        "afterKpis",
        "diffReport",
        "metrics",
        "progress",
        "currentStep",
        "logs",
        "createdAt",
        "completedAt",
        "errorMessage",
    ):
        assert key in job
    assert job["status"] == "completed" and job["progress"] == 100
    assert job["metrics"]["recordsCreated"] == 20 + 10 + 3 + 4 + 20
    assert set(job["metrics"]) >= {"recordsCreated", "recordsModified", "recordsDeleted"}
    jan = next(m for m in job["diffReport"]["months"] if m["month"] == "2025-01")
    leads = next(m for m in jan["metrics"] if m["metric"] == "leadsCreated")
    assert leads == {**leads, "before": 0, "after": 20, "delta": 20, "target": 20, "pass": True}

    assert job["alreadyApplied"] is False

    # applying it again creates nothing, and says so rather than showing the old result
    code, out, err = run(["apply", str(plan), "--database", tenant_url], capsys)
    assert code == 0, err
    assert out == f"{applied_line(job)}\nWhat it created: demogen job show {job['id'][:8]}\n"
    code, out, err = run(["apply", str(plan), "--database", tenant_url, "--json"], capsys)
    assert code == 0, err
    assert json.loads(out) == job | {"alreadyApplied": True}
    code, out, _ = run(["jobs", "--tenant", "cli-demo", "--database", tenant_url, "--json"], capsys)
    listed = json.loads(out)["jobs"]
    assert [j["id"] for j in listed].count(job["id"]) == 1 and len(listed) == 2  # generation + this patch


def applied_line(job: dict[str, Any]) -> str:
    completed = datetime.fromisoformat(job["completedAt"]).astimezone(UTC)
    return f"already applied as job {job['id']} on {completed:%Y-%m-%d %H:%M} UTC; nothing created"


def test_validate_of_an_applied_plan_says_so_and_previews_nothing(tenant_url: str, tmp_path: Path, capsys) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    code, out, _ = run(["validate", str(plan), "--database", tenant_url], capsys)
    assert code == 0 and "Estimated records to create" in out and "alread" not in out
    code, out, err = run(["apply", str(plan), "--database", tenant_url, "--json"], capsys)
    assert code == 0, err
    job = json.loads(out)
    with open_store(tenant_url) as store:
        before = table_digest(store)

    code, out, err = run(["validate", str(plan), "--database", tenant_url], capsys)
    assert code == 0, err
    assert out == (
        f"{applied_line(job)}\n"
        f"What it created: demogen job show {job['id'][:8]}\n"
        f"{plan}: ADDITIVE DELTAS plan for CLI Demo (cli-demo), 1 month (2025-01 … 2025-01)\n"
        "Preview: applying it again creates nothing.\n"
    )
    code, out, err = run(["validate", str(plan), "--database", tenant_url, "--json"], capsys)
    assert code == 0, err
    stored = {key: value for key, value in job.items() if key != "alreadyApplied"}
    assert json.loads(out) == {
        "valid": True,
        "errors": [],
        "warnings": [],
        "preview": None,
        "alreadyApplied": True,
        "message": applied_line(job),
        "job": stored,
    }
    with open_store(tenant_url) as store:
        assert table_digest(store) == before


def test_invalid_plan_exits_1_and_writes_nothing(tenant_url: str, tmp_path: Path, capsys) -> None:
    plan = tmp_path / "bad.yaml"
    plan.write_text(PLAN.replace("closedWonCount: 1", "closedWonCount: 9"))
    with open_store(tenant_url) as store:
        before = table_digest(store)
    code, out, err = run(["apply", str(plan), "--database", tenant_url, "--json"], capsys)
    assert code == 1
    result = json.loads(out)
    assert result["valid"] is False
    assert any(
        e["code"] == "V-4" and e["message"] == "closedWonCount (9) cannot exceed dealsCreated (4) (2025-01)"
        for e in result["errors"]
    )
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    with open_store(tenant_url) as store:
        assert table_digest(store) == before


def test_bad_apply_arguments_are_one_line_errors(tenant_url: str, tmp_path: Path, capsys) -> None:
    code, _, err = run(["apply", str(tmp_path / "missing.yaml"), "--database", tenant_url], capsys)
    assert code in (1, 2) and "missing.yaml" in err and len(err.strip().splitlines()) == 1
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    code, _, err = run(["apply", str(plan), "--job-id", "not-a-uuid", "--database", tenant_url], capsys)
    assert code == 2 and "not-a-uuid" in err
    code, _, err = run(["job", "show", "12345678-1234-4234-8234-123456789012", "--database", tenant_url], capsys)
    assert code == 1 and "12345678-1234-4234-8234-123456789012" in err
    code, _, err = run(["job", "show", "nope", "--database", tenant_url], capsys)
    assert code == 1 and "'nope'" in err
    code, _, err = run(["jobs", "--tenant", "ghost", "--database", tenant_url], capsys)
    assert code == 1 and "'ghost'" in err


def test_show_export_and_revert(tenant_url: str, tmp_path: Path, capsys) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    code, out, _ = run(["apply", str(plan), "--database", tenant_url, "--json"], capsys)
    job_id = json.loads(out)["id"]

    code, out, _ = run(["job", "show", job_id, "--database", tenant_url], capsys)
    assert code == 0 and job_id in out and "Log" in out and "publish" in out
    for fmt, marker in (
        ("md", "| 2025-01 | Leads | 0 | 20 | +20 |"),
        ("csv", "2025-01,leadsCreated,0,20,20"),
        ("html", "<svg"),
        ("json", f'"id": "{job_id}"'),
    ):
        target = tmp_path / f"report.{fmt}"
        code, _, _ = run(
            ["job", "export", job_id, "--format", fmt, "-o", str(target), "--database", tenant_url], capsys
        )
        assert code == 0 and marker in target.read_text(), fmt
    code, out, _ = run(["job", "export", job_id, "--format", "csv", "--database", tenant_url], capsys)
    assert out.startswith("month,metric,before,after,delta,pct_change,target,pass")

    code, out, _ = run(["revert", job_id, "--database", tenant_url, "--json"], capsys)
    assert code == 0
    undone = json.loads(out)
    assert undone["mode"] == "revert" and undone["metrics"]["recordsDeleted"] == 57
    code, out, err = run(["apply", str(plan), "--database", tenant_url], capsys)
    assert code == 1 and "was reverted" in err


def test_demo_is_the_readme_main_job(database_url: str, capsys) -> None:
    code, out, err = run(["demo", "--database", database_url], capsys)
    assert code == 0, err
    assert "Acme Corp Demo" in out and "KPI comparison" in out
    assert "Leads: 180" in out and "Contacts: 144" in out and "Companies: 36" in out and "Deals: 30" in out
    assert "Activities: 288" in out
    code, out, _ = run(["demo", "--database", database_url, "--json"], capsys)
    job = json.loads(out)
    assert job["status"] == "completed" and job["diffReport"]["allTargetsMet"] is True
    assert job["alreadyApplied"] is True  # the first run applied it: this one created nothing
    code, out, _ = run(["demo", "--database", database_url], capsys)
    assert code == 0 and out == (
        "Applying plans/examples/first-quarter-2025.yaml (DELTAS, 2025-01 … 2025-03)\n"
        f"{applied_line(job)}\n"
        f"What it created: demogen job show {job['id'][:8]}\n"
    )
    code, out, _ = run(["tenants", "--database", database_url, "--json"], capsys)
    (tenant,) = json.loads(out)["tenants"]
    assert tenant["slug"] == "acme-corp-demo" and tenant["dataRange"] == {"from": "2024-01", "to": "2025-03"}


def test_verbose_shows_each_step_with_its_figures_on_stderr(tenant_url: str, tmp_path: Path) -> None:
    """-v before the command: one log line per step on stderr, while stdout keeps the JSON."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    url = tenant_url
    if url.startswith("duckdb:///"):  # dbt keeps this process's DuckDB file open: the child gets a copy
        copy = tmp_path / "child.duckdb"
        for suffix in ("", ".wal"):  # the write-ahead log holds what is not checkpointed yet
            if Path(url.removeprefix("duckdb:///") + suffix).exists():
                shutil.copyfile(url.removeprefix("duckdb:///") + suffix, f"{copy}{suffix}")
        url = f"duckdb:///{copy}"
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli.main", "-v", "--database", url, "apply", str(plan), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    created = job["metrics"]["recordsCreated"]
    marker = " INFO flows.engine.steps: "
    steps = [line.split(marker, 1)[1] for line in result.stderr.splitlines() if marker in line]
    assert [step.split(":", 1)[0] for step in steps] == [
        "prepare",
        "generate",
        "write",
        "audit",
        "publish",
        "verify",
        "report",
    ]
    assert steps[0] == "prepare: 1 month(s) of cli-demo read from the KPI model; plan valid"
    assert steps[2].startswith(f"write: wrote {created:,} draft rows in ")
    assert steps[4] == f"publish: published {created:,} rows of job {job['id']} in one transaction"
    assert steps[-1] == "report: after-KPIs and the diff report stored; all targets met: True"

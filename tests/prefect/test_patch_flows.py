"""apply_patch, validate_patch and list_demo_tenants as Prefect flow runs: parameters, tasks, artifacts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from flows.engine.steps import PlanInvalid
from flows.kpis.reads import monthly_kpis
from flows.list_tenants import list_demo_tenants
from flows.patch import PatchFailed, apply_patch
from flows.store import open_store
from flows.store.jobs import list_jobs
from flows.store.tenants import resolve_tenant
from flows.validate import validate_patch
from generators.errors import UsageError
from tests.helpers import table_digest
from tests.prefect.conftest import SLUG, artifacts_of, task_logs, task_names, task_runs

# The flows' behaviour on PostgreSQL is the engine's (tests/engine); here DuckDB keeps the suite quick.
pytestmark = [pytest.mark.usefixtures("prefect_api"), pytest.mark.parametrize("backend", ["duckdb"])]

EXAMPLE_CSV = (
    "month,leadsCreated,contactsCreated,companiesCreated,dealsCreated,closedWonCount,closedWonValue,pipelineAddedValue\n"
    "2025-01,50,40,10,8,3,25000,75000\n"
)
SMALL = {"leadsCreated": 6, "contactsCreated": 4, "companiesCreated": 2, "dealsCreated": 3, "closedWonCount": 1,
         "closedWonValue": 9000, "pipelineAddedValue": 21000}  # fmt: skip


def run(flow: Any, **parameters: Any) -> tuple[Any, Any]:
    """Run a flow; return (its final state, its flow run id)."""
    state = flow(**parameters, return_state=True)
    return state, state.state_details.flow_run_id


def kpis(database_url: str, first: str, last: str) -> dict[str, dict[str, Any]]:
    with open_store(database_url) as store:
        return monthly_kpis(store, resolve_tenant(store, SLUG), first, last)


def test_plan_path_run_applies_the_plan_as_tasks_and_publishes_artifacts(acme: str) -> None:
    state, run_id = run(apply_patch, plan_path="plans/examples/first-quarter-2025.yaml", database_url=acme)

    assert state.is_completed(), state.message
    job = state.result()
    assert job["status"] == "completed" and job["metrics"]["recordsCreated"] == 678
    assert kpis(acme, "2025-01", "2025-01")["2025-01"]["leadsCreated"] == 50
    # the engine's steps, each a task of the run
    assert task_names(run_id) == [
        "read_plan",
        "prepare",
        "generate_and_write",
        "audit",
        "publish",
        "verify",
        "report",
        "create_artifacts",
    ]
    found = artifacts_of(run_id)
    assert set(found) == {
        f"kpi-comparison-{SLUG}",
        f"patch-summary-{SLUG}",
        f"patch-progress-{SLUG}",
        f"dbt-tests-{SLUG}",
    }
    comparison = found[f"kpi-comparison-{SLUG}"]
    assert len(comparison) == 3 * 8  # three months, eight metrics
    assert list(comparison[0]) == ["Month", "Metric", "Before", "After", "Delta", "%", "Target", "Pass"]
    assert comparison[0] | {} == {
        "Month": "2025-01",
        "Metric": "Leads",
        "Before": "0",
        "After": "50",
        "Delta": "+50",
        "%": "new",  # Before was 0
        "Target": "50",
        "Pass": "✓",
    }
    won_value = next(r for r in comparison if r["Month"] == "2025-03" and r["Metric"] == "Won value")
    assert (won_value["After"], won_value["Target"], won_value["Pass"]) == ("40,000", "40,000", "✓")
    assert all(r["Pass"] in {"✓", "—"} for r in comparison)

    summary = found[f"patch-summary-{SLUG}"]
    assert job["id"] in summary and "✓ Completed" in summary
    assert "plans/examples/first-quarter-2025.yaml" in summary  # plan source
    assert "| Leads | 180 |" in summary and "| Activities | 288 |" in summary  # records per entity
    assert "| Duration |" in summary and "| Records created | 678 |" in summary

    assert found[f"patch-progress-{SLUG}"] == 100
    tests = found[f"dbt-tests-{SLUG}"]
    phases = {r["Phase"].split(":")[0] for r in tests}
    assert phases == {"audit", "verification"}
    assert all(r["Status"] == "pass" for r in tests)
    assert len(tests) == len(job["diffReport"]["audit"]["tests"]) + len(job["diffReport"]["verification"]["tests"])

    # the tenant list and its monthly KPI summary, on the same data
    state, run_id = run(list_demo_tenants, database_url=acme)
    assert state.is_completed(), state.message
    listed = state.result()
    assert [t["slug"] for t in listed] == [SLUG]
    assert listed[0]["dataRange"] == {"from": "2025-01", "to": "2025-03"}
    found = artifacts_of(run_id)
    assert found["demo-tenants"][0]["Data range"] == "2025-01 … 2025-03"
    assert found["demo-tenants"][0]["Companies"] == 36
    summary_rows = found[f"kpi-summary-{SLUG}"]
    assert [r["Month"] for r in summary_rows] == ["2025-01", "2025-02", "2025-03"]
    assert summary_rows[1]["Won value"] == "32,000"


def test_each_step_task_receives_what_the_step_before_returned_and_logs_its_figures(acme: str) -> None:
    state, run_id = run(apply_patch, plan_path="plans/examples/first-quarter-2025.yaml", database_url=acme)
    assert state.is_completed(), state.message

    runs = task_runs(run_id)

    # the graph shows the data flowing: each task's inputs name the task runs whose results it got
    def upstream(task: str, parameter: str) -> set[str]:
        ids = {getattr(i, "id", None) for i in runs[task].task_inputs[parameter]}
        return {name for name, r in runs.items() if r.id in ids}

    assert upstream("generate_and_write", "prepared") == {"prepare"}
    assert upstream("publish", "written") == {"generate_and_write"}
    assert upstream("publish", "audited") == {"audit"}
    assert upstream("report", "verified") == {"verify"}

    logs = task_logs(run_id)
    drafted = logs.get(runs["generate_and_write"].id, [])
    generated = [m for m in drafted if m.startswith("generate: generated 678 records in ")]
    assert len(generated) == 1, drafted
    assert generated[0].endswith(" s: companies 36, contacts 324, deals 30, activities 288")
    wrote = [m for m in drafted if m.startswith("write: wrote 678 draft rows in ")]
    assert len(wrote) == 1, drafted
    assert wrote[0].endswith(" s after generation ended")


def test_pasted_csv_text_is_a_plan(acme: str) -> None:
    state, run_id = run(apply_patch, csv_text=EXAMPLE_CSV, tenant=SLUG, plan_type="deltas", database_url=acme)

    assert state.is_completed(), state.message
    after = kpis(acme, "2025-01", "2025-01")["2025-01"]
    assert (after["leadsCreated"], after["closedWonValue"]) == (50, 25000)
    assert "pasted CSV" in artifacts_of(run_id)[f"patch-summary-{SLUG}"]


def test_inline_plan_as_the_ui_form_sends_it(acme: str) -> None:
    form = {
        "tenant": SLUG,
        "mode": "additive",
        "planType": "targets",
        "months": [{"month": "2025-02", "metrics": SMALL}],
    }
    state, _ = run(apply_patch, plan=form, database_url=acme)

    assert state.is_completed(), state.message
    assert state.result()["planType"] == "targets"
    after = kpis(acme, "2025-02", "2025-02")["2025-02"]
    assert {name: after[name] for name in SMALL} == SMALL


@pytest.mark.parametrize(
    "parameters, message",
    [
        ({}, "give exactly one of plan_path, plan or csv_text (got none)"),
        ({"plan_path": "plans/examples/first-quarter-2025.yaml", "csv_text": EXAMPLE_CSV}, "(got plan_path, csv_text)"),
        ({"plan_path": "../outside.yaml"}, "leaves the project root"),
        ({"plan_path": "/etc/passwd"}, "must be relative to the project root"),
    ],
)
def test_plan_source_mistakes_fail_the_run_naming_them(acme: str, parameters: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        apply_patch(database_url=acme, **parameters)


def test_invalid_plan_fails_the_run_writes_nothing_and_says_why(acme: str) -> None:
    with open_store(acme) as store:
        before = table_digest(store)
    state, run_id = run(apply_patch, csv_text="month,leadsCreated\n2025-01,-5\n", tenant=SLUG, database_url=acme)

    assert state.is_failed()
    with open_store(acme) as store:
        assert table_digest(store) == before and list_jobs(store) == []
    summary = artifacts_of(run_id)[f"patch-summary-{SLUG}"]
    assert "Invalid" in summary and "`V-1` Cannot reduce leadsCreated in ADDITIVE mode" in summary


def test_a_failed_job_fails_the_run_and_its_summary_says_why(acme: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.engine import drafts

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(drafts, "write_drafts", disk_full)
    with pytest.raises(PatchFailed, match="disk full") as raised:
        apply_patch(csv_text=EXAMPLE_CSV, tenant=SLUG, database_url=acme)

    assert raised.value.job.status == "failed"
    state, run_id = run(apply_patch, csv_text=EXAMPLE_CSV, tenant=SLUG, database_url=acme)
    assert state.is_failed()
    found = artifacts_of(run_id)
    assert "✗ Failed" in found[f"patch-summary-{SLUG}"] and "disk full" in found[f"patch-summary-{SLUG}"]
    assert found[f"dbt-tests-{SLUG}"][0]["Status"] == "failed"
    with open_store(acme) as store:
        assert store.scalar("SELECT count(*) AS n FROM contacts") == 0


def test_validate_returns_the_preview_and_writes_nothing(acme: str) -> None:
    with open_store(acme) as store:
        before = table_digest(store, ("tenants", "users", "companies", "contacts", "deals", "activities"))
    state, run_id = run(validate_patch, plan_path="plans/examples/first-quarter-2025.yaml", database_url=acme)

    assert state.is_completed(), state.message
    result = state.result()
    assert result["valid"] and result["errors"] == []
    assert result["preview"]["total"]["records"]["total"] == 678
    with open_store(acme) as store:
        assert table_digest(store, ("tenants", "users", "companies", "contacts", "deals", "activities")) == before
        assert list_jobs(store) == []
    preview = artifacts_of(run_id)[f"plan-preview-{SLUG}"]
    assert "✓ All metrics valid" in preview and "| leads | 180 |" in preview


def test_validate_fails_the_run_of_an_invalid_plan_once_its_artifact_lists_the_errors(acme: str) -> None:
    state, run_id = run(
        validate_patch, csv_text="month,closedWonCount,dealsCreated\n2025-01,5,2\n", tenant=SLUG, database_url=acme
    )

    assert state.is_failed()
    with pytest.raises(PlanInvalid) as raised:
        state.result()
    assert str(raised.value) == "plan is invalid: closedWonCount (5) cannot exceed dealsCreated (2) (2025-01)"
    assert [e.code for e in raised.value.result.errors] == ["V-4"]
    preview = artifacts_of(run_id)[f"plan-preview-{SLUG}"]
    assert "✗ **Invalid**: nothing can be applied" in preview
    assert "- `V-4` closedWonCount (5) cannot exceed dealsCreated (2) (2025-01)" in preview.splitlines()


def _without_duration(markdown: str) -> str:
    return re.sub(r"\| Flow run duration \| [0-9.]+ s \|", "| Flow run duration | N s |", markdown)


def test_a_run_of_an_applied_plan_creates_nothing_and_its_summary_says_so(acme: str) -> None:
    state, _ = run(apply_patch, csv_text=EXAMPLE_CSV, tenant=SLUG, database_url=acme)
    assert state.is_completed(), state.message
    job = state.result()
    with open_store(acme) as store:
        before = table_digest(store)

    state, run_id = run(apply_patch, csv_text=EXAMPLE_CSV, tenant=SLUG, database_url=acme)

    assert state.is_completed(), state.message
    assert state.result()["id"] == job["id"]
    with open_store(acme) as store:
        assert table_digest(store) == before and len(list_jobs(store)) == 1
    assert task_names(run_id) == ["read_plan", "create_artifacts"]  # no step ran
    found = artifacts_of(run_id)
    assert set(found) == {f"patch-summary-{SLUG}", f"patch-progress-{SLUG}"}  # no comparison of an old run
    completed = datetime.fromisoformat(job["completedAt"]).astimezone(UTC)
    label = f"prefect flow run {_flow_run_name(run_id)}: pasted CSV"
    assert _without_duration(found[f"patch-summary-{SLUG}"]) == "\n".join(
        [
            f"# Patch job {job['id']}",
            "",
            f"**already applied as job {job['id']} on {completed:%Y-%m-%d %H:%M} UTC; nothing created**",
            "",
            "| | |",
            "|---|---|",
            "| Status | ✓ Already applied: nothing created |",
            f"| Job id | `{job['id']}` |",
            f"| Tenant | Acme Corp Demo (`{SLUG}`) |",
            f"| Plan source | {label} |",
            "| Mode / plan type | additive / deltas |",
            "| Months | 2025-01 … 2025-01 |",
            "| Flow run duration | N s |",
            "| Records created | 0 |",
            f"| Records the job created when it ran | {job['metrics']['recordsCreated']:,} |",
            "",
            f"What the job created: `demogen job show {job['id']}`",
            "",
        ]
    )

    state, run_id = run(validate_patch, csv_text=EXAMPLE_CSV, tenant=SLUG, database_url=acme)
    assert state.is_completed(), state.message
    result = state.result()
    assert (result["alreadyApplied"], result["preview"], result["job"]["id"]) == (True, None, job["id"])
    assert artifacts_of(run_id)[f"plan-preview-{SLUG}"] == "\n".join(
        [
            "# Plan preview: Acme Corp Demo (`acme-corp-demo`)",
            "",
            "Plan source: pasted CSV",
            "",
            f"✓ already applied as job {job['id']} on {completed:%Y-%m-%d %H:%M} UTC; nothing created",
            "",
            "Applying it again creates nothing: there is nothing to preview.",
            "",
        ]
    )


def _flow_run_name(flow_run_id: Any) -> str:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(flow_run_id).name

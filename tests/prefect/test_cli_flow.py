"""`demogen apply` runs the engine, or with DEMOGEN_PREFECT=1 the apply_patch flow: same output, quiet terminal."""

from __future__ import annotations

import json

import pytest

from flows.store import open_store
from flows.store.jobs import list_jobs
from tests.cli.test_cli import run
from tests.cli.test_cli_jobs import applied_line
from tests.prefect.conftest import SLUG, artifacts_of

pytestmark = pytest.mark.parametrize("backend", ["duckdb"])


def _apply_runs() -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["apply-patch"])), sort=FlowRunSort.START_TIME_DESC
        )


def test_cli_apply_runs_the_flow_when_prefect_is_configured(
    acme: str, prefect_api: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    monkeypatch.setenv("DEMOGEN_PREFECT", "1")

    code, out, err = run(["apply", "plans/examples/first-quarter-2025.yaml", "--database", acme, "--json"], capsys)

    assert code == 0, err
    job = json.loads(out)  # stdout is the JSON and nothing else
    assert job["status"] == "completed" and job["metrics"]["recordsCreated"] == 678
    assert "INFO" not in err and "Flow run" not in err  # Prefect stays off the terminal
    assert job["logs"][0]["message"] == "job created from cli: plans/examples/first-quarter-2025.yaml"
    flow_run = _apply_runs()[0]
    assert flow_run.state.is_completed()
    found = artifacts_of(flow_run.id)
    assert job["id"] in found[f"patch-summary-{SLUG}"]
    assert found[f"patch-progress-{SLUG}"] == 100

    runs_before = len(_apply_runs())
    code, out, err = run(["apply", "plans/examples/first-quarter-2025.yaml", "--database", acme], capsys)

    assert code == 0, err  # a re-run: found applied before anything runs, so no flow run either
    assert out == f"{applied_line(job)}\nWhat it created: demogen job show {job['id'][:8]}\n"
    assert len(_apply_runs()) == runs_before
    with open_store(acme) as store:
        assert len(list_jobs(store)) == 1


def test_cli_apply_through_the_flow_keeps_exit_codes_and_messages(
    acme: str, prefect_api: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("month,leadsCreated\n2025-01,-5\n")
    commands = [
        ["apply", str(bad), "--tenant", SLUG, "--database", acme, "--json"],  # invalid plan
        ["apply", str(bad), "--tenant", "nobody", "--database", acme],  # unknown tenant
    ]
    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    runs_before = len(_apply_runs())
    engine = [run(command, capsys) for command in commands]
    assert len(_apply_runs()) == runs_before  # a configured server alone does not route the CLI through Prefect
    monkeypatch.setenv("DEMOGEN_PREFECT", "1")
    through_flow = [run(command, capsys) for command in commands]
    # the invalid plan runs the flow; the unknown tenant is refused before (finding the plan's job needs the tenant)
    assert len(_apply_runs()) == runs_before + 1

    for (code, out, err), (flow_code, flow_out, flow_err) in zip(engine, through_flow, strict=True):
        assert (flow_code, flow_out) == (code, out) and code == 1
        assert flow_err.splitlines()[-1] == err.splitlines()[-1]  # the one-line error (after the bar's line)
    assert json.loads(through_flow[0][1])["errors"][0]["code"] == "V-1"
    assert through_flow[1][2].splitlines()[-1].startswith("error: unknown tenant 'nobody'")

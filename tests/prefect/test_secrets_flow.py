"""Through Prefect too, a database password reaches no flow run parameter, log, artifact or stored result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from tests.cli.test_cli import run
from tests.cli.test_secrets import NEEDLES, secret_url
from tests.prefect.conftest import add_demo_tenant, artifacts_of

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("prefect_api")]
__all__ = ["secret_url"]  # the fixture, for pytest to find here


def _apply_runs() -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["apply-patch"])), sort=FlowRunSort.START_TIME_DESC
        )


def _logs(flow_run_id: UUID) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
    return [entry.message for entry in logs]


def test_a_password_url_reaches_no_flow_run(
    secret_url: str, prefect_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH

    add_demo_tenant(secret_url)
    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    monkeypatch.setenv("DEMOGEN_PREFECT", "1")
    bad = tmp_path / "bad.csv"
    bad.write_text("month,leadsCreated\n2025-01,-5\n")
    runs_before = len(_apply_runs())

    applied = run(["apply", "plans/examples/first-quarter-2025.yaml", "--database", secret_url, "--json"], capsys)
    refused = run(["apply", str(bad), "--tenant", "acme-corp-demo", "--database", secret_url], capsys)

    assert applied[0] == 0, applied[2]
    assert refused[0] == 1 and refused[2].splitlines()[-1] == (
        "error: plan is invalid: Cannot reduce leadsCreated in ADDITIVE mode. Computed delta: -5 (2025-01)"
    )
    flow_runs = _apply_runs()[: len(_apply_runs()) - runs_before]
    assert [r.state.type.value for r in flow_runs] == ["FAILED", "COMPLETED"]
    assert [r.parameters["database_url"] for r in flow_runs] == [None, None]  # it travelled by environment
    seen = [applied, refused, *(r.parameters for r in flow_runs)]
    seen += [_logs(r.id) for r in flow_runs] + [artifacts_of(r.id) for r in flow_runs]
    text = json.dumps(seen, default=str)
    stored = [
        path.read_bytes() for path in Path(PREFECT_RESULTS_LOCAL_STORAGE_PATH.value()).rglob("*") if path.is_file()
    ]
    assert [needle for needle in NEEDLES if needle in text] == []
    assert [needle for needle in NEEDLES for data in stored if needle.encode() in data] == []

"""One throwaway Prefect API per session (prefect_test_harness), demo tenants, and artifact readers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from flows.store import open_store
from flows.store.tenants import Tenant
from tests.helpers import insert_tenant, present

SLUG = "acme-corp-demo"
CREATED = datetime(2024, 11, 1, 5, 0, tzinfo=UTC)  # midnight in New York: the tenant's first month is 2024-11


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A temporary Prefect server on SQLite for the whole session; yields its API URL."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    from flows.patch import quiet_console

    storage = tmp_path_factory.mktemp("prefect-storage")  # failed runs persist their exception here
    settings = {PREFECT_RESULTS_LOCAL_STORAGE_PATH: storage, PREFECT_SERVER_ANALYTICS_ENABLED: False}
    # Prefect's console handler holds the stream pytest captured when Prefect was imported: keep it quiet.
    with quiet_console(), temporary_settings(settings), prefect_test_harness(server_startup_timeout=180):
        yield str(PREFECT_API_URL.value())


def add_demo_tenant(database_url: str, slug: str = SLUG, name: str = "Acme Corp Demo") -> Tenant:
    """A demo tenant in New York created 2024-11, with sales reps and stages, and no data yet."""
    with open_store(database_url) as store:
        tenant = insert_tenant(store, slug=slug, name=name, timezone="America/New_York", created_at=CREATED)
        for n in range(3):
            store.execute(
                "INSERT INTO users (id, tenant_id, email, name, role) VALUES (?, ?, ?, ?, 'sales_rep')",
                (str(UUID(int=UUID(tenant.id).int + n + 1)), tenant.id, f"rep{n}@{slug}.demo", f"Rep {n}"),
            )
    return tenant


@pytest.fixture
def acme(database_url: str) -> str:
    """A fresh database holding the demo tenant acme-corp-demo; yields its URL."""
    add_demo_tenant(database_url)
    return database_url


def artifacts_of(flow_run_id: UUID) -> dict[str, Any]:
    """The artifacts a flow run (and its tasks) published, by key: tables decoded, markdown as text."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    out: dict[str, Any] = {}
    for artifact in found:
        if artifact.key is None:
            continue
        data = artifact.data
        out[artifact.key] = json.loads(data) if artifact.type == "table" and isinstance(data, str) else data
    return out


def task_names(flow_run_id: UUID) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return [
        run.name.rsplit("-", 1)[0] for run in sorted(runs, key=lambda r: present(r.expected_start_time or r.created))
    ]


def project_file(path: str) -> Path:
    return Path(__file__).resolve().parents[2] / path


def task_runs(flow_run_id: UUID) -> dict[str, Any]:
    """The task runs of a flow run by task name (each task runs once per flow run here)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return {run.name.rsplit("-", 1)[0]: run for run in runs}


def task_logs(flow_run_id: UUID) -> dict[UUID | None, list[str]]:
    """The log messages Prefect stored for a flow run, grouped by the task run that logged them."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()  # logs travel to the API in batches: send what is queued
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
    grouped: dict[UUID | None, list[str]] = {}
    for entry in logs:
        grouped.setdefault(entry.task_run_id, []).append(entry.message)
    return grouped

"""The whole path of the README: a real Prefect server, `prefect deploy` from prefect.yaml, a worker, a run."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from flows.store import open_store
from flows.store.jobs import list_jobs
from tests.prefect.conftest import SLUG
from tests.prefect_server import (
    PREFECT,
    ROOT,
    prefect_api_post,
    prefect_cli,
    start_process,
    stop_process,
)

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["duckdb"])]


def test_apply_plan_deployment_completes_a_run_on_a_worker(
    prefect_server: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    env = prefect_server
    # In a child process: after dbt has run in this one, DuckDB files it opens stay locked until it exits.
    setup = f"from tests.prefect.conftest import add_demo_tenant; add_demo_tenant({database_url!r})"
    subprocess.run([sys.executable, "-c", setup], env=env, cwd=ROOT, check=True, timeout=300)
    prefect_cli("work-pool", "create", "demogen", "--type", "process", env=env)
    # Deploying from the project root captures it for the local pull step (prefect.yaml).
    prefect_cli("--no-prompt", "deploy", "--name", "apply-plan-local", env=env | {"PWD": str(ROOT)})
    # DuckDB has a single writer: a second run of the deployment waits for the first
    with urllib.request.urlopen(f"{env['PREFECT_API_URL']}/deployments/name/apply-patch/apply-plan-local") as got:
        deployment = json.loads(got.read())
    limit = (deployment["global_concurrency_limit"] or {}).get("limit")
    assert (limit, deployment["concurrency_options"]["collision_strategy"]) == (1, "ENQUEUE")
    worker = start_process([PREFECT, "worker", "start", "--pool", "demogen"], env, tmp_path / "worker.log")
    try:
        out = prefect_cli(
            "deployment",
            "run",
            "apply-patch/apply-plan-local",
            "--param",
            "plan_path=plans/examples/first-quarter-2025.yaml",
            "--param",
            f"database_url={database_url}",
            "--watch",
            "--watch-timeout",
            "400",
            env=env,
            timeout=450,
            log=tmp_path / "worker.log",
        )
    finally:
        stop_process(worker)
    assert "Completed" in out

    with open_store(database_url) as store:
        jobs = list_jobs(store)
    assert [(j.status, (j.metrics_json or {}).get("recordsCreated")) for j in jobs] == [("completed", 678)]
    assert "prefect flow run" in jobs[0].logs[0]["message"]
    artifacts = prefect_api_post(env, "/artifacts/filter", {"artifacts": {"key": {"any_": [f"patch-summary-{SLUG}"]}}})
    assert jobs[0].id in artifacts[0]["data"]

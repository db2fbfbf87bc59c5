"""With a Prefect deployment configured, the API hands each job to a flow run on a worker."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.prefect_server import PREFECT, ROOT, prefect_cli, start_process, stop_process
from tests.web.api_client import example_body, wait_for_job
from tests.web.conftest import API, acme_database, new_token, start_server

# PostgreSQL: the server, the worker and its flow runs are separate processes on one database.
pytestmark = [
    pytest.mark.web,
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.parametrize("backend", ["postgres"]),
]


def test_apply_through_the_api_runs_on_a_prefect_worker(
    backend: str, prefect_server: dict[str, str], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    env = prefect_server
    url = acme_database(backend, request, tmp_path)
    prefect_cli("work-pool", "create", "demogen", "--type", "process", env=env)
    prefect_cli("--no-prompt", "deploy", "--name", "apply-plan-local", env=env | {"PWD": str(ROOT)})
    worker = start_process([PREFECT, "worker", "start", "--pool", "demogen"], env, tmp_path / "worker.log")
    server, base_url = start_server(
        url, tmp_path / "serve.log", env=env | {"DEMOGEN_PREFECT_DEPLOYMENT": "apply-patch/apply-plan-local"}
    )
    try:
        headers = {"Authorization": f"Bearer {new_token(url)}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as api:
            accepted = api.post(f"{API}/tenants/acme-corp-demo/patch/apply", json=example_body())
            assert (accepted.status_code, accepted.json()["status"]) == (202, "pending")
            job_id = accepted.json()["jobId"]
            again = api.post(f"{API}/tenants/acme-corp-demo/patch/apply", json=example_body())
            assert again.json()["jobId"] == job_id  # the same job, not a second flow run
            details = wait_for_job(api, job_id, timeout=400)
    finally:
        server.terminate()
        server.wait(30)
        stop_process(worker)
    job = details["job"]
    worker_log = (tmp_path / "worker.log").read_text()[-3000:]
    assert (job["status"], job["metrics"]["recordsCreated"]) == ("completed", 678), worker_log
    assert job["createdBy"] == "master <master@demogen.test>"
    assert job["logs"][1]["message"].startswith(
        "handed to Prefect deployment apply-patch/apply-plan-local as flow run "
    )

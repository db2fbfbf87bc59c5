"""The whole path of the README: a real Prefect server, `prefect deploy` from prefect.yaml, a worker, a run."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.store import open_store
from flows.store.jobs import list_jobs
from tests.prefect.conftest import SLUG

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["duckdb"])]

ROOT = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).parent / "prefect")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    # Own process group: stopping it stops the worker's flow-run subprocesses too.
    return subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def _prefect(*args: str, env: dict[str, str], timeout: float = 300, log: Path | None = None) -> str:
    done = subprocess.run(
        [PREFECT, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    more = f"\n--- {log.name} ---\n{log.read_text()[-6000:]}" if log and log.exists() else ""
    assert done.returncode == 0, f"prefect {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}{more}"
    return done.stdout


def _api(env: dict[str, str], path: str, body: dict) -> list[dict]:
    request = urllib.request.Request(
        env["PREFECT_API_URL"] + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[dict[str, str]]:
    """`prefect server start` on a free loopback port, its SQLite database in a temporary PREFECT_HOME."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PYTHONPATH": str(ROOT),
    }
    log = tmp_path / "server.log"
    server = _start([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env, log)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{env['PREFECT_API_URL']}/health", timeout=2):
                    break
            except OSError:
                assert server.poll() is None, f"prefect server exited:\n{log.read_text()[-3000:]}"
                assert time.monotonic() < deadline, f"prefect server did not start:\n{log.read_text()[-3000:]}"
                time.sleep(1)
        yield env
    finally:
        _stop(server)


def test_apply_plan_deployment_completes_a_run_on_a_worker(
    prefect_server: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    env = prefect_server
    # In a child process: after dbt has run in this one, DuckDB files it opens stay locked until it exits.
    setup = f"from tests.prefect.conftest import add_demo_tenant; add_demo_tenant({database_url!r})"
    subprocess.run([sys.executable, "-c", setup], env=env, cwd=ROOT, check=True, timeout=300)
    _prefect("work-pool", "create", "demogen", "--type", "process", env=env)
    # Deploying from the project root captures it for the local pull step (prefect.yaml).
    _prefect("--no-prompt", "deploy", "--name", "apply-plan-local", env=env | {"PWD": str(ROOT)})
    # DuckDB has a single writer: a second run of the deployment waits for the first
    with urllib.request.urlopen(f"{env['PREFECT_API_URL']}/deployments/name/apply-patch/apply-plan-local") as got:
        deployment = json.loads(got.read())
    limit = (deployment["global_concurrency_limit"] or {}).get("limit")
    assert (limit, deployment["concurrency_options"]["collision_strategy"]) == (1, "ENQUEUE")
    worker = _start([PREFECT, "worker", "start", "--pool", "demogen"], env, tmp_path / "worker.log")
    try:
        out = _prefect(
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
        _stop(worker)
    assert "Completed" in out

    with open_store(database_url) as store:
        jobs = list_jobs(store)
    assert [(j.status, (j.metrics_json or {}).get("recordsCreated")) for j in jobs] == [("completed", 678)]
    assert "prefect flow run" in jobs[0].logs[0]["message"]
    artifacts = _api(env, "/artifacts/filter", {"artifacts": {"key": {"any_": [f"patch-summary-{SLUG}"]}}})
    assert jobs[0].id in artifacts[0]["data"]

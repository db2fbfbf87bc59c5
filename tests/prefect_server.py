"""A real Prefect server, its CLI and its workers, started by the tests that deploy demogen's flows."""

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

ROOT = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).parent / "prefect")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    # Own process group: stopping it stops the worker's flow-run subprocesses too.
    return subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def prefect_cli(*args: str, env: dict[str, str], timeout: float = 300, log: Path | None = None) -> str:
    done = subprocess.run(
        [PREFECT, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    more = f"\n--- {log.name} ---\n{log.read_text()[-6000:]}" if log and log.exists() else ""
    assert done.returncode == 0, f"prefect {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}{more}"
    return done.stdout


def prefect_api_post(env: dict[str, str], path: str, body: dict) -> list[dict]:
    request = urllib.request.Request(
        env["PREFECT_API_URL"] + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[dict[str, str]]:
    """`prefect server start` on a free loopback port, its SQLite database in a temporary PREFECT_HOME."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PYTHONPATH": str(ROOT),
    }
    log = tmp_path / "server.log"
    server = start_process([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env, log)
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
        stop_process(server)

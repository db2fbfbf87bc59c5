"""A real `demogen serve` on a free port, over a database holding Acme Corp Demo and a Master Admin."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from flows.engine.demo_tenants import create_demo_acme, require_completed
from flows.store import Store, connect, open_store
from flows.store.accounts import issue_token, set_admin_password
from tests.conftest import fresh_database_url
from tests.pg_cluster import Cluster

ADMIN_EMAIL = "master@demogen.test"
ADMIN_PASSWORD = "correct horse battery staple"
API = "/api/master/demo-generator"
_counter = itertools.count()


@dataclass
class LiveServer:
    """A running server: where it listens, its database, a Master Admin's credentials and API token."""

    base_url: str
    database_url: str
    token: str
    process: subprocess.Popen[bytes]
    log_path: Path
    email: str = ADMIN_EMAIL
    password: str = ADMIN_PASSWORD

    def client(self) -> httpx.Client:
        """A client of the API signed in with the admin's bearer token."""
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {self.token}"}, timeout=60)

    def anonymous(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=60)

    def change(self, write: Callable[[Store], object]) -> None:
        """Write to the server's database from the test, on a connection closed at once.

        The server opens the store per request: a DuckDB file held open by the test would stall it.
        """
        store = connect(self.database_url)
        try:
            write(store)
        finally:
            store.close()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    database_url: str, log_path: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """`demogen serve` in a process of its own (in `env`, else this one's) and its base URL, once it answers."""
    port = free_port()
    env = {**(env or os.environ), "DEMOGEN_DATABASE_URL": database_url}
    env.pop("DEMOGEN_SECRET_KEY", None)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "flows.cli.main", "serve", "--port", str(port), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"demogen serve exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base_url}/login", timeout=2).status_code == 200:
                return process, base_url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"demogen serve did not answer within 90 s:\n{log_path.read_text()}")


def seed(url: str) -> None:
    """Acme Corp Demo with 2024's data, and the Master Admin (run in a child process: `_seed`)."""
    with open_store(url) as store:
        require_completed(create_demo_acme(store))
        set_admin_password(store, ADMIN_EMAIL, ADMIN_PASSWORD)
        if store.backend == "duckdb":
            store.execute("CHECKPOINT")


def _seed(url: str) -> None:
    """`seed` in a process of its own: this one's logging may be Prefect's after its tests ran, and a
    DuckDB file dbt opened here would stay locked for the server."""
    code = f"from tests.web.conftest import seed; seed({url!r})"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=False)
    if done.returncode:
        raise RuntimeError(f"seeding {url} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")


@pytest.fixture(scope="session")
def acme_templates() -> dict[str, str]:
    """Per backend, the URL of a database with Acme and the admin, made on first use and copied by each test."""
    return {}


def acme_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh copy of the backend's Acme database (built on first use)."""
    templates: dict[str, str] = request.getfixturevalue("acme_templates")
    if backend not in templates:
        base = tmp_path.parent / f"acme-template-{backend}"
        base.mkdir(exist_ok=True)
        url = fresh_database_url(backend, request, base)
        _seed(url)
        templates[backend] = url
    source = templates[backend]
    if backend == "duckdb":
        path = tmp_path / f"acme-{next(_counter)}.duckdb"
        shutil.copyfile(source.removeprefix("duckdb:///"), path)
        return f"duckdb:///{path}"
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    template = source.rsplit("/", 1)[1]
    name = f"web_{os.getpid()}_{next(_counter)}"
    admin = connect(cluster.url)
    admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    admin.close()
    return cluster.url_for(name)


def new_token(url: str) -> str:
    store = connect(url)
    try:
        return issue_token(store, ADMIN_EMAIL)[1]
    finally:
        store.close()


@pytest.fixture
def live_server(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    url = acme_database(backend, request, tmp_path)
    token = new_token(url)
    log_path = tmp_path / "serve.log"
    process, base_url = start_server(url, log_path)
    server = LiveServer(base_url, url, token, process, log_path)
    yield server
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()

"""Real databases for every test: a DuckDB file and a throwaway PostgreSQL cluster the suite starts."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.store import Store, connect, open_store
from flows.store.dbt_runner import work_dir_path
from flows.store.migrate import ensure_initialised
from tests.pg_cluster import Cluster, ClusterUnavailable, start_cluster

# The `prefect_server` fixture: a real Prefect server, for the tests that deploy flows.
pytest_plugins = ["tests.prefect_server"]

BACKENDS = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
_TESTS = Path(__file__).resolve().parent
# Tests that run flows on a Prefect server, and tests that run whole patches through dbt (its
# audit and verification take seconds each): the fast subset leaves both out.
_PREFECT_TESTS = (_TESTS / "prefect",)
_DBT_TESTS = (
    _TESTS / "engine",
    _TESTS / "dbt",
    _TESTS / "cli" / "test_cli_jobs.py",
    _TESTS / "cli" / "test_cli_readable.py",
    _TESTS / "web",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests under the folders and files above `prefect` and `dbt`."""
    for item in items:
        if any(item.path.is_relative_to(place) for place in _PREFECT_TESTS):
            item.add_marker(pytest.mark.prefect)
        if any(item.path.is_relative_to(place) for place in _DBT_TESTS):
            item.add_marker(pytest.mark.dbt)


_counter = itertools.count()


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        if _in_ci():  # in CI a missing PostgreSQL is a failure, never a skip
            pytest.fail(f"PostgreSQL is required in CI: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg_cluster: Cluster) -> str:
    """A database migrated and with the dbt views built once, cloned by every test."""
    admin = connect(pg_cluster.url)
    admin.execute("CREATE DATABASE demogen_template")
    admin.close()
    store = connect(pg_cluster.url_for("demogen_template"))
    ensure_initialised(store)
    store.close()
    return "demogen_template"


@pytest.fixture(scope="session")
def duckdb_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("duckdb-template") / "template.duckdb"
    store = connect(f"duckdb:///{path}")
    ensure_initialised(store)
    # dbt keeps the file open in this process, so closing ours does not checkpoint it: the copies
    # made from this file must not miss what is still in its write-ahead log
    store.execute("CHECKPOINT")
    store.close()
    return path


def fresh_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, initialised, empty database of the backend: a copied file or a cloned template."""
    if backend == "duckdb":
        template: Path = request.getfixturevalue("duckdb_template")
        path = tmp_path / f"test-{next(_counter)}.duckdb"
        shutil.copyfile(template, path)
        return f"duckdb:///{path}"
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    template_name: str = request.getfixturevalue("pg_template")
    name = f"test_{os.getpid()}_{next(_counter)}"
    admin = connect(cluster.url)
    admin.execute(f"CREATE DATABASE {name} TEMPLATE {template_name}")
    admin.close()
    return cluster.url_for(name)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url = fresh_database_url(backend, request, tmp_path)
    yield url
    # every database gets dbt's folder of its own under dbt_project/target: a test's goes with it
    shutil.rmtree(work_dir_path(url, "duckdb" if url.startswith("duckdb") else "postgres"), ignore_errors=True)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    with open_store(database_url) as opened:
        yield opened

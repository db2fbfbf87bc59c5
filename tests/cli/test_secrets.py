"""A PostgreSQL password given in the database URL appears nowhere: output, errors, logs, files, job rows."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.engine.demo_tenants import DEMO_PLAN
from flows.store import connect
from flows.store.dbt_runner import work_dir_path
from tests.cli.test_cli import run
from tests.pg_cluster import Cluster

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
ROLE = "demogen_secret_keeper"
DATABASE = "demogen_secrets"
PASSWORD = "S3cr3t-PW@x"
ENCODED = "S3cr3t-PW%40x"  # in a URL the @ of a password is percent-encoded
# What must not appear anywhere: the password as typed, as encoded, and the part libpq would read before the @.
NEEDLES = (PASSWORD, ENCODED, "S3cr3t")

SMALL_PLAN = """\
tenant: acme-corp-demo
mode: additive
planType: deltas
seed: secrets
months:
  - month: 2025-04
    metrics: {leadsCreated: 5, contactsCreated: 4, companiesCreated: 2, dealsCreated: 2,
              closedWonCount: 1, closedWonValue: 3000, pipelineAddedValue: 8000}
"""


@pytest.fixture
def secret_url(pg_cluster: Cluster) -> Iterator[str]:
    """An empty database of a role that must give its password: the cluster trusts every other login."""
    admin = connect(pg_cluster.url)
    hba = Path(str(admin.scalar("SHOW hba_file")))
    original = hba.read_text()
    hba.write_text(f"host all {ROLE} 127.0.0.1/32 scram-sha-256\n{original}")
    admin.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
    admin.execute(f"DROP ROLE IF EXISTS {ROLE}")
    admin.execute(f"CREATE ROLE {ROLE} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
    admin.execute(f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
    admin.scalar("SELECT pg_reload_conf() AS reloaded")
    admin.close()
    url = f"postgresql://{ROLE}:{ENCODED}@127.0.0.1:{pg_cluster.port}/{DATABASE}"
    shutil.rmtree(work_dir_path(url, "postgres"), ignore_errors=True)  # only this run's files are searched
    try:
        yield url
    finally:
        shutil.rmtree(work_dir_path(url, "postgres"), ignore_errors=True)
        hba.write_text(original)
        admin = connect(pg_cluster.url)
        admin.scalar("SELECT pg_reload_conf() AS reloaded")
        admin.close()


def _cli(args: list[str], tmp_path: Path) -> tuple[int, str, str]:
    """The CLI as a user runs it: its own process, -v so every step logs on stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli.main", "-v", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        check=False,
        timeout=600,
    )
    return done.returncode, done.stdout, done.stderr


def _files(*folders: Path) -> list[Path]:
    return [path for folder in folders for path in folder.rglob("*") if path.is_file()]


def test_the_password_appears_nowhere(
    secret_url: str, pg_cluster: Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = pg_cluster.port
    masked = f"postgresql://{ROLE}:***@127.0.0.1:{port}/{DATABASE}"
    small = tmp_path / "small.yaml"
    small.write_text(SMALL_PLAN)
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL_PLAN.replace("closedWonCount: 1", "closedWonCount: 7"))
    ghost = tmp_path / "ghost.yaml"
    ghost.write_text(SMALL_PLAN.replace("tenant: acme-corp-demo", "tenant: ghost"))
    wrong = secret_url.replace(ENCODED, "Wr0ng-PW%40x")
    unencoded = secret_url.replace(ENCODED, PASSWORD)  # the @ left as typed: libpq splits the host there
    report = tmp_path / "report.html"
    said: list[str] = []

    def ok(code: int, out: str, err: str) -> None:
        said.extend((out, err))
        assert code == 0, err

    def refused(code: int, out: str, err: str, message: str) -> None:
        said.extend((out, err))
        assert code == 1 and err.splitlines()[-1] == f"error: {message}", err

    # in-process: the way the other CLI tests run it
    code, out, err = run(["init", "--database", secret_url], capsys)
    ok(code, out, err)
    assert out.splitlines()[0].startswith(f"{masked} at schema version ")
    ok(*run(["demo", "--database", secret_url, "--json"], capsys))
    ok(*run(["validate", str(DEMO_PLAN), "--database", secret_url], capsys))
    ok(*run(["apply", str(small), "--database", secret_url], capsys))
    invalid = "plan is invalid: closedWonCount (7) cannot exceed dealsCreated (2) (2025-04)"
    refused(*run(["apply", str(bad), "--database", secret_url], capsys), invalid)
    refused(
        *run(["apply", str(ghost), "--database", secret_url], capsys),
        "unknown tenant 'ghost': no tenant has that id or slug (see `demogen tenants --all`)",
    )
    code, out, err = run(["tenants", "--database", wrong], capsys)
    refused(
        code,
        out,
        err,
        f'cannot connect to {masked}: connection failed: connection to server at "127.0.0.1", port {port} '
        f'failed: FATAL:  password authentication failed for user "{ROLE}"',
    )
    code, out, err = run(["tenants", "--database", unencoded], capsys)
    said.extend((out, err))
    assert code == 1 and err.startswith(f"error: cannot connect to {masked}: "), err

    # its own process, with the steps' logs on stderr
    code, out, err = _cli(["init", "--database", secret_url, "--json"], tmp_path)
    ok(code, out, err)
    assert f'"database": "{masked}"' in out
    ok(*_cli(["--database", secret_url, "validate", str(small)], tmp_path))
    ok(*_cli(["--database", secret_url, "apply", str(small), "--json"], tmp_path))  # applied already: a no-op
    small.write_text(SMALL_PLAN.replace("seed: secrets", "seed: secrets-2"))
    code, out, err = _cli(["--database", secret_url, "apply", str(small), "--json"], tmp_path)
    ok(code, out, err)
    assert " INFO flows.engine.steps: publish: published " in err
    ok(*_cli(["--database", secret_url, "jobs"], tmp_path))
    ok(*_cli(["--database", secret_url, "job", "export", out.split('"id": "')[1][:8], "--format", "html", "-o",
              str(report)], tmp_path))  # fmt: skip
    ok(*_cli(["--database", secret_url, "job", "export", out.split('"id": "')[1][:8], "--format", "json"], tmp_path))
    refused(*_cli(["--database", secret_url, "validate", str(bad)], tmp_path), f"{bad}: the plan is invalid (1 error)")
    refused(
        *_cli(["--database", secret_url, "apply", str(ghost)], tmp_path),
        "unknown tenant 'ghost': no tenant has that id or slug (see `demogen tenants --all`)",
    )
    code, out, err = _cli(["--database", wrong, "tenants"], tmp_path)
    said.extend((out, err))
    assert code == 1 and err.startswith(f"error: cannot connect to {masked}: "), err
    code, out, err = _cli(["--database", unencoded.replace("postgresql", "mysql"), "tenants"], tmp_path)
    said.extend((out, err))
    assert code == 2 and err.startswith(f"error: unknown database URL scheme in 'mysql://{ROLE}:***@127.0.0.1:"), err

    assert report.read_text().startswith("<!doctype html>")
    store = connect(secret_url)
    try:
        rows = [str(row) for table in ("demo_patch_jobs", "demo_generation_jobs") for row in store.query(
            f"SELECT * FROM {table}")]  # fmt: skip
    finally:
        store.close()
    assert len(rows) == 5  # the generation job and its patch, the demo plan, the two small plans
    written = _files(tmp_path, work_dir_path(secret_url, "postgres"))
    assert report in written and any(path.suffix == ".log" for path in written)
    leaks = [(str(path), needle) for path in written for needle in NEEDLES if needle.encode() in path.read_bytes()]
    leaks += [("output", needle) for text in said for needle in NEEDLES if needle in text]
    leaks += [("job row", needle) for row in rows for needle in NEEDLES if needle in row]
    assert leaks == []

"""dbt's target and log folder is private to one database and never holds its password."""

from __future__ import annotations

import stat
from datetime import UTC, datetime

import pytest

from flows.engine import audit
from flows.store import connect, open_store
from flows.store import dbt_runner as dbt
from tests.pg_cluster import Cluster

PASSWORD = "Wh1sper-d0-not-leak"


def test_each_database_gets_its_own_private_folder(tmp_path) -> None:
    first = connect(f"duckdb:///{tmp_path / 'one.duckdb'}")
    second = connect(f"duckdb:///{tmp_path / 'two.duckdb'}")
    try:
        folders = {dbt.work_dir(first), dbt.work_dir(second)}
        assert len(folders) == 2
        for folder in folders:
            assert folder.parent == dbt.PROJECT_DIR / "target"
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    finally:
        first.close()
        second.close()


@pytest.mark.postgres
def test_no_file_dbt_writes_holds_the_database_password(pg_cluster: Cluster, pg_template: str) -> None:
    admin = connect(pg_cluster.url)
    admin.execute("DROP ROLE IF EXISTS demogen_secretive")
    admin.execute(f"CREATE ROLE demogen_secretive LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
    admin.execute(f"CREATE DATABASE demogen_secretive TEMPLATE {pg_template}")
    admin.close()
    url = f"postgresql://demogen_secretive:{PASSWORD}@127.0.0.1:{pg_cluster.port}/demogen_secretive"
    with open_store(url) as store:
        folder = dbt.work_dir(store)
        assert PASSWORD not in str(folder)
        dbt.run_models(store)
        as_of = datetime(2025, 2, 1, tzinfo=UTC)
        job = "00000000-0000-0000-0000-000000000001"
        tenant = "00000000-0000-0000-0000-000000000002"
        run = audit.audit_drafts(store, job, tenant, as_of, [])
        assert run.success, [(r.name, r.message) for r in run.failed]
        audit.verify_published(store, job, tenant, as_of, [])
    written = [path for path in folder.rglob("*") if path.is_file()]
    assert written, "dbt wrote nothing there"
    assert [str(path) for path in written if PASSWORD.encode() in path.read_bytes()] == []

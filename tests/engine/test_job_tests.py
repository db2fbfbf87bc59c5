"""The audit and verification: dbt's tests, compiled once, run on the store's connection for each job."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from contextlib import closing
from decimal import Decimal

import pytest

from flows.engine import audit
from flows.engine.run import apply_plan
from flows.store import Store, open_store
from flows.store import dbt_runner as dbt
from flows.store.paths import PROJECT_ROOT
from flows.store.postgres_store import PostgresStore
from generators.frames import ENTITIES
from tests.engine.plans import EXAMPLE_MONTHS, NOW, make_plan
from tests.helpers import present, table_scans

# The tests dbt_project/tests/audit/ holds, each a check before publishing.
AUDIT_TESTS = {
    "audit_activity_stage",
    "audit_lifecycle_order",
    "audit_provenance",
    "audit_referential_integrity",
    "audit_sales_cycle",
    "audit_targets_met",
    "audit_tenant_isolation",
    "audit_timestamps",
    "audit_unique_emails",
}

DEALS_AND_ACTIVITIES_ONLY = {"audit_activity_stage", "audit_sales_cycle"}


class Stop(RuntimeError):
    pass


def _statuses(run: dbt.DbtRun) -> dict[str, str]:
    return {r.name: r.status for r in run.results if r.resource_type == "test"}


def test_dbt_test_by_hand_judges_a_job_as_the_compiled_run_does(store: Store, tenant) -> None:
    """`dbt test --vars` with the job's values and demogen's compiled run agree test by test, on a bad draft too."""
    seen: dict[str, dict[str, str]] = {}

    def compare(store: Store, job) -> None:
        values = {"job_id": job.id, "tenant_id": tenant.id, "as_of": NOW.isoformat()}
        seen["compiled, clean"] = _statuses(dbt.run_job_tests(store, "audit", values))
        store.execute(  # 03:00 in New York: outside business hours
            "UPDATE draft_contacts SET created_at = ? WHERE id = (SELECT id FROM draft_contacts ORDER BY id LIMIT 1)",
            ("2025-01-15T08:00:00+00:00",),
        )
        seen["compiled"] = _statuses(dbt.run_job_tests(store, "audit", values))
        seen["by hand"] = _statuses(dbt.invoke(store, ["test", "--select", "tag:audit"], values))
        raise Stop("compared")

    plan = make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]})
    job = apply_plan(store, plan, as_of=NOW, hooks={"before_publish": compare})

    assert job.status == "failed" and job.error_message == "compared"
    tests = set(seen["compiled"])
    assert tests == AUDIT_TESTS
    assert seen["compiled, clean"] == dict.fromkeys(tests, "pass")
    assert seen["compiled"] == {**dict.fromkeys(tests, "pass"), "audit_timestamps": "fail"}
    assert seen["by hand"] == seen["compiled"]


def test_a_test_the_database_refuses_is_an_error_and_the_job_values_do_not_outlive_the_run(store: Store) -> None:
    values = {"job_id": "00000000-0000-0000-0000-000000000001", "tenant_id": "00000000-0000-0000-0000-000000000002"}
    values["as_of"] = NOW.isoformat()
    store.execute(f"DROP VIEW {dbt.MODELS_SCHEMA}.stg_crm__draft_contacts")
    try:
        run = dbt.run_job_tests(store, "audit", values)
    finally:
        dbt.run_models(store)
    statuses = {r.name: r.status for r in run.results}
    assert not run.success
    # The tests of deals and activities alone never read the dropped view.
    assert statuses == {name: "pass" if name in DEALS_AND_ACTIVITIES_ONLY else "error" for name in AUDIT_TESTS}
    assert all("stg_crm__draft_contacts" in (r.message or "") for r in run.results if r.status == "error")
    read_back = (
        "SELECT getvariable('demogen_job_id') AS v"
        if store.backend == "duckdb"
        else "SELECT nullif(current_setting('demogen.job_id', true), '') AS v"
    )
    assert store.scalar(read_back) is None


def test_the_job_targets_are_rows_the_tests_read(store: Store, tenant) -> None:
    job = apply_plan(store, make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]}), as_of=NOW)
    assert job.status == "completed"
    rows = store.query(
        "SELECT month, metric, expected FROM demo_patch_job_targets WHERE job_id = ? ORDER BY metric", (job.id,)
    )
    expected = {t["metric"]: Decimal(t["expected"]) for t in present(job.diff_report_json)["targets"]}
    assert {r["metric"]: Decimal(r["expected"]) for r in rows} == expected
    assert {r["month"] for r in rows} == {"2025-01"}


def _apply_in_a_new_process(database_url: str, plan: str) -> tuple[dict, str]:
    script = (
        "import sys\n"
        "from flows.cli.main import main\n"
        "code = 0\n"
        "try:\n"
        f"    main(['apply', {plan!r}, '--json', '--database', {database_url!r}])\n"
        "except SystemExit as end:\n"
        "    code = end.code\n"
        "print('DBT-IMPORTED' if any(m == 'dbt' or m.startswith('dbt.') for m in sys.modules) else 'NO-DBT', code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env=os.environ | {"PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    *output, verdict = done.stdout.strip().splitlines() or [done.stderr]
    return json.loads("\n".join(output)), verdict


@pytest.mark.parametrize("backend", ["duckdb"], indirect=True)
def test_a_new_process_runs_a_job_without_starting_dbt(database_url: str, store: Store, tenant, tmp_path) -> None:
    """Compiled once (at init or by a database's first job), the tests run in later processes without dbt."""
    store.close()  # the processes below open the file themselves
    plans = []
    for month in ("2025-01", "2025-02"):
        path = tmp_path / f"{month}.json"
        path.write_text(make_plan({month: EXAMPLE_MONTHS[month]}).model_dump_json(by_alias=True))
        plans.append(str(path))
    first, _ = _apply_in_a_new_process(database_url, plans[0])
    second, verdict = _apply_in_a_new_process(database_url, plans[1])
    assert (first["status"], second["status"], verdict) == ("completed", "completed", "NO-DBT 0")
    assert {t["name"] for t in second["diffReport"]["verification"]["tests"]} == {
        "verify_drafts_published",
        "verify_targets_met",
    }


@pytest.mark.parametrize("backend", ["duckdb"], indirect=True)
def test_tests_compiled_for_another_database_are_compiled_again(
    database_url: str, store: Store, tenant, tmp_path
) -> None:
    """A DuckDB file copied with its work folder: the SQL compiled for the old file's name is not reused."""
    first = apply_plan(store, make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]}), as_of=NOW)
    assert first.status == "completed"
    store.execute("CHECKPOINT")
    store.close()
    copy_url = f"duckdb:///{tmp_path / 'renamed.duckdb'}"
    shutil.copyfile(database_url.removeprefix("duckdb:///"), tmp_path / "renamed.duckdb")
    shutil.copytree(dbt.work_dir_path(database_url, "duckdb"), dbt.work_dir_path(copy_url, "duckdb"))
    try:
        with open_store(copy_url) as copy:
            second = apply_plan(copy, make_plan({"2025-02": EXAMPLE_MONTHS["2025-02"]}), as_of=NOW)
        assert second.status == "completed", second.error_message
        assert {t["status"] for t in present(second.diff_report_json)["audit"]["tests"]} == {"pass"}
    finally:
        shutil.rmtree(dbt.work_dir_path(copy_url, "duckdb"), ignore_errors=True)


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_job_that_grew_the_live_tables_gives_them_statistics_before_verifying(store: Store, tenant) -> None:
    """The tables a job filled are analyzed before verification and the report read them; a small addition is not."""
    job = apply_plan(store, make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]}), as_of=NOW)
    assert job.status == "completed"
    tables = ("companies", "contacts", "deals", "activities")
    known = {
        r["relname"]: int(r["reltuples"])
        for r in store.query("SELECT relname, reltuples FROM pg_class WHERE relname = ANY(?)", (list(tables),))
    }
    counted = {t: int(store.scalar(f"SELECT count(*) FROM {t}")) for t in tables}
    assert known == counted
    assert audit.refresh_statistics(store, dict.fromkeys(tables, 1)) == [t for t in tables if counted[t] < 10]
    assert audit.refresh_statistics(store, {"contacts": counted["contacts"]}) == ["contacts"]


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_the_tests_share_two_connections_and_a_lost_companion_leaves_the_verdict_whole(
    store: Store, tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the tests run on the job's connection and a companion; when the server ends the
    companion's session, the job's connection runs what it left, and judges the job the same way."""
    seen: dict[str, dict[str, str]] = {}
    pids: set[int] = set()

    class Counted(PostgresStore):
        def count_rows(self, sql: str) -> int:
            pids.add(int(self.conn.info.backend_pid))
            return super().count_rows(sql)

    def compare(store: Store, job) -> None:
        values = {"job_id": job.id, "tenant_id": tenant.id, "as_of": NOW.isoformat()}
        seen["both"] = _statuses(dbt.run_job_tests(store, "audit", values))
        doomed = PostgresStore(store.url)
        store.scalar("SELECT pg_terminate_backend(?) AS done", (doomed.conn.info.backend_pid,))
        with monkeypatch.context() as patched:
            patched.setattr(PostgresStore, "companion", lambda self: doomed)
            seen["companion lost"] = _statuses(dbt.run_job_tests(store, "audit", values))
        with monkeypatch.context() as patched, closing(Counted(store.url)) as counted:
            patched.setattr(PostgresStore, "companion", lambda self: Counted(self.url))
            seen["counted"] = _statuses(dbt.run_job_tests(counted, "audit", values))
        raise Stop("compared")

    job = apply_plan(
        store, make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]}), as_of=NOW, hooks={"before_publish": compare}
    )

    assert job.status == "failed" and job.error_message == "compared"
    assert seen["both"] == dict.fromkeys(AUDIT_TESTS, "pass")
    assert seen["companion lost"] == seen["both"] == seen["counted"]
    assert len(pids) == 2


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_the_audit_projects_the_live_rows_from_their_index_alone(store: Store, tenant) -> None:
    """The projected KPIs match live rows to the job's drafts by id and count them: every column they take
    from a live row is in its (tenant_id, created_at) index, so no table page is read per row."""
    scans: dict[str, set[str]] = {}

    def explain(store: Store, job) -> None:
        (test,) = [t for t in dbt.job_tests(store, "audit") if t.name == "audit_targets_met"]
        with store.session_values({"job_id": job.id, "tenant_id": tenant.id, "as_of": NOW.isoformat()}):
            scans.update(table_scans(store, test.sql))
        raise Stop("explained")

    job = apply_plan(
        store, make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]}), as_of=NOW, hooks={"before_publish": explain}
    )

    assert job.status == "failed" and job.error_message == "explained"
    assert {name: scans[name] for name in ENTITIES} == {name: {"Index Only Scan"} for name in ENTITIES}

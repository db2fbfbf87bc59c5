"""Jobs that never lie: a losing run, a killed run, a lost connection, a busy file, a job id of another plan."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.engine.revert import revert
from flows.engine.run import apply_plan
from flows.kpis.reads import monthly_kpis
from flows.store import Store, connect, open_store
from flows.store.jobs import PatchJob, get_job, now_utc, transition
from flows.store.tenants import resolve_tenant
from flows.store.urls import mask_url
from generators.errors import DemogenError
from tests.engine.plans import EXAMPLE_MONTHS, NOW, make_plan
from tests.helpers import insert_tenant, present, table_digest

ROOT = Path(__file__).resolve().parents[2]
ENTITIES = ("companies", "contacts", "deals", "activities")
JANUARY = {"2025-01": EXAMPLE_MONTHS["2025-01"]}
POINTS = (
    "before_write",
    "during_write",
    "after_write",
    "during_audit",
    "before_publish",
    "during_publish",
    "after_publish",
)


def _drafts(store: Store) -> int:
    return sum(int(store.scalar(f"SELECT count(*) FROM draft_{e}")) for e in ENTITIES)


def _published(store: Store) -> int:
    return sum(int(store.scalar(f"SELECT count(*) FROM {e}")) for e in ENTITIES)


def _child(url: str, point: str, seed: str, action: str) -> subprocess.Popen[str]:
    env = os.environ | {"PYTHONPATH": str(ROOT), "DEMOGEN_JOB_LEASE_SECONDS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.engine.killed_run", url, point, seed, action],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def _killed_at(url: str, point: str, seed: str = "s1") -> None:
    child = _child(url, point, seed, "kill")
    out, _ = child.communicate(timeout=600)
    assert out.strip() == f"at {point}" and child.returncode == -9, (out, child.returncode)
    time.sleep(1.2)  # the child's lease (1 s) runs out


@pytest.fixture
def url(database_url: str) -> str:
    with open_store(database_url) as store:
        insert_tenant(store, slug="acme")
    return database_url


def test_a_run_that_lost_its_job_never_marks_the_completed_job_failed(store: Store, tenant) -> None:
    """Run A is in its audit when run B completes the same job; A returns the completed job."""
    plan = make_plan(JANUARY)

    def another_run_completes_it(store: Store, job: PatchJob) -> None:
        other = connect(store.url)
        try:
            transition(other, present(get_job(other, job.id)), "completed", completed_at=now_utc())
        finally:
            other.close()

    job = apply_plan(store, plan, as_of=NOW, hooks={"during_audit": another_run_completes_it})
    assert (job.status, job.error_message) == ("completed", None)
    stored = present(get_job(store, job.id))
    assert (stored.status, stored.error_message) == ("completed", None)
    assert _drafts(store) == 0
    again = apply_plan(store, plan, as_of=NOW)
    assert (again.id, again.status) == (job.id, "completed")
    assert revert(store, job.id).status == "completed"


def test_a_killed_job_is_interrupted_by_the_next_apply_and_completes_on_reapply(url: str) -> None:
    _killed_at(url, "after_write")
    with open_store(url) as store:
        [killed] = [j for j in store.query("SELECT id, status, lease_expires_at FROM demo_patch_jobs")]
        assert killed["status"] == "running" and _drafts(store) > 0
        other = apply_plan(store, make_plan({"2025-02": EXAMPLE_MONTHS["2025-02"]}, seed="b"), as_of=NOW)
        assert other.status == "completed"
        job = present(get_job(store, killed["id"]))
        assert job.status == "failed"
        assert job.error_message == (
            "interrupted: its run stopped after step write and its lease ran out at "
            f"{killed['lease_expires_at'].isoformat()}"
        )
        assert store.scalar("SELECT count(*) FROM demo_patch_jobs WHERE status = 'running'") == 0
        assert (
            _drafts(store) == 0
            and int(store.scalar("SELECT count(*) FROM contacts WHERE demo_job_id = ?", (job.id,))) == 0
        )
        again = apply_plan(store, make_plan(JANUARY), as_of=NOW)
        assert (again.id, again.status) == (job.id, "completed")
        assert present(again.diff_report_json)["allTargetsMet"] is True
        tenant_kpis = monthly_kpis(store, resolve_tenant(store, "acme"), "2025-01", "2025-01")["2025-01"]
        assert tenant_kpis["leadsCreated"] == EXAMPLE_MONTHS["2025-01"]["leadsCreated"]


@pytest.mark.parametrize("point", POINTS)
def test_fault_matrix_a_run_killed_at_each_point(url: str, point: str) -> None:
    """SIGKILL at each hook point: the job never reads completed without its rows, and a re-apply finishes it."""
    _killed_at(url, point)
    with open_store(url) as store:
        [row] = store.query("SELECT id, status FROM demo_patch_jobs")
        job = present(get_job(store, row["id"]))
        published, drafts = _published(store), _drafts(store)
        print(f"\nMATRIX {store.backend} {point}: status={job.status} published={published} drafts={drafts}")
        if point == "after_publish":
            metrics = present(job.metrics_json)
            assert (job.status, job.after_kpis_json) == ("completed", None)
            assert metrics["recordsCreated"] == published > 0 and drafts == 0
            assert sum(metrics["byEntity"].values()) == published
        else:
            assert (job.status, published) == ("running", 0)
            # during_write runs inside the month's transaction: a run killed there takes the month with it
            assert (drafts > 0) == (point not in ("before_write", "during_write"))
        digest = table_digest(store)
        again = apply_plan(store, make_plan(JANUARY), as_of=NOW)
        assert (again.id, again.status) == (job.id, "completed")
        report = present(again.diff_report_json)
        assert report["allTargetsMet"] is True and report["verification"]["success"] is True
        assert again.progress == 100 and present(again.metrics_json)["recordsCreated"] == _published(store)
        if point == "after_publish":
            assert table_digest(store) == digest  # the re-apply only reported: it created nothing
        else:
            assert any(e["message"].startswith("interrupted: ") for e in again.logs)
        assert _drafts(store) == 0
        assert store.scalar("SELECT count(*) FROM demo_patch_jobs WHERE status <> 'completed'") == 0


class Boom(RuntimeError):
    pass


@pytest.mark.parametrize("point", POINTS)
def test_fault_matrix_a_hook_raising_at_each_point(store: Store, tenant, point: str) -> None:
    """An error at each hook point: failed with nothing published and no drafts, or completed once published."""

    def explode(store: Store, job: PatchJob) -> None:
        raise Boom(f"injected fault {point}")

    job = apply_plan(store, make_plan(JANUARY), as_of=NOW, hooks={point: explode})
    stored = present(get_job(store, job.id))
    published, drafts = _published(store), _drafts(store)
    print(f"\nMATRIX-RAISE {store.backend} {point}: status={stored.status} published={published} drafts={drafts}")
    assert stored.status == job.status and drafts == 0
    if point == "after_publish":
        assert (job.status, job.error_message) == ("completed", None)
        assert present(job.metrics_json)["recordsCreated"] == published > 0
        assert job.logs[-1]["message"] == f"verification could not finish: injected fault {point}"
    else:
        assert (job.status, job.error_message, published) == ("failed", f"injected fault {point}", 0)


def test_a_job_id_of_another_plan_or_tenant_is_refused(store: Store, tenant) -> None:
    job = apply_plan(store, make_plan(JANUARY), as_of=NOW)
    insert_tenant(store, slug="globex")
    digest = table_digest(store)
    with pytest.raises(DemogenError) as other_plan:
        apply_plan(store, make_plan({"2025-02": EXAMPLE_MONTHS["2025-02"]}, seed="x"), as_of=NOW, job_id=job.id)
    assert str(other_plan.value) == (
        f"job {job.id} ran a different plan (seed s1, months 2025-01…2025-01); apply without --job-id or with a new one"
    )
    with pytest.raises(DemogenError) as other_tenant:
        apply_plan(store, make_plan(JANUARY, tenant="globex"), as_of=NOW, job_id=job.id)
    assert str(other_tenant.value) == f"job {job.id} belongs to tenant acme, not globex"
    assert table_digest(store) == digest
    assert present(get_job(store, job.id)).status == "completed"


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_lost_connection_fails_the_job_and_never_publishes_without_the_lock(store: Store, tenant) -> None:
    def terminate_my_connection(store: Store, job: PatchJob) -> None:
        pid = store.scalar("SELECT pg_backend_pid() AS pid")
        admin = connect(store.url)
        try:
            admin.scalar("SELECT pg_terminate_backend(?) AS done", (pid,))
        finally:
            admin.close()

    job = apply_plan(store, make_plan(JANUARY), as_of=NOW, hooks={"after_write": terminate_my_connection})
    assert job.status == "failed"
    assert job.error_message == (
        f"lost the connection to {mask_url(store.url)} (terminating connection due to administrator command); "
        f"the lock of tenant {tenant.id} went with it"
    )
    assert _published(store) == 0 and _drafts(store) == 0
    # the lock died with the connection: another connection takes the tenant at once and completes the job
    with open_store(store.url) as other:
        again = apply_plan(other, make_plan(JANUARY), as_of=NOW, lock_wait_seconds=0)
        assert (again.id, again.status) == (job.id, "completed")


@pytest.mark.parametrize("backend", ["duckdb"], indirect=True)
def test_a_second_process_waits_for_the_duckdb_file_then_gives_up_in_one_line(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = Path(url.removeprefix("duckdb:///"))
    child = _child(url, "after_write", "s1", "sleep:8")
    assert child.stdout is not None and child.stdout.readline().strip() == "at after_write"
    caplog.set_level(logging.WARNING, logger="flows.store.duckdb_store")
    with pytest.raises(DemogenError) as busy:
        connect(url, wait_seconds=1)
    assert str(busy.value) == f"{path} is in use by another process (another job is running); gave up after waiting 1 s"
    assert [r.getMessage() for r in caplog.records] == [f"waiting for {path} (another job is running)"]
    with open_store(url, wait_seconds=300) as store:  # waits for the child's job to end, then goes on
        assert child.wait(timeout=60) == 0
        [job] = store.query("SELECT status FROM demo_patch_jobs")
        assert job["status"] == "completed"
        assert apply_plan(store, make_plan(JANUARY, seed="b"), as_of=NOW).status == "completed"

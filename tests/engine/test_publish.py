"""Publishing clears the job's drafts: the draft tables are emptied outright only when they hold
nothing else and no other transaction holds them; otherwise the job's rows are deleted one by one."""

from __future__ import annotations

import threading

import psycopg
import pytest
from psycopg.pq import TransactionStatus

from flows.engine.run import apply_plan
from flows.store import Store, connect
from flows.store.jobs import PatchJob
from flows.store.postgres_store import PostgresStore
from flows.store.schema import draft_table
from generators.frames import ENTITIES, SCHEMAS
from tests.engine.plans import EXAMPLE_MONTHS, NOW, make_plan

JANUARY = {"2025-01": EXAMPLE_MONTHS["2025-01"]}
# Other jobs' ids below and above any job's id, so both sides of the job index are probed.
LOWEST_JOB, HIGHEST_JOB = "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"
DRAFTS = [draft_table(e) for e in ENTITIES]


def _files(store: Store) -> dict[str, int]:
    """Each draft table's file number: TRUNCATE gives a table a new one, DELETE and VACUUM never do."""
    rows = store.query("SELECT relname, relfilenode FROM pg_class WHERE oid = ANY(?::regclass[])", (DRAFTS,))
    return {str(r["relname"]): int(r["relfilenode"]) for r in rows}


def _drafts_by_job(store: Store) -> dict[str | None, int]:
    counts: dict[str | None, int] = {}
    for table in DRAFTS:
        for row in store.query(f"SELECT CAST(demo_job_id AS VARCHAR) AS job, count(*) AS n FROM {table} GROUP BY 1"):
            counts[row["job"]] = counts.get(row["job"], 0) + int(row["n"])
    return counts


def _draft_another_job(other_job: str | None):
    """A hook that drafts one company of another job beside this one's, as its own write would."""

    def draft(store: Store, job: PatchJob) -> None:
        columns = list(SCHEMAS["companies"])
        values = ", ".join("CAST(? AS UUID)" if c in ("id", "demo_job_id") else c for c in columns)
        store.execute(
            f"INSERT INTO draft_companies ({', '.join(columns)}) SELECT {values} FROM draft_companies "
            "WHERE demo_job_id = ? LIMIT 1",
            ("0f0f0f0f-0000-4000-8000-000000000001", other_job, job.id),
        )

    return draft


@pytest.mark.parametrize("other_job", [LOWEST_JOB, HIGHEST_JOB, None])
def test_another_jobs_drafts_wait_through_a_publish(store: Store, tenant, other_job: str | None) -> None:
    job = apply_plan(store, make_plan(JANUARY), as_of=NOW, hooks={"before_publish": _draft_another_job(other_job)})
    assert job.status == "completed"
    assert _drafts_by_job(store) == {other_job: 1}
    published = int(store.scalar("SELECT count(*) FROM companies WHERE demo_job_id = ?", (job.id,)))
    assert published == (job.metrics_json or {})["byEntity"]["companies"] > 0


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_publish_with_nothing_else_waiting_truncates_the_drafts(store: Store, tenant) -> None:
    before: dict[str, int] = {}

    def look(store: Store, job: PatchJob) -> None:
        before.update(_files(store))

    job = apply_plan(store, make_plan(JANUARY), as_of=NOW, hooks={"before_publish": look})
    assert job.status == "completed"
    after = _files(store)
    assert sorted(before) == sorted(after) == sorted(DRAFTS)
    assert all(after[t] != before[t] for t in DRAFTS)
    assert _drafts_by_job(store) == {}


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_another_jobs_drafts_keep_the_tables_whole_and_open_to_others(database_url: str, store: Store, tenant) -> None:
    """The publish deletes its own rows and holds no lock that stops the other job reading or writing its drafts."""
    before: dict[str, int] = {}
    others_could: list[bool] = []

    def draft_then_look(store: Store, job: PatchJob) -> None:
        _draft_another_job(HIGHEST_JOB)(store, job)
        before.update(_files(store))

    def other_job_reads_its_drafts(store: Store, job: PatchJob) -> None:  # inside the publishing transaction
        other = connect(database_url)
        try:
            other.execute("BEGIN")
            try:
                other.execute(f"LOCK TABLE {', '.join(DRAFTS)} IN ROW EXCLUSIVE MODE NOWAIT")
                others_could.append(True)
            except psycopg.errors.LockNotAvailable:
                others_could.append(False)
            other.execute("ROLLBACK")
        finally:
            other.close()

    hooks = {"before_publish": draft_then_look, "during_publish": other_job_reads_its_drafts}
    job = apply_plan(store, make_plan(JANUARY), as_of=NOW, hooks=hooks)
    assert job.status == "completed"
    assert others_could == [True]
    assert _files(store) == before
    assert _drafts_by_job(store) == {HIGHEST_JOB: 1}


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_transaction_holding_a_draft_table_is_not_waited_for(database_url: str, store: Store, tenant) -> None:
    """Another connection reading the drafts in an open transaction: the publish deletes instead of waiting."""
    reader = connect(database_url)
    assert isinstance(reader, PostgresStore)
    gave_up = threading.Event()

    def end_reader() -> None:  # only if the publish waited on the reader's lock: the test fails, it does not hang
        gave_up.set()
        reader.execute("ROLLBACK")

    timer = threading.Timer(120, end_reader)
    before: dict[str, int] = {}

    def hold_drafts(store: Store, job: PatchJob) -> None:
        before.update(_files(store))
        reader.execute("BEGIN")
        reader.query("SELECT count(*) AS n FROM draft_contacts")
        timer.start()

    try:
        job = apply_plan(store, make_plan(JANUARY), as_of=NOW, hooks={"before_publish": hold_drafts})
        assert not gave_up.is_set()
        assert reader.conn.info.transaction_status == TransactionStatus.INTRANS
    finally:
        timer.cancel()
        reader.close()
    assert job.status == "completed"
    assert _files(store) == before
    assert _drafts_by_job(store) == {}

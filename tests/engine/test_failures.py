"""Fault injection, the dbt audit and conflicts: a failed job publishes nothing and leaves staging empty."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from flows.engine.run import apply_plan
from flows.store import Store
from flows.store.jobs import get_job
from generators.errors import DemogenError
from tests.engine.plans import EXAMPLE_MONTHS, NOW, make_plan
from tests.helpers import insert_rows, present, table_digest

ENTITIES = ("companies", "contacts", "deals", "activities")


class Boom(RuntimeError):
    pass


def _explode(point: str):
    def hook(store: Store, job) -> None:
        raise Boom(f"injected fault {point}")

    return hook


def _staged(store: Store) -> int:
    return sum(int(store.scalar(f"SELECT count(*) FROM draft_{e}")) for e in ENTITIES)


@pytest.mark.parametrize("point", ["before_write", "during_write", "after_write", "during_audit", "during_publish"])
def test_a_fault_at_any_step_fails_the_job_and_publishes_nothing(store: Store, tenant, point: str) -> None:
    digest = table_digest(store)
    plan = make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]})
    job = apply_plan(store, plan, as_of=NOW, hooks={point: _explode(point)})

    assert job.status == "failed"
    assert job.error_message == f"injected fault {point}"
    assert "Boom" in present(job.error_stack)
    assert job.logs[-1]["level"] == "error"
    assert table_digest(store) == digest
    assert _staged(store) == 0
    stored = get_job(store, job.id)
    assert stored is not None and stored.status == "failed"

    # the same plan again, without the fault, restarts the failed job from clean staging
    retried = apply_plan(store, plan, as_of=NOW)
    assert retried.id == job.id and retried.status == "completed"
    assert retried.error_message is None
    assert any(entry["step"] == "retry" for entry in retried.logs)


def test_a_fault_while_months_are_written_fails_the_job_at_write_and_discards_the_written_months(
    store: Store, tenant
) -> None:
    """The writer fails after committing the first month's drafts, while generation goes on."""
    digest = table_digest(store)
    drafted: list[int] = []

    def second_month_fails(store: Store, job) -> None:
        drafted.append(_staged(store))
        if len(drafted) == 2:
            raise Boom("injected fault in the second month's write")

    plan = make_plan({m: EXAMPLE_MONTHS[m] for m in ("2025-01", "2025-02", "2025-03")})
    job = apply_plan(store, plan, as_of=NOW, hooks={"during_write": second_month_fails})

    assert job.status == "failed" and job.current_step == "write"
    assert job.error_message == "injected fault in the second month's write"
    assert job.logs[-1] | {"at": None} == {
        "at": None,
        "level": "error",
        "step": "write",
        "message": "failed: injected fault in the second month's write",
    }
    assert [entry["step"] for entry in job.logs] == ["create", "prepare", "write"]
    assert drafted[0] > 0 and drafted[1] > drafted[0]  # two months were in the drafts
    assert table_digest(store) == digest and _staged(store) == 0


def test_a_progress_callback_that_stops_the_job_between_months_fails_it_at_generate(store: Store, tenant) -> None:
    """What a stopping server does: its callback raises once the first month is generated; nothing is kept."""
    digest = table_digest(store)
    written: list[int] = []

    def stop_after_a_month(step: str, pct: int, message: str) -> None:
        if step == "generate":
            raise Boom("the server is stopping")

    plan = make_plan({m: EXAMPLE_MONTHS[m] for m in ("2025-01", "2025-02", "2025-03")})
    job = apply_plan(
        store,
        plan,
        as_of=NOW,
        progress=stop_after_a_month,
        hooks={"during_write": lambda store, job: written.append(_staged(store))},
    )

    assert (job.status, job.current_step, job.error_message) == ("failed", "generate", "the server is stopping")
    assert [entry["step"] for entry in job.logs] == ["create", "prepare", "generate"]
    assert len(written) <= 1  # stopped once the first month was handed over, before the second was made
    assert table_digest(store) == digest and _staged(store) == 0


def test_a_progress_update_the_job_row_refuses_rolls_its_month_back(store: Store, tenant) -> None:
    """Another run took the job while a month was being written: that month's drafts do not stay behind."""
    ours: list[tuple[str, str]] = []

    def take_the_job(store: Store, job) -> None:
        ours.append((job.id, store.scalar("SELECT lease_owner FROM demo_patch_jobs WHERE id = ?", (job.id,))))
        store.execute("UPDATE demo_patch_jobs SET lease_owner = 'another run' WHERE id = ?", (job.id,))

    plan = make_plan({m: EXAMPLE_MONTHS[m] for m in ("2025-01", "2025-02")})
    digest = table_digest(store)
    with pytest.raises(DemogenError) as refused:
        apply_plan(store, plan, as_of=NOW, hooks={"before_write": take_the_job})
    [(job_id, lease)] = ours
    held = f"another run holds it now (its lease was taken over after {lease})"
    assert str(refused.value) == (
        f"job {job_id} cannot go from running to failed: {held}; "
        f"this run stopped at write: job {job_id} cannot be updated: {held}"
    )
    assert table_digest(store) == digest and _staged(store) == 0


def test_a_frame_the_draft_table_refuses_fails_the_job_at_write_in_one_line(store: Store, tenant) -> None:
    def rename_subject(store: Store, job) -> None:
        store.execute("ALTER TABLE draft_activities RENAME COLUMN subject TO topic")

    digest = table_digest(store)
    plan = make_plan({m: EXAMPLE_MONTHS[m] for m in ("2025-01", "2025-02")})
    job = apply_plan(store, plan, as_of=NOW, hooks={"before_write": rename_subject})

    refused = {
        "duckdb": 'Binder Error: Table "draft_activities" does not have a column with name "subject"',
        "postgres": 'column "subject" of relation "draft_activities" does not exist',
    }
    assert job.status == "failed" and job.current_step == "write"
    assert job.error_message == refused[store.backend]
    assert table_digest(store) == digest and _staged(store) == 0


def test_the_dbt_audit_blocks_a_corrupted_batch(store: Store, tenant) -> None:
    """A staged contact moved to 03:00 local time fails the timestamp audit: nothing is published."""

    def corrupt(store: Store, job) -> None:
        store.execute(
            "UPDATE draft_contacts SET created_at = ? WHERE id = (SELECT id FROM draft_contacts ORDER BY id LIMIT 1)",
            (datetime(2025, 1, 15, 8, 0, tzinfo=UTC),),  # 03:00 in New York
        )

    digest = table_digest(store)
    job = apply_plan(
        store, make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]}), as_of=NOW, hooks={"after_write": corrupt}
    )
    assert job.status == "failed"
    assert "audit_timestamps" in present(job.error_message)
    audited = {t["name"]: t["status"] for t in present(job.diff_report_json)["audit"]["tests"]}
    assert audited["audit_timestamps"] == "fail" and audited["audit_targets_met"] == "pass"
    assert table_digest(store) == digest and _staged(store) == 0


# A draft that breaks one rule of the sales story, and the audit test that must catch it.
_STORY_CORRUPTIONS = {
    "audit_sales_cycle": (  # expected to close 200 days after the longest cycle allows
        "UPDATE draft_deals SET expected_close_date = expected_close_date + 200 "
        "WHERE id = (SELECT id FROM draft_deals ORDER BY id LIMIT 1)"
    ),
    "audit_activity_stage": (  # a contract sent on a deal that never got past negotiation
        "UPDATE draft_activities SET subject = 'Sent contract' WHERE id = (SELECT a.id FROM draft_activities a "
        "JOIN draft_deals d ON d.id = a.deal_id JOIN pipeline_stages s ON s.id = d.stage_id "
        "WHERE NOT s.is_won ORDER BY a.id LIMIT 1)"
    ),
    "audit_lifecycle_order": (  # the deal closed the moment it was created, before its activities
        "UPDATE draft_deals SET closed_at = created_at WHERE id = (SELECT d.id FROM draft_deals d "
        "JOIN draft_activities a ON a.deal_id = d.id WHERE d.closed_at IS NOT NULL AND a.created_at > d.created_at "
        "ORDER BY d.id LIMIT 1)"
    ),
}


@pytest.mark.parametrize("failing", sorted(_STORY_CORRUPTIONS))
def test_the_dbt_audit_blocks_a_broken_sales_story(store: Store, tenant, failing: str) -> None:
    def corrupt(store: Store, job) -> None:
        store.execute(_STORY_CORRUPTIONS[failing])

    digest = table_digest(store)
    job = apply_plan(
        store, make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]}), as_of=NOW, hooks={"after_write": corrupt}
    )
    assert job.status == "failed"
    audited = {t["name"]: t["status"] for t in present(job.diff_report_json)["audit"]["tests"]}
    assert {name for name, status in audited.items() if status != "pass"} == {failing}
    assert re.fullmatch(rf"audit failed: {failing} \(\d+ rows\)", present(job.error_message))
    assert table_digest(store) == digest and _staged(store) == 0


def test_the_dbt_audit_blocks_rows_staged_for_another_tenant(store: Store, tenant) -> None:
    from tests.helpers import insert_tenant

    other = insert_tenant(store, slug="globex")

    def leak(store: Store, job) -> None:
        store.execute(
            "UPDATE draft_companies SET tenant_id = ? WHERE id = (SELECT id FROM draft_companies ORDER BY id LIMIT 1)",
            (other.id,),
        )

    job = apply_plan(store, make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]}), as_of=NOW, hooks={"after_write": leak})
    assert job.status == "failed"
    assert "audit_tenant_isolation" in present(job.error_message)
    assert int(store.scalar("SELECT count(*) FROM companies")) == 0


def test_the_dbt_audit_blocks_rows_pointing_at_a_soft_deleted_parent(store: Store, tenant) -> None:
    first = apply_plan(store, make_plan({"2025-01": {"companiesCreated": 2}}), as_of=NOW)
    assert first.status == "completed"

    def delete_parents(store: Store, job) -> None:
        when = datetime(2026, 11, 26, tzinfo=UTC)
        store.execute(
            "UPDATE companies SET deleted_at = ?, updated_at = ? WHERE demo_job_id = ?", (when, when, first.id)
        )

    # no companies in this plan: its contacts join the first job's, soft-deleted before the audit
    job = apply_plan(
        store,
        make_plan({"2025-02": {"contactsCreated": 3}}, seed="s2"),
        as_of=NOW,
        hooks={"after_write": delete_parents},
    )
    assert job.status == "failed"
    audited = {t["name"]: t["status"] for t in present(job.diff_report_json)["audit"]["tests"]}
    assert audited["audit_referential_integrity"] == "fail" and audited["audit_lifecycle_order"] == "pass"
    assert int(store.scalar("SELECT count(*) FROM contacts")) == 0 and _staged(store) == 0


@pytest.mark.parametrize("point", ["during_audit", "before_publish"])
def test_kpis_moving_before_publish_is_a_conflict_naming_month_and_metric(store: Store, tenant, point: str) -> None:
    """Another writer lands a lead in January while the job is audited, or just before it publishes."""

    def land_another_patch(store: Store, job) -> None:
        insert_rows(
            store,
            "contacts",
            [
                {
                    "tenant_id": tenant.id,
                    "status": "lead",
                    "first_name": "Intruder",
                    "created_at": datetime(2025, 1, 20, 15, tzinfo=UTC),
                }
            ],
        )

    job = apply_plan(
        store, make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]}), as_of=NOW, hooks={point: land_another_patch}
    )
    assert job.status == "failed"
    message = present(job.error_message)
    assert "conflict" in message
    assert "leadsCreated" in message and "2025-01" in message
    # only the intruder's row is there: the job published nothing
    assert int(store.scalar("SELECT count(*) FROM contacts")) == 1
    assert int(store.scalar("SELECT count(*) FROM companies")) == 0
    assert _staged(store) == 0

"""apply_plan end to end on both backends: targets met, audit trail, idempotency, TARGETS, validation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from flows.engine.run import apply_plan
from flows.engine.steps import PlanInvalid, plan_job_id
from flows.kpis.reads import monthly_kpis
from flows.store import Store
from flows.store.jobs import get_job, list_jobs
from flows.store.migrate import DEFAULT_ADMIN_EMAIL
from tests.engine.plans import EXAMPLE_MONTHS, NOW, make_plan
from tests.helpers import insert_rows, insert_tenant, present, table_digest


def test_example_plan_meets_every_target_with_a_full_audit_trail(store: Store, tenant) -> None:
    steps: list[str] = []
    job = apply_plan(store, make_plan(EXAMPLE_MONTHS), as_of=NOW, progress=lambda step, pct, msg: steps.append(step))

    assert job.status == "completed", job.error_message
    after = monthly_kpis(store, tenant, "2025-01", "2025-03")
    for month, metrics in EXAMPLE_MONTHS.items():
        for name, value in metrics.items():
            assert after[month][name] == value, (month, name)
    # activities: two per new contact when the plan sets none (288 for the example plan)
    assert sum(after[m]["activitiesCount"] for m in EXAMPLE_MONTHS) == 288

    assert job.progress == 100 and job.error_message is None
    assert present(job.metrics_json)["recordsCreated"] == 180 + 144 + 36 + 30 + 288
    assert present(job.metrics_json)["byRecordType"] == {
        "leads": 180,
        "contacts": 144,
        "companies": 36,
        "deals": 30,
        "activities": 288,
    }
    assert (job.range_start_month, job.range_end_month) == ("2025-01", "2025-03")
    assert job.created_by_id == store.scalar("SELECT id FROM users WHERE email = ?", (DEFAULT_ADMIN_EMAIL,))
    before, after_kpis, report = (
        present(job.before_kpis_json),
        present(job.after_kpis_json),
        present(job.diff_report_json),
    )
    assert [s["month"] for s in before] == list(EXAMPLE_MONTHS)
    assert all(v == 0 for s in before for v in s["metrics"].values())
    assert after_kpis[0]["metrics"]["leadsCreated"] == 50
    assert report["allTargetsMet"] is True
    assert report["audit"]["success"] and report["verification"]["success"]
    logged = [entry["step"] for entry in job.logs]
    for step in ("create", "prepare", "generate", "write", "audit", "publish", "verify", "report"):
        assert step in logged
    assert steps[-1] == "report"
    assert job.patch_plan_json["months"][0]["metrics"]["leadsCreated"] == 50

    # provenance on every row the job created, and nothing left in staging
    for table in ("companies", "contacts", "deals", "activities"):
        rows = store.query(f"SELECT demo_generated, demo_source_month FROM {table} WHERE demo_job_id = ?", (job.id,))
        assert rows and all(r["demo_generated"] and r["demo_source_month"] in EXAMPLE_MONTHS for r in rows)
        assert store.scalar(f"SELECT count(*) FROM draft_{table}") == 0


def test_progress_moves_month_by_month_while_the_months_are_generated_and_written(store: Store, tenant) -> None:
    """The progress callback hears each month generated; the job's row moves as each month's drafts are written."""
    heard: list[tuple[str, int, str]] = []
    rows: list[tuple[str | None, int]] = []

    def month_written(store: Store, job) -> None:
        stored = present(get_job(store, job.id))
        rows.append((stored.current_step, stored.progress))

    job = apply_plan(
        store,
        make_plan(EXAMPLE_MONTHS),
        as_of=NOW,
        progress=lambda step, pct, message: heard.append((step, pct, message)),
        hooks={"during_write": month_written},
    )

    assert job.status == "completed", job.error_message
    assert rows == [("prepare", 18), ("prepare", 26), ("prepare", 35)]  # the step is the last one finished
    generating = [(pct, message) for step, pct, message in heard if step == "generate"]
    assert [pct for pct, _ in generating] == [18, 26, 35, 35]
    for made, (_, message) in enumerate(generating[:3], start=1):
        written = int(message.removeprefix(f"generated {made} of 3 months, ").removesuffix(" written"))
        assert message == f"generated {made} of 3 months, {written} written" and 0 <= written <= made
    counts = "companies 36, contacts 324, deals 30, activities 288"
    assert re.fullmatch(rf"generated 678 records in \d+\.\d\d s: {counts}", generating[3][1]), generating[3][1]
    after = ["write", "audit", "publish", "verify", "report"]
    assert [step for step, _, _ in heard] == ["prepare", *["generate"] * 4, *after]


def test_reapplying_a_completed_job_returns_it_and_creates_nothing(store: Store, tenant) -> None:
    plan = make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]})
    first = apply_plan(store, plan, as_of=NOW)
    digest = table_digest(store)
    again = apply_plan(store, plan, as_of=NOW)
    assert again.id == first.id == plan_job_id(tenant.id, plan, "s1")
    assert again.updated_at == first.updated_at and again.status == "completed"
    assert table_digest(store) == digest
    assert len(list_jobs(store)) == 1


def test_explicit_job_id_is_used(store: Store, tenant) -> None:
    job_id = "0b5c6a55-1f0e-4a9e-8d2b-7f0c4a7e9d11"
    job = apply_plan(store, make_plan({"2025-01": {"companiesCreated": 3}}), job_id=job_id, as_of=NOW)
    assert job.id == job_id and job.status == "completed"


def test_targets_plan_tops_up_a_month_that_holds_data(store: Store, tenant) -> None:
    when = datetime(2025, 2, 5, 15, tzinfo=UTC)
    company = insert_rows(store, "companies", [{"tenant_id": tenant.id, "created_at": when}] * 1)[0]
    insert_rows(
        store,
        "contacts",
        [
            {
                "tenant_id": tenant.id,
                "company_id": company,
                "status": "lead",
                "created_at": when,
                "first_name": f"L{n}",
                "email": f"l{n}@x.test",
            }
            for n in range(7)
        ],
    )
    plan = make_plan(
        {"2025-02": {"leadsCreated": 20, "companiesCreated": 5, "contactsCreated": 4}}, plan_type="targets"
    )
    job = apply_plan(store, plan, as_of=NOW)
    assert job.status == "completed", job.error_message
    feb = monthly_kpis(store, tenant, "2025-02", "2025-02")["2025-02"]
    assert (feb["leadsCreated"], feb["companiesCreated"], feb["contactsCreated"]) == (20, 5, 4)
    assert present(job.metrics_json)["byRecordType"]["leads"] == 13
    assert present(job.before_kpis_json)[0]["metrics"]["leadsCreated"] == 7


@pytest.mark.parametrize(
    ("months", "plan_type", "code"),
    [
        ({"2025-01": {"leadsCreated": 1}}, "targets", "V-1"),  # below the 3 leads the month holds
        ({"2099-01": {"leadsCreated": 1}}, "deltas", "V-2"),
        ({"2023-06": {"leadsCreated": 1}}, "deltas", "V-2"),
        ({"2025-01": {"dealsCreated": 2, "closedWonCount": 3, "closedWonValue": 10}}, "deltas", "V-4"),
        ({"2025-01": {"closedWonValue": 5000}}, "deltas", "V-5"),
    ],
)
def test_invalid_plans_write_nothing(store: Store, tenant, months, plan_type, code) -> None:
    insert_rows(
        store,
        "contacts",
        [
            {
                "tenant_id": tenant.id,
                "status": "lead",
                "first_name": f"x{n}",
                "created_at": datetime(2025, 1, 9, 15, tzinfo=UTC),
            }
            for n in range(3)
        ],
    )
    digest = table_digest(store)
    with pytest.raises(PlanInvalid) as raised:
        apply_plan(store, make_plan(months, plan_type=plan_type), as_of=NOW)
    assert code in {e.code for e in raised.value.result.errors}
    assert table_digest(store) == digest
    assert list_jobs(store) == []


def test_non_demo_tenant_is_refused(store: Store) -> None:
    insert_tenant(store, slug="realco", demo_generated=False)
    with pytest.raises(PlanInvalid) as raised:
        apply_plan(store, make_plan({"2025-01": {"leadsCreated": 1}}, tenant="realco"), as_of=NOW)
    assert [e.code for e in raised.value.result.errors] == ["V-3"]
    assert list_jobs(store) == []


def test_other_tenants_rows_stay_byte_identical(store: Store, tenant) -> None:
    other = insert_tenant(store, slug="globex", created_at=datetime(2024, 1, 1, tzinfo=UTC))
    company = insert_rows(
        store, "companies", [{"tenant_id": other.id, "created_at": datetime(2025, 1, 3, 14, tzinfo=UTC)}]
    )[0]
    insert_rows(
        store,
        "contacts",
        [{"tenant_id": other.id, "company_id": company, "created_at": datetime(2025, 1, 4, 14, tzinfo=UTC)}],
    )

    def other_rows() -> list:
        return [
            store.query(f"SELECT * FROM {t} WHERE tenant_id = ? ORDER BY id", (other.id,))
            for t in ("companies", "contacts", "deals", "activities", "pipeline_stages")
        ]

    before = other_rows()
    job = apply_plan(store, make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]}), as_of=NOW)
    assert job.status == "completed"
    assert other_rows() == before


def test_money_lands_to_the_cent(store: Store, tenant) -> None:
    plan = make_plan(
        {
            "2025-04": {
                "dealsCreated": 5,
                "closedWonCount": 2,
                "closedWonValue": 12345.67,
                "pipelineAddedValue": 23456.78,
                "contactsCreated": 3,
            }
        }
    )
    job = apply_plan(store, plan, as_of=NOW)
    assert job.status == "completed", job.error_message
    apr = monthly_kpis(store, tenant, "2025-04", "2025-04")["2025-04"]
    assert apr["closedWonValue"] == Decimal("12345.67")
    assert apr["pipelineAddedValue"] == Decimal("23456.78")

"""RECONCILE lands a template tenant exactly on lower targets by changing demo-generated rows only."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from flows.engine.demo_tenants import create_demo_tenant
from flows.engine.revert import revert
from flows.engine.run import apply_plan
from flows.engine.steps import PlanInvalid, prepare
from flows.kpis.reads import MonthKpis, monthly_kpis
from flows.kpis.reports import EXPORTERS, JobNames, to_markdown
from flows.plan.model import PatchPlan
from flows.plan.shapes import shape_plan
from flows.store import Store, open_store
from flows.store.tenants import Tenant
from generators.calendar import month_bounds
from generators.metrics import METRICS
from tests.cli.test_cli import run
from tests.helpers import insert_rows, present, table_digest

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
MONTHS = ("2025-01", "2025-02")
NOT_DEMO = ("companies", "contacts", "deals", "activities")


def _tenant(store: Store, first: str = MONTHS[0], last: str = MONTHS[-1]) -> Tenant:
    created = create_demo_tenant(store, name="Shrink Demo", first=first, last=last, seed="shrink", now=NOW)
    assert created.patch_job.status == "completed"
    return created.tenant


def _hand_made_rows(store: Store, tenant: Tenant) -> None:
    """Rows a person entered in the same months: RECONCILE must never touch them."""
    for n, month in enumerate(MONTHS):
        at = datetime.fromisoformat(f"{month}-12T15:00:00+00:00")
        company = insert_rows(store, "companies", [{"tenant_id": tenant.id, "created_at": at, "name": f"Hand {n}"}])
        contact = insert_rows(
            store,
            "contacts",
            [{"tenant_id": tenant.id, "created_at": at, "company_id": company[0], "email": f"hand{n}@example.com"}],
        )
        stage = store.scalar(
            "SELECT id FROM pipeline_stages WHERE tenant_id = ? AND NOT is_won AND NOT is_lost "
            "ORDER BY position LIMIT 1",
            (tenant.id,),
        )
        deal = insert_rows(
            store,
            "deals",
            [{"tenant_id": tenant.id, "created_at": at, "contact_id": contact[0], "stage_id": stage, "name": f"H{n}"}],
        )
        insert_rows(store, "activities", [{"tenant_id": tenant.id, "created_at": at, "deal_id": deal[0]}])
        # and hand-made records hanging off the month's latest demo deal and company
        start, end = month_bounds(month, tenant.timezone)
        latest = "SELECT id, created_at FROM {} WHERE tenant_id = ? AND demo_generated AND created_at >= ? "
        latest += "AND created_at < ? ORDER BY created_at DESC LIMIT 1"
        demo_deal = store.query(latest.format("deals"), (tenant.id, start, end))[0]
        demo_company = store.query(latest.format("companies"), (tenant.id, start, end))[0]
        later = max(demo_deal["created_at"], demo_company["created_at"], at)
        insert_rows(
            store,
            "activities",
            [{"tenant_id": tenant.id, "created_at": later, "deal_id": demo_deal["id"], "subject": f"Hand {n}"}],
        )
        insert_rows(
            store,
            "contacts",
            [
                {
                    "tenant_id": tenant.id,
                    "created_at": later,
                    "company_id": demo_company["id"],
                    "email": f"hand-at-demo{n}@example.com",
                    "first_name": "Grace",
                }
            ],
        )


def _hand_digest(store: Store) -> list[str]:
    """Every hand-made row, whole."""
    return [
        repr(sorted((k, str(v)) for k, v in row.items()))
        for table in NOT_DEMO
        for row in store.query(f"SELECT * FROM {table} WHERE NOT demo_generated ORDER BY id")
    ]


def _lower(kpis: MonthKpis) -> dict[str, int | str]:
    """Every metric at 80% of what it reads (counts rounded down, money to the cent)."""
    lowered: dict[str, int | str] = {}
    for metric in METRICS:
        value = Decimal(str(kpis[metric.name])) * Decimal("0.8")
        lowered[metric.name] = int(value) if metric.kind == "count" else str(value.quantize(Decimal("0.01")))
    return lowered


def _plan(slug: str, months: dict[str, dict[str, int | str]], seed: str = "r1") -> PatchPlan:
    return PatchPlan.model_validate(
        {
            "tenant": slug,
            "mode": "reconcile",
            "planType": "targets",
            "seed": seed,
            "months": [{"month": m, "metrics": v} for m, v in months.items()],
            "tolerances": {"countTolerance": 0, "valueTolerance": 0},
        }
    )


def _as_numbers(kpis: MonthKpis) -> dict[str, Decimal]:
    return {name: Decimal(str(value)) for name, value in kpis.items()}


def test_reconcile_lands_exactly_on_lower_targets_and_revert_restores(store: Store) -> None:
    tenant = _tenant(store)
    _hand_made_rows(store, tenant)
    hand = _hand_digest(store)
    digest = table_digest(store)
    before = monthly_kpis(store, tenant, MONTHS[0], MONTHS[-1])
    targets = {m: _lower(before[m]) for m in MONTHS}
    validation = prepare(store, _plan(tenant.slug, targets), as_of=NOW).validation
    assert validation.valid, [e.message for e in validation.errors]

    job = apply_plan(store, _plan(tenant.slug, targets), as_of=NOW)
    assert job.status == "completed", job.error_message
    after = monthly_kpis(store, tenant, MONTHS[0], MONTHS[-1])
    for month in MONTHS:
        assert _as_numbers(after[month]) == {k: Decimal(str(v)) for k, v in targets[month].items()}
    assert _hand_digest(store) == hand
    metrics = present(job.metrics_json)
    assert metrics["recordsCreated"] == 0
    assert metrics["recordsDeleted"] > 0 and metrics["recordsModified"] > 0
    images = int(store.scalar("SELECT count(*) FROM demo_patch_job_row_images WHERE job_id = ?", (job.id,)))
    assert images == metrics["recordsDeleted"] + metrics["recordsModified"]
    assert present(job.diff_report_json)["allTargetsMet"] is True

    assert apply_plan(store, _plan(tenant.slug, targets), as_of=NOW).id == job.id  # idempotent re-apply
    assert monthly_kpis(store, tenant, MONTHS[0], MONTHS[-1]) == after

    assert revert(store, job.id).status == "completed"
    assert table_digest(store) == digest
    assert monthly_kpis(store, tenant, MONTHS[0], MONTHS[-1]) == before


def test_a_target_only_reachable_through_hand_made_rows_is_refused(store: Store) -> None:
    tenant = _tenant(store)
    _hand_made_rows(store, tenant)
    digest = table_digest(store)
    plan = _plan(tenant.slug, {"2025-01": {"companiesCreated": 0}})
    prepared = prepare(store, plan, as_of=NOW)
    assert [e.as_dict() for e in prepared.validation.errors] == [
        {
            "code": "V-6",
            "month": "2025-01",
            "metric": "companiesCreated",
            # the hand-made company, and the demo company a hand-made contact works at
            "message": "Cannot reduce companiesCreated below 2 in 2025-01: only demo-generated records can change",
        }
    ]
    with pytest.raises(PlanInvalid):
        apply_plan(store, plan, as_of=NOW)
    assert table_digest(store) == digest


def test_the_preview_counts_rows_to_modify_and_soft_delete(store: Store) -> None:
    tenant = _tenant(store)
    before = monthly_kpis(store, tenant, MONTHS[0], MONTHS[0])
    plan = _plan(tenant.slug, {MONTHS[0]: {"leadsCreated": int(before[MONTHS[0]]["leadsCreated"]) - 2}})
    preview = present(prepare(store, plan, as_of=NOW).validation.preview).as_dict()
    assert preview["recordsToSoftDelete"]["contacts"] == 2
    assert preview["recordsToSoftDelete"]["companies"] == preview["recordsToSoftDelete"]["deals"] == 0
    assert preview["total"]["records"]["total"] == 0


@pytest.mark.parametrize("point", ["before_write", "after_write", "during_audit", "before_publish", "during_publish"])
def test_a_fault_while_publishing_changes_nothing(store: Store, point: str) -> None:
    tenant = _tenant(store)
    digest = table_digest(store)
    before = monthly_kpis(store, tenant, MONTHS[0], MONTHS[-1])

    def explode(store: Store, job) -> None:
        raise RuntimeError(f"injected fault at {point}")

    plan = _plan(tenant.slug, {m: _lower(before[m]) for m in MONTHS})
    job = apply_plan(store, plan, as_of=NOW, hooks={point: explode})
    assert job.status == "failed" and job.error_message == f"injected fault at {point}"
    assert table_digest(store) == digest
    assert int(store.scalar("SELECT count(*) FROM demo_patch_job_row_images WHERE job_id = ?", (job.id,))) == 0
    assert sum(int(store.scalar(f"SELECT count(*) FROM draft_{e}")) for e in NOT_DEMO) == 0


def _deltas_plan(slug: str, months: dict[str, dict[str, int | str]], seed: str = "d1") -> PatchPlan:
    plan = _plan(slug, months, seed)
    return plan.model_copy(update={"plan_type": "deltas"})


def test_fewer_won_deals_turn_won_deals_lost_before_deleting_any(store: Store) -> None:
    tenant = _tenant(store)
    before = monthly_kpis(store, tenant, MONTHS[0], MONTHS[0])[MONTHS[0]]
    job = apply_plan(store, _deltas_plan(tenant.slug, {MONTHS[0]: {"closedWonCount": -1}}), as_of=NOW)
    assert job.status == "completed", job.error_message
    metrics = present(job.metrics_json)
    assert (metrics["recordsCreated"], metrics["recordsModified"], metrics["recordsDeleted"]) == (0, 1, 0)
    after = monthly_kpis(store, tenant, MONTHS[0], MONTHS[0])[MONTHS[0]]
    assert after["closedWonCount"] == before["closedWonCount"] - 1
    assert after["dealsCreated"] == before["dealsCreated"]
    lost = store.query(
        "SELECT d.closed_at, d.created_at, d.updated_at FROM deals d JOIN pipeline_stages s ON s.id = d.stage_id "
        "JOIN demo_patch_job_row_images i ON i.row_id = d.id WHERE i.job_id = ? AND s.is_lost",
        (job.id,),
    )
    assert len(lost) == 1 and lost[0]["created_at"] <= lost[0]["closed_at"]


def test_a_month_raised_and_a_month_lowered_in_one_plan(store: Store) -> None:
    tenant = _tenant(store)
    before = monthly_kpis(store, tenant, MONTHS[0], MONTHS[-1])
    raised: dict[str, int | str] = {"leadsCreated": int(before[MONTHS[0]]["leadsCreated"]) + 3}
    lowered: dict[str, int | str] = {"leadsCreated": int(before[MONTHS[1]]["leadsCreated"]) - 3}
    job = apply_plan(store, _plan(tenant.slug, {MONTHS[0]: raised, MONTHS[1]: lowered}), as_of=NOW)
    assert job.status == "completed", job.error_message
    after = monthly_kpis(store, tenant, MONTHS[0], MONTHS[-1])
    assert after[MONTHS[0]]["leadsCreated"] == raised["leadsCreated"]
    assert after[MONTHS[1]]["leadsCreated"] == lowered["leadsCreated"]
    metrics = present(job.metrics_json)
    assert metrics["recordsCreated"] >= 3 and metrics["deletedByEntity"]["contacts"] == 3


def test_kpis_moving_before_publish_is_a_conflict_and_changes_nothing(store: Store) -> None:
    tenant = _tenant(store)
    before = monthly_kpis(store, tenant, MONTHS[0], MONTHS[0])[MONTHS[0]]
    intruder: list[str] = []

    def land_a_lead(store: Store, job) -> None:
        at = datetime(2025, 1, 20, 15, tzinfo=UTC)
        intruder.extend(insert_rows(store, "contacts", [{"tenant_id": tenant.id, "status": "lead", "created_at": at}]))

    digest = table_digest(store)
    plan = _plan(tenant.slug, {MONTHS[0]: {"leadsCreated": int(before["leadsCreated"]) - 2}})
    job = apply_plan(store, plan, as_of=NOW, hooks={"before_publish": land_a_lead})
    assert job.status == "failed"
    assert present(job.error_message).startswith(
        f"conflict: leadsCreated of 2025-01 moved from {before['leadsCreated']} to {before['leadsCreated'] + 1}"
    )
    store.execute("DELETE FROM contacts WHERE id = ?", (intruder[0],))
    assert table_digest(store) == digest


def test_the_holiday_dip_template_lands_exactly_in_reconcile(store: Store) -> None:
    tenant = _tenant(store, "2024-10", "2024-12")
    shaped = shape_plan(
        store, "holiday-dip", tenant.slug, first_month="2024-10", last_month="2024-12", mode="reconcile"
    )
    job = apply_plan(store, shaped.plan, as_of=NOW)
    assert job.status == "completed", job.error_message
    after = monthly_kpis(store, tenant, "2024-11", "2024-12")
    for entry in shaped.plan.months:
        wanted = {name: Decimal(str(value)) for name, value in entry.values().items() if value is not None}
        assert {name: Decimal(str(after[entry.month][name])) for name in wanted} == wanted
    by_month = present(job.metrics_json)["changesByMonth"]
    assert sorted(by_month) == ["2024-11", "2024-12"]
    assert sum(sum(m["deleted"].values()) for m in by_month.values()) == present(job.metrics_json)["recordsDeleted"]
    assert present(job.diff_report_json)["changes"] == by_month
    report = to_markdown(job)
    first = sorted(by_month["2024-11"]["deleted"])[0]
    deleted = by_month["2024-11"]["deleted"][first]
    modified = by_month["2024-11"]["modified"].get(first, 0)
    assert f"| 2024-11 | {first} | {modified:,} | {deleted:,} |" in report


def _section(text: str, title: str) -> list[str]:
    """The lines of a Markdown section, from its heading to the blank line before the next one."""
    lines = text.splitlines()
    start = lines.index(title)
    end = next((i for i in range(start + 2, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start : end - 1]


def test_every_export_lists_the_records_changed_per_month_and_entity(store: Store) -> None:
    created = create_demo_tenant(store, name="Shrink Demo", first=MONTHS[0], last=MONTHS[-1], seed="shrink", now=NOW)
    tenant = created.tenant
    plan = _deltas_plan(
        tenant.slug, {MONTHS[0]: {"leadsCreated": -2, "closedWonCount": -1}, MONTHS[1]: {"leadsCreated": -1}}
    )
    job = apply_plan(store, plan, as_of=NOW)
    assert job.status == "completed", job.error_message
    names = JobNames(tenant="Shrink Demo (shrink-demo)", created_by="Master Admin")
    exports = {fmt: export(job, names) for fmt, export in EXPORTERS.items()}

    assert _section(exports["md"], "## Demo-generated records changed") == [
        "## Demo-generated records changed",
        "",
        "| Month | Entity | Modified | Soft-deleted |",
        "|---|---|---:|---:|",
        "| 2025-01 | contacts | 0 | 2 |",
        "| 2025-01 | deals | 1 | 0 |",
        "| 2025-02 | contacts | 0 | 1 |",
    ]
    kpi_rows = len(MONTHS) * len(METRICS)
    assert exports["csv"].splitlines()[kpi_rows + 1 :] == [
        "",
        "month,entity,modified,soft_deleted,tenant,created_by",
        "2025-01,contacts,0,2,Shrink Demo (shrink-demo),Master Admin",
        "2025-01,deals,1,0,Shrink Demo (shrink-demo),Master Admin",
        "2025-02,contacts,0,1,Shrink Demo (shrink-demo),Master Admin",
    ]
    assert json.loads(exports["json"])["recordsChanged"] == [
        {"month": "2025-01", "entity": "contacts", "modified": 0, "softDeleted": 2},
        {"month": "2025-01", "entity": "deals", "modified": 1, "softDeleted": 0},
        {"month": "2025-02", "entity": "contacts", "modified": 0, "softDeleted": 1},
    ]
    html = exports["html"]
    start = html.index("<h2>Demo-generated records changed</h2>")
    assert html[start : html.index("</table>", start) + len("</table>")] == (
        "<h2>Demo-generated records changed</h2>\n"
        "<table><tr><th>Month</th><th>Entity</th><th>Modified</th><th>Soft-deleted</th></tr>\n"
        "<tr><td>2025-01</td><td>contacts</td><td>0</td><td>2</td></tr>"
        "<tr><td>2025-01</td><td>deals</td><td>1</td><td>0</td></tr>"
        "<tr><td>2025-02</td><td>contacts</td><td>0</td><td>1</td></tr></table>"
    )

    # the ADDITIVE job that made the tenant changed no existing row: no section, no extra rows
    additive = {fmt: export(created.patch_job, names) for fmt, export in EXPORTERS.items()}
    for fmt in ("md", "html"):
        assert "Demo-generated records changed" not in additive[fmt], fmt
    assert len(additive["csv"].splitlines()) == 1 + len(MONTHS) * len(METRICS)
    assert "recordsChanged" not in json.loads(additive["json"])


def test_validate_lists_the_records_to_modify_and_soft_delete(
    database_url: str, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_store(database_url) as store:
        tenant = _tenant(store)
        leads = int(monthly_kpis(store, tenant, MONTHS[0], MONTHS[0])[MONTHS[0]]["leadsCreated"])
    path = tmp_path / "plan.json"
    path.write_text(
        json.dumps(
            {
                "tenant": tenant.slug,
                "mode": "reconcile",
                "planType": "deltas",
                "months": [{"month": MONTHS[0], "metrics": {"leadsCreated": -2, "closedWonCount": -1}}],
            }
        )
    )
    code, out, _ = run(["validate", str(path), "--database", database_url], capsys)
    assert code == 0, out
    assert "Demo-generated records to modify: deals 1 · to soft-delete: contacts 2" in out
    assert "All metrics valid for RECONCILE mode" in out
    assert leads >= 2

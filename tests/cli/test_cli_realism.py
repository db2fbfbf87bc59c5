"""`demogen realism`: the realism figures of a tenant's live records, read from the dbt views on either backend."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.store import open_store
from tests.cli.test_cli import run
from tests.helpers import insert_rows, insert_tenant, stage_id


@pytest.fixture
def storied(database_url: str) -> str:
    """Five deals and five activities, each showing one thing the report counts.

    Stages (tests/helpers.py): Qualified (level 3), Proposal (level 4, the last open one), Won, Lost.
    Records are created on Wednesdays at 10:00 UTC (the tenant's zone), but for one activity
    on a Saturday at 07:00.
    """
    now = datetime.now(UTC)
    wednesday = (now - timedelta(days=(now.weekday() - 2) % 7 + 7)).replace(hour=10, minute=0, second=0, microsecond=0)
    week = timedelta(days=7)
    with open_store(database_url) as store:
        tenant = insert_tenant(store, slug="acme", name="Acme Corp Demo")
        t = tenant.id
        old = wednesday - 57 * week
        (company,) = insert_rows(store, "companies", [{"tenant_id": t, "name": "Initech", "created_at": old}])
        c1, c2, c3 = insert_rows(
            store,
            "contacts",
            [
                {"tenant_id": t, "company_id": company, "email": f"p{i}@initech.example", "created_at": old}
                for i in range(3)
            ],
        )

        def deal(name: str, stage: str, created: datetime, contact: str, **more: object) -> dict[str, object]:
            row = {"tenant_id": t, "company_id": company, "contact_id": contact, "name": name, "created_at": created}
            return row | {"stage_id": stage_id(t, stage)} | more

        recent, earlier, last_year = wednesday, wednesday - 8 * week, wednesday - 52 * week
        d1, _, _, d4, _ = insert_rows(
            store,
            "deals",
            [
                deal(
                    "Initech - Pilot (new)",
                    "Qualified",
                    recent,
                    c1,
                    expected_close_date=(recent + timedelta(days=20)).date(),
                ),
                deal(
                    "Initech - Expansion",
                    "Proposal",
                    earlier,
                    c1,
                    expected_close_date=(earlier + timedelta(days=30)).date(),
                ),
                deal(
                    "Initech - Renewal",
                    "Proposal",
                    last_year,
                    c1,
                    expected_close_date=(last_year + timedelta(days=200)).date(),
                ),
                deal("Initech - Pilot", "Won", earlier, c3, closed_at=earlier + timedelta(days=2)),
                deal("Initech - Pilot", "Lost", earlier, c3, closed_at=earlier + timedelta(days=2)),
            ],
        )
        saturday_early = (wednesday + timedelta(days=3)).replace(hour=7)
        insert_rows(
            store,
            "activities",
            [
                {"tenant_id": t, "contact_id": c1, "deal_id": d1, "subject": "Discovery call", "created_at": recent},
                {"tenant_id": t, "contact_id": c1, "deal_id": d1, "subject": "Sent contract", "created_at": recent},
                {
                    "tenant_id": t,
                    "contact_id": c3,
                    "deal_id": d4,
                    "subject": "Check-in call",
                    "created_at": earlier + week,
                },
                {"tenant_id": t, "contact_id": c1, "subject": "Product demo", "created_at": recent},
                {"tenant_id": t, "contact_id": c2, "subject": "Intro email", "created_at": saturday_early},
            ],
        )
    return database_url


def test_realism_json_counts_what_a_prospect_would_notice(storied: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["realism", "acme", "--json", "--database", storied], capsys)
    assert code == 0, err
    figures = json.loads(out)
    as_of = datetime.fromisoformat(figures.pop("asOf"))
    assert abs(datetime.now(UTC) - as_of) < timedelta(minutes=5)
    assert figures == {
        "scope": "tenant",
        "openDeals": {
            "count": 3,
            "overdueShare": 0.6667,
            "youngerThanLongestCycleShare": 0.6667,
            "beyondLongestCycle": 1,
            "daysToExpectedClose": {"median": 30.0, "p95": 183.0},
        },
        "stagesByAge": {
            "bands": ["0–29d", "30–89d", "90–179d", "180d+"],
            "rows": [{"stage": "Qualified", "counts": [1, 0, 0, 0]}, {"stage": "Proposal", "counts": [0, 1, 0, 1]}],
        },
        "activities": {
            "count": 5,
            "linkedShare": 0.6,
            "ofContactsWithDeals": 4,
            "linkedShareOfContactsWithDeals": 0.75,
            "aheadOfDealStage": 1,
            "afterDealClosed": 1,
            "stageSubjectWithoutDeal": 1,
        },
        "dealNames": {"repeatedNames": 1, "dealsWithRepeatedNames": 2},
        "timestamps": {"records": 14, "businessHoursShare": 0.9286, "weekdayShare": 0.9286},
    }


def test_realism_tables_for_people(storied: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["realism", "acme", "--database", storied], capsys)
    assert code == 0
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert "… overdue (expected close passed) 66.7%" in lines
    assert "… days to expected close, median / p95 30 d / 183 d" in lines
    assert "Activities ahead of their deal's stage 1" in lines
    assert "Deal names repeated within a company 1" in lines
    assert "Open stage 0–29d 30–89d 90–179d 180d+" in lines
    assert "Proposal 0 1 0 1" in lines


def test_realism_of_an_unknown_tenant_names_it(storied: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["realism", "ghost-co", "--database", storied], capsys)
    assert code == 1 and out == ""
    assert "'ghost-co'" in err and len(err.strip().splitlines()) == 1


def test_a_generated_tenant_breaks_no_hard_rule_and_its_job_report_says_so(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["tenant", "create", "--name", "Story Demo", "--from", "2024-09", "--to", "2024-12", "--seed", "7"]
    code, out, err = run([*args, "--database", database_url, "--json"], capsys)
    assert code == 0, err
    job_id = json.loads(out)["patchJobId"]

    code, out, _ = run(["realism", "story-demo", "--json", "--database", database_url], capsys)
    figures = json.loads(out)
    assert figures["openDeals"]["count"] > 0 and figures["openDeals"]["beyondLongestCycle"] == 0
    assert {
        k: figures["activities"][k] for k in ("aheadOfDealStage", "afterDealClosed", "stageSubjectWithoutDeal")
    } == {
        "aheadOfDealStage": 0,
        "afterDealClosed": 0,
        "stageSubjectWithoutDeal": 0,
    }
    assert figures["activities"]["linkedShareOfContactsWithDeals"] >= 0.5
    assert figures["dealNames"] == {"repeatedNames": 0, "dealsWithRepeatedNames": 0}
    assert figures["timestamps"]["businessHoursShare"] == 1.0

    target = tmp_path / "report.md"
    code, _, _ = run(["job", "export", job_id, "--format", "md", "-o", str(target), "--database", database_url], capsys)
    report = target.read_text()
    section = report[report.index("## Realism of the records created") :].splitlines()
    assert f"- Open deals: {figures['openDeals']['count']:,}" in section
    assert "- Activities ahead of their deal's stage: 0" in section
    assert "- Deal names repeated within a company: 0" in section
    assert "| Open stage | 0–29d | 30–89d | 90–179d | 180d+ |" in section
    code, _, _ = run(
        ["job", "export", job_id, "--format", "html", "-o", str(tmp_path / "r.html"), "--database", database_url],
        capsys,
    )
    assert "<h2>Realism of the records created</h2>" in (tmp_path / "r.html").read_text()


def test_reconcile_keeps_the_story_of_the_deals_it_deletes_or_loses(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A generated tenant lowered 20% in its first months, and with a won deal turned lost in
    the others, breaks no hard rule: the activities of a deleted deal that name a step of its
    story go with it, and a won deal turned lost is one whose story never reached the contract."""
    args = ["tenant", "create", "--name", "Story Demo", "--from", "2024-09", "--to", "2024-12", "--seed", "7"]
    code, _, err = run([*args, "--database", database_url, "--json"], capsys)
    assert code == 0, err
    code, out, _ = run(["kpis", "story-demo", "--json", "--database", database_url], capsys)
    months = []
    for i, month in enumerate(json.loads(out)["months"]):
        now = month["metrics"]
        if i < 2:
            lower = {k: (round(v * 0.8, 2) if k.endswith("Value") else int(v * 0.8)) for k, v in now.items()}
        else:
            lower = now | {"closedWonCount": now["closedWonCount"] - 1}
            lower["closedWonValue"] = round(now["closedWonValue"] * 0.7, 2)
        months.append({"month": month["month"], "metrics": lower})
    plan = tmp_path / "lower.json"
    plan.write_text(json.dumps({"tenant": "story-demo", "mode": "reconcile", "planType": "targets", "months": months}))
    code, out, err = run(["apply", str(plan), "--json", "--database", database_url], capsys)
    assert code == 0, err
    job = json.loads(out)
    assert job["status"] == "completed" and job["metrics"]["recordsDeleted"] > 0
    changed = job["metrics"]["changesByMonth"]
    assert changed["2024-11"]["modified"]["deals"] > 0 and "deals" not in changed["2024-11"]["deleted"]

    code, out, _ = run(["realism", "story-demo", "--json", "--database", database_url], capsys)
    figures = json.loads(out)
    assert figures["openDeals"]["beyondLongestCycle"] == 0
    assert {
        k: figures["activities"][k] for k in ("aheadOfDealStage", "afterDealClosed", "stageSubjectWithoutDeal")
    } == {"aheadOfDealStage": 0, "afterDealClosed": 0, "stageSubjectWithoutDeal": 0}
    assert figures["dealNames"] == {"repeatedNames": 0, "dealsWithRepeatedNames": 0}

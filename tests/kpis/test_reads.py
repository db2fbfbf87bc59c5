"""KPI numbers read through the dbt KPI model, checked against hand-inserted rows on both backends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from flows.kpis.reads import (
    TYPICAL_DEAL_SAMPLE,
    data_range,
    kpis_json,
    latest_month_with_data,
    monthly_kpis,
    typical_deal_size,
)
from flows.store import Store
from generators.frames import ENTITIES, SCHEMAS, conform
from tests.helpers import insert_rows, insert_tenant, new_id, stage_id, table_scans


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture
def tenant(store: Store):
    return insert_tenant(store, slug="acme", timezone="America/New_York")


def test_empty_range_has_every_month_with_zeros(store: Store, tenant) -> None:
    kpis = monthly_kpis(store, tenant, "2024-11", "2025-02")
    assert list(kpis) == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert all(v == 0 for month in kpis.values() for v in month.values())


def test_counts_each_metric_from_hand_inserted_rows(store: Store, tenant) -> None:
    t = tenant.id
    company = insert_rows(store, "companies", [{"tenant_id": t, "created_at": at("2025-01-05T10:00:00-05:00")}])[0]
    contacts = insert_rows(
        store,
        "contacts",
        [
            {"tenant_id": t, "company_id": company, "status": "lead", "created_at": at("2025-01-06T10:00:00-05:00")},
            {"tenant_id": t, "company_id": company, "status": "lead", "created_at": at("2025-01-07T10:00:00-05:00")},
            {
                "tenant_id": t,
                "company_id": company,
                "status": "customer",
                "created_at": at("2025-01-08T10:00:00-05:00"),
            },
        ],
    )
    deals = [  # (stage, value)
        ("Won", Decimal("1500.25")),
        ("Won", Decimal("499.75")),
        ("Proposal", Decimal("3000.00")),
        ("Lost", Decimal("9999.00")),
    ]
    deal_ids = insert_rows(
        store,
        "deals",
        [
            {
                "tenant_id": t,
                "contact_id": contacts[2],
                "company_id": company,
                "stage_id": stage_id(t, stage),
                "value": value,
                "created_at": at(f"2025-01-1{n}T11:00:00-05:00"),
                "name": f"deal {n}",
            }
            for n, (stage, value) in enumerate(deals)
        ],
    )
    insert_rows(
        store,
        "activities",
        [
            {
                "tenant_id": t,
                "contact_id": contacts[2],
                "deal_id": deal_ids[0],
                "created_at": at("2025-01-20T09:00:00-05:00"),
            }
        ]
        * 1,
    )
    jan = monthly_kpis(store, tenant, "2025-01", "2025-01")["2025-01"]
    assert jan == {
        "leadsCreated": 2,
        "contactsCreated": 1,
        "companiesCreated": 1,
        "dealsCreated": 4,
        "closedWonCount": 2,
        "closedWonValue": Decimal("2000.00"),
        "pipelineAddedValue": Decimal("5000.00"),
        "activitiesCount": 1,
    }


def test_soft_deleted_rows_never_count(store: Store, tenant) -> None:
    when = at("2025-03-03T12:00:00-05:00")
    insert_rows(
        store,
        "contacts",
        [
            {"tenant_id": tenant.id, "status": "lead", "created_at": when},
            {"tenant_id": tenant.id, "status": "lead", "created_at": when, "deleted_at": when, "first_name": "Del"},
        ],
    )
    insert_rows(store, "companies", [{"tenant_id": tenant.id, "created_at": when, "deleted_at": when}])
    march = monthly_kpis(store, tenant, "2025-03", "2025-03")["2025-03"]
    assert march["leadsCreated"] == 1
    assert march["companiesCreated"] == 0


def test_month_boundary_follows_tenant_timezone(store: Store, tenant) -> None:
    # 23:30 on Jan 31 in New York is 04:30 UTC on Feb 1: it belongs to January.
    insert_rows(
        store,
        "contacts",
        [
            {"tenant_id": tenant.id, "created_at": at("2025-01-31T23:30:00-05:00"), "first_name": "Late"},
            {"tenant_id": tenant.id, "created_at": at("2025-02-01T00:30:00-05:00"), "first_name": "Early"},
        ],
    )
    kpis = monthly_kpis(store, tenant, "2025-01", "2025-02")
    assert kpis["2025-01"]["contactsCreated"] == 1
    assert kpis["2025-02"]["contactsCreated"] == 1


def test_other_tenants_rows_stay_apart(store: Store, tenant) -> None:
    other = insert_tenant(store, slug="globex")
    insert_rows(store, "companies", [{"tenant_id": other.id, "created_at": at("2025-01-10T12:00:00+00:00")}] * 1)
    assert monthly_kpis(store, tenant, "2025-01", "2025-01")["2025-01"]["companiesCreated"] == 0
    assert monthly_kpis(store, other, "2025-01", "2025-01")["2025-01"]["companiesCreated"] == 1


def test_json_shape_uses_numbers(store: Store, tenant) -> None:
    insert_rows(
        store,
        "deals",
        [
            {
                "tenant_id": tenant.id,
                "stage_id": stage_id(tenant.id, "Won"),
                "value": Decimal("25000.50"),
                "created_at": at("2025-01-10T12:00:00+00:00"),
            }
        ],
    )
    payload = kpis_json(monthly_kpis(store, tenant, "2025-01", "2025-02"))
    jan, feb = payload["months"]
    assert jan["month"] == "2025-01" and feb["month"] == "2025-02"
    assert jan["metrics"]["closedWonValue"] == 25000.5 and isinstance(jan["metrics"]["closedWonValue"], float)
    assert jan["metrics"]["closedWonCount"] == 1 and isinstance(jan["metrics"]["closedWonCount"], int)
    assert set(feb["metrics"]) == {
        "leadsCreated",
        "contactsCreated",
        "companiesCreated",
        "dealsCreated",
        "closedWonCount",
        "closedWonValue",
        "pipelineAddedValue",
        "activitiesCount",
    }


def test_typical_deal_size_and_latest_month(store: Store, tenant) -> None:
    assert typical_deal_size(store, tenant) == Decimal("10000")
    assert latest_month_with_data(store, tenant) is None
    insert_rows(
        store,
        "deals",
        [
            {
                "tenant_id": tenant.id,
                "stage_id": stage_id(tenant.id, "Won"),
                "value": v,
                "created_at": at(f"2025-0{n + 1}-10T12:00:00+00:00"),
                "name": f"d{n}",
            }
            for n, v in enumerate([100, 300, 900])
        ],
    )
    assert typical_deal_size(store, tenant) == Decimal("300.00")
    assert latest_month_with_data(store, tenant) == "2025-03"


def test_typical_deal_size_is_the_median_of_the_latest_deals(store: Store, tenant) -> None:
    # More older deals at 500 than latest ones at 100: the whole tenant's median would be 500.
    n = 2 * TYPICAL_DEAL_SAMPLE + 1
    start = at("2024-01-01T12:00:00+00:00")
    stamps = [start + timedelta(hours=i) for i in range(n)]
    deals = pl.DataFrame(
        {
            "id": [new_id("deal", i) for i in range(n)],
            "tenant_id": [tenant.id] * n,
            "stage_id": [stage_id(tenant.id, "Won")] * n,
            "name": [f"d{i}" for i in range(n)],
            "currency": ["USD"] * n,
            "demo_generated": [True] * n,
            "value": [Decimal(500 if i < n - TYPICAL_DEAL_SAMPLE else 100) for i in range(n)],
            "created_at": stamps,
            "updated_at": stamps,
        },
        schema_overrides={"created_at": SCHEMAS["deals"]["created_at"], "updated_at": SCHEMAS["deals"]["updated_at"]},
    )
    missing = [pl.lit(None, dtype).alias(name) for name, dtype in SCHEMAS["deals"].items() if name not in deals]
    store.load_frame("deals", conform("deals", deals.with_columns(missing)))
    assert typical_deal_size(store, tenant) == Decimal("100.00")


def test_data_range_spans_first_to_last_month_with_data(store: Store, tenant) -> None:
    assert data_range(store, tenant) is None
    insert_rows(
        store,
        "companies",
        [
            {"tenant_id": tenant.id, "name": "A", "created_at": at("2025-01-10T12:00:00+00:00")},
            {"tenant_id": tenant.id, "name": "B", "created_at": at("2025-03-10T12:00:00+00:00")},
        ],
    )
    assert data_range(store, tenant) == ("2025-01", "2025-03")


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_kpi_read_on_postgres_needs_no_table_page(store: Store, tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every column kpi_events takes from a row is in its (tenant_id, created_at) index: the read is
    answered by an index-only scan of each entity table (table scans turned off, as on a big tenant)."""
    when = at("2025-01-06T10:00:00-05:00")
    insert_rows(store, "contacts", [{"tenant_id": tenant.id, "status": "lead", "created_at": when}])
    reads: list[tuple[str, tuple[Any, ...]]] = []
    query = store.query

    def recorded(sql: str, params: Sequence[Any] = ()) -> list[Any]:
        reads.append((sql, tuple(params)))
        return query(sql, params)

    monkeypatch.setattr(store, "query", recorded)
    assert monthly_kpis(store, tenant, "2025-01", "2025-01")["2025-01"]["leadsCreated"] == 1
    ((sql, params),) = reads
    monkeypatch.undo()

    scans = table_scans(store, sql, params)
    assert {name: scans[name] for name in ENTITIES} == {name: {"Index Only Scan"} for name in ENTITIES}

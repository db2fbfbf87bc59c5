"""`dbt build` — views, data tests and unit tests — passes on both targets, and catches broken data."""

from __future__ import annotations

from datetime import UTC, datetime

from flows.store import Store
from flows.store import dbt_runner as dbt
from tests.helpers import insert_rows, insert_tenant, new_id, stage_id


def test_dbt_build_passes_with_data(store: Store) -> None:
    tenant = insert_tenant(store, slug="acme")
    company = insert_rows(
        store, "companies", [{"tenant_id": tenant.id, "created_at": datetime(2025, 1, 2, 9, tzinfo=UTC)}]
    )
    contact = insert_rows(
        store,
        "contacts",
        [{"tenant_id": tenant.id, "company_id": company[0], "created_at": datetime(2025, 1, 3, 9, tzinfo=UTC)}],
    )
    insert_rows(
        store,
        "deals",
        [
            {
                "tenant_id": tenant.id,
                "contact_id": contact[0],
                "stage_id": stage_id(tenant.id, "Won"),
                "created_at": datetime(2025, 1, 4, 9, tzinfo=UTC),
            }
        ],
    )
    run = dbt.build(store)
    assert run.success, [(r.name, r.message) for r in run.failed]
    kinds = {r.resource_type for r in run.results}
    assert {"model", "test", "unit_test"} <= kinds
    assert sum(r.resource_type == "unit_test" for r in run.results) >= 5


def test_dbt_tests_catch_a_dangling_reference(store: Store) -> None:
    tenant = insert_tenant(store, slug="acme")
    insert_rows(
        store,
        "deals",
        [
            {
                "tenant_id": tenant.id,
                "contact_id": new_id("missing-contact"),
                "stage_id": stage_id(tenant.id, "Won"),
                "created_at": datetime(2025, 1, 4, 9, tzinfo=UTC),
            }
        ],
    )
    run = dbt.build(store, select="stg_crm__deals")
    assert not run.success
    assert [r.name for r in run.failed] == [
        "relationships_stg_crm__deals_contact_id__contact_id__ref_stg_crm__contacts_"
    ]

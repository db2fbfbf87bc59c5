"""The tenant listing, id-or-slug resolution and the demo-only rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.store import Store
from flows.store.tenants import list_tenants, require_demo, resolve_tenant
from generators.errors import DemogenError
from tests.helpers import insert_rows, insert_tenant


def test_resolves_by_id_and_by_slug(store: Store) -> None:
    tenant = insert_tenant(store, slug="acme-demo")
    assert resolve_tenant(store, "acme-demo") == tenant
    assert resolve_tenant(store, tenant.id) == tenant


def test_unknown_tenant_is_named(store: Store) -> None:
    with pytest.raises(DemogenError, match="unknown tenant 'nope'"):
        resolve_tenant(store, "nope")


def test_non_demo_tenant_is_refused_with_v3_message(store: Store) -> None:
    real = insert_tenant(store, slug="real-customer", demo_generated=False)
    with pytest.raises(DemogenError, match=f"^Tenant {real.id} is not a demo-generated tenant$"):
        require_demo(real)
    demo = insert_tenant(store, slug="demo")
    assert require_demo(demo) is demo


def test_listing_shows_demo_tenants_with_range_and_counts(store: Store) -> None:
    demo = insert_tenant(store, slug="demo", timezone="Europe/Berlin")
    insert_tenant(store, slug="real", demo_generated=False)
    insert_rows(
        store,
        "contacts",
        [
            {"tenant_id": demo.id, "created_at": datetime(2024, 3, 4, 10, tzinfo=UTC)},
            # 23:30 UTC on Oct 31 is Nov 1 in Berlin
            {"tenant_id": demo.id, "created_at": datetime(2024, 10, 31, 23, 30, tzinfo=UTC), "first_name": "B"},
        ],
    )
    insert_rows(store, "companies", [{"tenant_id": demo.id, "created_at": datetime(2024, 5, 1, 10, tzinfo=UTC)}])
    summaries = list_tenants(store)
    assert [s.tenant.slug for s in summaries] == ["demo"]
    (summary,) = summaries
    assert (summary.first_month, summary.last_month) == ("2024-03", "2024-11")
    assert summary.counts == {"companies": 1, "contacts": 2, "deals": 0, "activities": 0}
    assert {s.tenant.slug for s in list_tenants(store, include_all=True)} == {"demo", "real"}

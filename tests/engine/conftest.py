"""A demo tenant with sales reps, in New York, for the engine tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.store import Store
from tests.helpers import insert_tenant


@pytest.fixture
def tenant(store: Store):
    tenant = insert_tenant(store, slug="acme", timezone="America/New_York", created_at=datetime(2024, 1, 1, tzinfo=UTC))
    for n in range(3):
        store.execute(
            "INSERT INTO users (id, tenant_id, email, name, role) VALUES (?, ?, ?, ?, 'sales_rep')",
            (f"00000000-0000-4000-8000-00000000000{n}", tenant.id, f"rep{n}@acme.demo", f"Rep {n}"),
        )
    return tenant

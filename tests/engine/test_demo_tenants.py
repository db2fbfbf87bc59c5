"""Creating a demo tenant: any display name, quotes included, on both backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flows.engine.demo_tenants import create_demo_tenant
from flows.store import Store


def test_a_name_with_double_quotes_is_stored_whole(store: Store) -> None:
    created = create_demo_tenant(
        store,
        name='Acme "Quoted" Demo',
        first="2024-11",
        last="2024-12",
        seed="q",
        now=datetime(2025, 1, 15, tzinfo=UTC),
    )
    assert created.patch_job.status == "completed"
    assert (created.tenant.name, created.tenant.slug) == ('Acme "Quoted" Demo', "acme-quoted-demo")
    params = store.scalar("SELECT params_json FROM demo_generation_jobs WHERE id = ?", (created.generation_job_id,))
    params = json.loads(params) if isinstance(params, str) else params
    assert params == {"name": 'Acme "Quoted" Demo', "timezone": "UTC", "locale": "en_US", "currency": "USD"}
    status = store.scalar("SELECT status FROM demo_generation_jobs WHERE id = ?", (created.generation_job_id,))
    assert status == "completed"

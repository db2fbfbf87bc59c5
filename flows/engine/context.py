"""Builds the generators' view of a tenant (TenantContext) from the store."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from flows.store.base import Store
from flows.store.tenants import Tenant
from generators.context import EXISTING_COMPANIES, EXISTING_CONTACTS, EXISTING_DEALS, Stage, TenantContext


def _frame(store: Store, sql: str, tenant_id: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    frame = store.query_frame(sql, (tenant_id,))
    if frame.height == 0:
        return pl.DataFrame(schema=schema)
    return frame.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])


def load_context(store: Store, tenant: Tenant, typical_deal_size: Decimal) -> TenantContext:
    """Settings, owners, stages and the live records new ones may attach to."""
    owners = tuple(
        r["id"]
        for r in store.query(
            "SELECT id FROM users WHERE tenant_id = ? AND role <> 'master_admin' ORDER BY email", (tenant.id,)
        )
    )
    stages = tuple(
        Stage(
            id=r["id"],
            name=r["name"],
            position=int(r["position"]),
            is_won=bool(r["is_won"]),
            is_lost=bool(r["is_lost"]),
        )
        for r in store.query(
            "SELECT id, name, position, is_won, is_lost FROM pipeline_stages WHERE tenant_id = ? ORDER BY position",
            (tenant.id,),
        )
    )
    live = "WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY created_at, id"
    return TenantContext(
        tenant_id=tenant.id,
        timezone=tenant.timezone,
        locale=tenant.locale,
        currency=tenant.currency,
        created_at=tenant.created_at,
        owner_ids=owners,
        stages=stages,
        typical_deal_size=typical_deal_size,
        companies=_frame(
            store, f"SELECT id, domain, created_at, name FROM companies {live}", tenant.id, EXISTING_COMPANIES
        ),
        contacts=_frame(
            store,
            f"SELECT id, company_id, email, status, created_at FROM contacts {live}",
            tenant.id,
            EXISTING_CONTACTS,
        ),
        deals=_frame(
            store, f"SELECT id, contact_id, company_id, created_at FROM deals {live}", tenant.id, EXISTING_DEALS
        ),
    )

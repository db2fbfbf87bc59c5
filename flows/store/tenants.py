"""Tenants: resolving an id or slug, the demo-only rule, and the tenant listing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flows.store.base import Store
from flows.store.dbt_runner import MODELS_SCHEMA
from generators.errors import DemogenError
from generators.frames import ENTITIES


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    slug: str
    demo_generated: bool
    timezone: str
    locale: str
    currency: str
    created_at: datetime


@dataclass(frozen=True)
class TenantSummary:
    tenant: Tenant
    first_month: str | None
    last_month: str | None
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        t = self.tenant
        return {
            "id": t.id,
            "slug": t.slug,
            "name": t.name,
            "demoGenerated": t.demo_generated,
            "timezone": t.timezone,
            "locale": t.locale,
            "currency": t.currency,
            "createdAt": t.created_at.isoformat(),
            "dataRange": {"from": self.first_month, "to": self.last_month},
            "counts": self.counts,
        }


_COLUMNS = "id, name, slug, demo_generated, timezone, locale, currency, created_at"


def _tenant(row: dict[str, Any]) -> Tenant:
    return Tenant(**{k: row[k] for k in Tenant.__dataclass_fields__})


def is_uuid(text: str) -> bool:
    """Whether `text` spells a UUID (an id) rather than, say, a slug."""
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def find_tenant(store: Store, ref: str) -> Tenant | None:
    if any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in ref):
        return None  # no tenant holds a NUL or a lone surrogate, and PostgreSQL refuses them in a query
    column = "id" if is_uuid(ref) else "slug"
    row = store.query_one(f"SELECT {_COLUMNS} FROM tenants WHERE {column} = ?", (ref,))
    return _tenant(row) if row else None


def resolve_tenant(store: Store, ref: str) -> Tenant:
    """The tenant with this id or slug, or a one-line error naming it."""
    tenant = find_tenant(store, ref)
    if tenant is None:
        raise DemogenError(f"unknown tenant {ref!r}: no tenant has that id or slug (see `demogen tenants --all`)")
    return tenant


def require_demo(tenant: Tenant) -> Tenant:
    """V-3: only demo-generated tenants may be patched."""
    if not tenant.demo_generated:
        raise DemogenError(f"Tenant {tenant.id} is not a demo-generated tenant")
    return tenant


def list_tenants(store: Store, *, include_all: bool = False) -> list[TenantSummary]:
    """Demo tenants (or all), each with its data range and live record counts."""
    where = "" if include_all else "WHERE demo_generated"
    tenants = [_tenant(r) for r in store.query(f"SELECT {_COLUMNS} FROM tenants {where} ORDER BY name, slug")]
    return _summaries(store, tenants, None) if tenants else []


def tenant_summary(store: Store, tenant: Tenant) -> TenantSummary:
    """One tenant's data range and live record counts, reading only its own records."""
    return _summaries(store, [tenant], tenant.id)[0]


def _summaries(store: Store, tenants: list[Tenant], only: str | None) -> list[TenantSummary]:
    where, params = ("WHERE tenant_id = ?", (only,)) if only else ("", ())
    stats = store.query(
        f"SELECT tenant_id, entity, count(*) AS n, min(month) AS first_month, max(month) AS last_month "
        f"FROM {MODELS_SCHEMA}.kpi_events {where} GROUP BY tenant_id, entity",
        params,
    )
    by_tenant: dict[str, list[dict[str, Any]]] = {}
    for row in stats:
        by_tenant.setdefault(str(row["tenant_id"]), []).append(row)
    summaries = []
    for tenant in tenants:
        rows = by_tenant.get(tenant.id, [])
        counts = {e: 0 for e in ENTITIES} | {r["entity"]: int(r["n"]) for r in rows}
        summaries.append(
            TenantSummary(
                tenant,
                min((r["first_month"] for r in rows), default=None),
                max((r["last_month"] for r in rows), default=None),
                counts,
            )
        )
    return summaries

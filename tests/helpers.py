"""Hand-inserted CRM rows for tests: tenants, stages, and entity rows with sensible defaults."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import yaml

from flows.engine.demo_tenants import DEMO_PLAN
from flows.store import Store
from flows.store.tenants import Tenant, resolve_tenant

NS = uuid.UUID("0b7f3f2e-8f0e-4a57-9c1a-2f6f1e2d3c4b")
ENTITY_TABLES = ("companies", "contacts", "deals", "activities")

T = TypeVar("T")


def present(value: T | None) -> T:
    """`value`, asserted to be set: a field a finished job must have filled in."""
    assert value is not None
    return value


def new_id(*parts: object) -> str:
    return str(uuid.uuid5(NS, ":".join(map(str, parts))))


def insert_tenant(
    store: Store,
    *,
    slug: str = "acme",
    name: str | None = None,
    demo_generated: bool = True,
    timezone: str = "UTC",
    locale: str = "en_US",
    currency: str = "USD",
    created_at: datetime = datetime(2024, 1, 1, tzinfo=UTC),
    with_stages: bool = True,
) -> Tenant:
    tenant_id = new_id("tenant", slug)
    store.execute(
        "INSERT INTO tenants (id, name, slug, demo_generated, timezone, locale, currency, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (tenant_id, name or slug.title(), slug, demo_generated, timezone, locale, currency, created_at, created_at),
    )
    if with_stages:
        for position, (stage, won, lost) in enumerate(STAGES):
            store.execute(
                "INSERT INTO pipeline_stages (id, tenant_id, name, position, is_won, is_lost)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (stage_id(tenant_id, stage), tenant_id, stage, position, won, lost),
            )
    return resolve_tenant(store, tenant_id)


STAGES = (("Qualified", False, False), ("Proposal", False, False), ("Won", True, False), ("Lost", False, True))


def stage_id(tenant_id: str, name: str) -> str:
    return new_id("stage", tenant_id, name)


_DEFAULTS: dict[str, dict[str, Any]] = {
    "companies": {"name": "Initech"},
    "contacts": {"first_name": "Ada", "last_name": "Lovelace", "status": "prospect"},
    "deals": {"name": "Deal", "value": 1000, "currency": "USD"},
    "activities": {"type": "call", "subject": "Intro call"},
}


def insert_rows(store: Store, table: str, rows: list[dict[str, Any]]) -> list[str]:
    """Insert rows with defaults filled in (id, timestamps); return their ids."""
    ids = []
    for n, given in enumerate(rows):
        row = dict(_DEFAULTS.get(table, {})) | given
        row.setdefault("id", new_id(table, row.get("tenant_id"), n, row.get("created_at"), row.get("name")))
        row.setdefault("updated_at", row.get("created_at"))
        columns = ", ".join(row)
        store.execute(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))
        ids.append(str(row["id"]))
    return ids


def table_digest(
    store: Store, tables: tuple[str, ...] = ("tenants", "users", *ENTITY_TABLES), *, reverted: str | None = None
) -> str:
    """A fingerprint of every row of the tables, to prove nothing was written.

    `reverted`: leave out the soft-deleted rows that job created (a revert soft-deletes them).
    """
    digest = hashlib.sha256()
    for table in tables:
        for row in store.query(f"SELECT * FROM {table} ORDER BY id"):
            if reverted and table in ENTITY_TABLES and row["deleted_at"] and str(row["demo_job_id"]) == reverted:
                continue
            digest.update(repr(sorted((k, str(v)) for k, v in row.items())).encode())
    return digest.hexdigest()


def example_months() -> dict[str, dict[str, int]]:
    """The example plan's metrics by month, read from the plan file kept in git (the one copy)."""
    data = yaml.safe_load(DEMO_PLAN.read_text(encoding="utf-8"))
    return {str(m["month"]): dict(m["metrics"]) for m in data["months"]}


def _plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def table_scans(store: Store, sql: str, params: Sequence[Any] = ()) -> dict[str, set[str]]:
    """PostgreSQL: how the plan of `sql` reads each table (e.g. {'Index Only Scan'}), with sequential
    and bitmap scans turned off for the transaction, as the planner would choose on a big tenant."""
    with store.transaction():
        store.execute("SET LOCAL enable_seqscan = off")
        store.execute("SET LOCAL enable_bitmapscan = off")
        plan = store.query(f"EXPLAIN (FORMAT JSON) {sql}", params)[0]["QUERY PLAN"][0]["Plan"]
    scans: dict[str, set[str]] = {}
    for node in _plan_nodes(plan):
        if "Relation Name" in node:
            scans.setdefault(node["Relation Name"], set()).add(node["Node Type"])
    return scans

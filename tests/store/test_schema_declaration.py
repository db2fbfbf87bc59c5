"""The entity tables and their drafts are exactly what generators/frames.py declares, on both backends."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from flows.store import Store, connect
from flows.store.migrate import _statements, migrate, migration_statements, schema_version
from flows.store.schema import BOOKKEEPING, MIGRATIONS, draft_table
from generators.frames import COLUMNS, ENTITIES, Column
from tests.pg_cluster import Cluster

_POSTGRES_TYPES = {
    "UUID": "uuid",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMPTZ": "timestamp with time zone",
}


def _declared_type(column: Column, backend: str) -> tuple[str, int | None, int | None, int | None]:
    """(data_type, character length, numeric precision, numeric scale) as information_schema spells the SQL type."""
    varchar = re.fullmatch(r"VARCHAR\((\d+)\)", column.sql)
    decimal = re.fullmatch(r"DECIMAL\((\d+), (\d+)\)", column.sql)
    if backend == "duckdb":  # DuckDB keeps no VARCHAR length
        if varchar:
            return ("VARCHAR", None, None, None)
        if decimal:
            return (f"DECIMAL({decimal[1]},{decimal[2]})", None, int(decimal[1]), int(decimal[2]))
        return ({"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}.get(column.sql, column.sql), None, None, None)
    if varchar:
        return ("character varying", int(varchar[1]), None, None)
    if decimal:
        return ("numeric", None, int(decimal[1]), int(decimal[2]))
    return (_POSTGRES_TYPES[column.sql], None, None, None)


def _declared(entity: str, backend: str) -> list[tuple[Any, ...]]:
    return [
        (c.name, *_declared_type(c, backend), "NO" if c.key or c.not_null else "YES", c.default is not None)
        for c in COLUMNS[entity]
    ]


def _actual(store: Store, table: str) -> list[tuple[Any, ...]]:
    rows = store.query(
        "SELECT column_name, data_type, character_maximum_length, numeric_precision, numeric_scale,"
        " is_nullable, column_default FROM information_schema.columns"
        " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        (store.crm_schema, table),
    )
    numeric = {"numeric", "DECIMAL"}
    return [
        (
            r["column_name"],
            r["data_type"],
            r["character_maximum_length"],
            r["numeric_precision"] if r["data_type"].split("(")[0] in numeric else None,
            r["numeric_scale"] if r["data_type"].split("(")[0] in numeric else None,
            r["is_nullable"],
            r["column_default"] is not None,
        )
        for r in rows
    ]


def _primary_key(store: Store, table: str) -> list[str]:
    rows = store.query(
        "SELECT k.column_name FROM information_schema.table_constraints AS t"
        " JOIN information_schema.key_column_usage AS k"
        " ON k.constraint_name = t.constraint_name AND k.table_schema = t.table_schema AND k.table_name = t.table_name"
        " WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = ? AND t.table_name = ?",
        (store.crm_schema, table),
    )
    return [r["column_name"] for r in rows]


def test_entities_are_listed_parents_first() -> None:
    assert ENTITIES == ("companies", "contacts", "deals", "activities")


@pytest.mark.parametrize("entity", ENTITIES)
def test_entity_and_draft_tables_match_the_declaration(store: Store, entity: str) -> None:
    declared = _declared(entity, store.backend)
    for table in (entity, draft_table(entity)):
        assert _actual(store, table) == declared, table
    assert _primary_key(store, entity) == [c.name for c in COLUMNS[entity] if c.key]
    assert _primary_key(store, draft_table(entity)) == []  # the entity table's key checks drafts at publish


def _indexes(store: Store, table: str) -> list[str]:
    if store.backend == "duckdb":
        rows = store.query("SELECT index_name AS name FROM duckdb_indexes() WHERE table_name = ?", (table,))
    else:
        rows = store.query("SELECT indexname AS name FROM pg_indexes WHERE tablename = ?", (table,))
    return sorted(r["name"] for r in rows)


@pytest.mark.parametrize("entity", ENTITIES)
def test_drafts_are_indexed_by_job_alone_and_skip_the_postgres_wal(store: Store, entity: str) -> None:
    if store.backend == "duckdb":
        assert _indexes(store, draft_table(entity)) == []
    else:
        assert _indexes(store, draft_table(entity)) == [f"idx_{draft_table(entity)}_job"]
        persistence = store.scalar("SELECT relpersistence FROM pg_class WHERE relname = ?", (draft_table(entity),))
        assert persistence == "u"  # unlogged


@pytest.mark.postgres
def test_emails_domains_and_the_deals_of_a_contact_or_company_are_looked_up_by_index(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    store = connect(_empty_database("postgres", request, tmp_path))
    try:
        migrate(store)
        names = (
            "idx_companies_tenant_domain",
            "idx_contacts_tenant_email",
            "idx_deals_tenant_company",
            "idx_deals_tenant_contact",
        )
        rows = store.query(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN (?, ?, ?, ?) ORDER BY indexname", names
        )
        assert [(r["indexname"], r["indexdef"].split(" USING ")[1]) for r in rows] == [
            ("idx_companies_tenant_domain", "btree (tenant_id, lower((domain)::text))"),
            ("idx_contacts_tenant_email", "btree (tenant_id, lower((email)::text))"),
            ("idx_deals_tenant_company", "btree (tenant_id, company_id)"),
            ("idx_deals_tenant_contact", "btree (tenant_id, contact_id)"),
        ]
    finally:
        store.close()


def test_no_table_keeps_the_old_write_audit_publish_name(store: Store) -> None:
    old = [f"staged_{e}" for e in ENTITIES if store.table_exists(f"staged_{e}")]
    assert old == []


def _empty_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "duckdb":
        return f"duckdb:///{tmp_path / 'empty.duckdb'}"
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    name = f"empty_{tmp_path.name.lower().replace('-', '_')}"[:60]
    admin = connect(cluster.url)
    admin.execute(f"CREATE DATABASE {name}")
    admin.close()
    return cluster.url_for(name)


def _migrate_to(store: Store, version: int) -> None:
    """Bring an empty database to an older schema version, as an older demogen left it."""
    for statement in _statements(store, BOOKKEEPING):
        store.execute(statement)
    for migration in MIGRATIONS:
        if migration.version > version:
            break
        for statement in migration_statements(store, migration):
            store.execute(statement)
        store.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (migration.version, migration.name)
        )


def test_rows_waiting_in_the_old_tables_survive_the_rename(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    store = connect(_empty_database(backend, request, tmp_path))
    try:
        _migrate_to(store, 2)
        store.execute(
            "INSERT INTO staged_companies (id, tenant_id, name, created_at, updated_at, demo_job_id)"
            " VALUES ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b', 'Initech',"
            " TIMESTAMPTZ '2025-01-02 09:00:00+00', TIMESTAMPTZ '2025-01-02 09:00:00+00',"
            " '00000000-0000-0000-0000-00000000000c')"
        )
        assert migrate(store) == tuple(m.version for m in MIGRATIONS if m.version > 2)
        assert schema_version(store) == MIGRATIONS[-1].version
        assert store.query("SELECT name, demo_job_id FROM draft_companies") == [
            {"name": "Initech", "demo_job_id": "00000000-0000-0000-0000-00000000000c"}
        ]
        assert [e for e in ENTITIES if store.table_exists(f"staged_{e}")] == []
        assert [e for e in ENTITIES if store.table_exists(f"{draft_table(e)}_new")] == []
    finally:
        store.close()


def test_sign_in_migration_keeps_users_that_jobs_reference_updatable(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    store = connect(_empty_database(backend, request, tmp_path))
    try:
        _migrate_to(store, 7)
        admin, tenant, job = (f"00000000-0000-0000-0000-00000000000{n}" for n in (1, 2, 3))
        store.execute(
            "INSERT INTO users (id, tenant_id, email, name, role)"
            " VALUES (?, NULL, 'a@example.com', 'A', 'master_admin')",
            (admin,),
        )
        store.execute("INSERT INTO tenants (id, name, slug) VALUES (?, 'T', 't')", (tenant,))
        store.execute(
            "INSERT INTO demo_patch_jobs (id, tenant_id, created_by_id, patch_plan_json, seed,"
            " range_start_month, range_end_month) VALUES (?, ?, ?, '{}', 's', '2025-01', '2025-01')",
            (job, tenant, admin),
        )
        assert migrate(store) == tuple(m.version for m in MIGRATIONS if m.version > 7)
        assert store.execute("UPDATE users SET password_hash = 'h1' WHERE id = ?", (admin,)) == 1
        store.execute("INSERT INTO api_tokens (id, user_id, token_hash) VALUES ('abc', ?, 'h')", (admin,))
        store.execute("INSERT INTO web_sessions (id_hash, user_id, last_seen_at) VALUES ('h', ?, NOW())", (admin,))
        # a password reset of a user that tokens and sessions reference too
        assert store.execute("UPDATE users SET password_hash = 'h2' WHERE id = ?", (admin,)) == 1
        assert store.scalar("SELECT password_hash FROM users WHERE id = ?", (admin,)) == "h2"
    finally:
        store.close()

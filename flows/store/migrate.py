"""Versioned, idempotent migrations, the Master Admin user, and the dbt views on top."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

from flows.store import dbt_runner as dbt
from flows.store.base import Store
from flows.store.schema import BOOKKEEPING, MIGRATIONS, Migration, for_duckdb
from generators.errors import DemogenError

DEFAULT_ADMIN_EMAIL = "admin@demogen.local"
# Ids of things demogen creates itself are uuid5 in this namespace: same on every database.
NAMESPACE = uuid.UUID("6d0c5e1e-5b7a-4c53-9a55-0d3f5e8e7a10")


@dataclass(frozen=True)
class InitReport:
    applied: tuple[int, ...]
    schema_version: int
    admin_email: str
    dbt_models_rebuilt: bool


def _statements(store: Store, statements: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(for_duckdb(s) for s in statements) if store.backend == "duckdb" else statements


def migration_statements(store: Store, migration: Migration) -> tuple[str, ...]:
    """The statements of a migration on this store's backend, in order."""
    if store.backend == "duckdb":
        return _statements(store, migration.statements + migration.duckdb_only)
    return migration.statements + migration.postgres_only


def schema_version(store: Store) -> int:
    if not store.table_exists("schema_migrations"):
        return 0
    return int(store.scalar("SELECT coalesce(max(version), 0) AS v FROM schema_migrations") or 0)


def migrate(store: Store) -> tuple[int, ...]:
    """Apply the migrations the database lacks, each in its own transaction."""
    applied: list[int] = []
    with store.transaction():
        for statement in _statements(store, BOOKKEEPING):
            store.execute(statement)
    current = schema_version(store)
    for migration in MIGRATIONS:
        if migration.version <= current:
            continue
        with store.transaction():
            for statement in migration_statements(store, migration):
                store.execute(statement)
            store.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                (migration.version, migration.name),
            )
        applied.append(migration.version)
    return tuple(applied)


def ensure_master_admin(store: Store, email: str = DEFAULT_ADMIN_EMAIL) -> str:
    """Make sure a Master Admin (a user with no tenant) exists; return its id."""
    row = store.query_one("SELECT id, role FROM users WHERE email = ?", (email,))
    if row:
        if row["role"] != "master_admin":
            raise DemogenError(f"user {email} exists but is not a Master Admin")
        return str(row["id"])
    user_id = str(uuid.uuid5(NAMESPACE, f"user:{email}"))
    store.execute(
        "INSERT INTO users (id, tenant_id, email, name, role) VALUES (?, NULL, ?, ?, 'master_admin')",
        (user_id, email, "Master Admin" if email == DEFAULT_ADMIN_EMAIL else email.split("@")[0]),
    )
    return user_id


def current_actor(store: Store) -> str:
    """The user CLI actions are recorded as: DEMOGEN_ACTOR (an email), else the default Master Admin."""
    email = os.environ.get("DEMOGEN_ACTOR")
    if not email:
        return ensure_master_admin(store)
    row = store.query_one("SELECT id, role FROM users WHERE email = ?", (email,))
    if row is None or row["role"] != "master_admin":
        # No hint at how to become one: whoever can set this variable is not thereby entitled to the role.
        raise DemogenError(f"DEMOGEN_ACTOR '{email}' is not a Master Admin")
    return str(row["id"])


def _meta(store: Store, key: str) -> str | None:
    value = store.scalar("SELECT value FROM demogen_meta WHERE key = ?", (key,))
    return None if value is None else str(value)


def _set_meta(store: Store, key: str, value: str) -> None:
    with store.transaction():
        store.execute("DELETE FROM demogen_meta WHERE key = ?", (key,))
        store.execute("INSERT INTO demogen_meta (key, value) VALUES (?, ?)", (key, value))


def ensure_initialised(store: Store, *, admin_email: str | None = None) -> InitReport:
    """Create or upgrade everything demogen needs; a second run changes nothing."""
    applied = migrate(store)
    email = admin_email or DEFAULT_ADMIN_EMAIL
    ensure_master_admin(store, email)
    fingerprint = dbt.models_fingerprint(dbt.PROJECT_DIR)
    rebuilt = False
    if _meta(store, "dbt_models") != fingerprint:
        dbt.run_models(store)
        dbt.compile_job_tests(store)  # now, so that the first job starts no dbt
        _set_meta(store, "dbt_models", fingerprint)
        rebuilt = True
    return InitReport(applied, schema_version(store), email, rebuilt)

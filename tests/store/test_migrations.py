"""Migrations are versioned and idempotent; a Master Admin always exists to record actions."""

from __future__ import annotations

import pytest

from flows.store import Store, connect
from flows.store.migrate import DEFAULT_ADMIN_EMAIL, current_actor, ensure_initialised, schema_version
from flows.store.schema import MIGRATIONS
from generators.errors import DemogenError

TABLES = {
    "tenants",
    "users",
    "pipeline_stages",
    "companies",
    "contacts",
    "deals",
    "activities",
    "demo_generation_jobs",
    "demo_patch_jobs",
    "api_tokens",
    "web_sessions",
}


def _columns(store: Store, table: str) -> set[str]:
    rows = store.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
        (store.crm_schema, table),
    )
    return {r["column_name"] for r in rows}


def test_all_tables_exist_with_provenance(store: Store) -> None:
    for table in TABLES:
        assert store.table_exists(table), table
    for entity in ("companies", "contacts", "deals", "activities"):
        assert {
            "tenant_id",
            "created_at",
            "updated_at",
            "deleted_at",
            "demo_generated",
            "demo_job_id",
            "demo_source_month",
        } <= _columns(store, entity)


def test_patch_jobs_table_has_exactly_the_job_columns(store: Store) -> None:
    expected = {
        "id",
        "tenant_id",
        "original_job_id",
        "created_by_id",
        "mode",
        "plan_type",
        "patch_plan_json",
        "seed",
        "range_start_month",
        "range_end_month",
        "tolerance_config",
        "before_kpis_json",
        "after_kpis_json",
        "diff_report_json",
        "status",
        "progress",
        "current_step",
        "logs",
        "metrics_json",
        "error_message",
        "error_stack",
        "started_at",
        "completed_at",
        "created_at",
        "updated_at",
        "lease_owner",
        "lease_expires_at",
    }
    assert _columns(store, "demo_patch_jobs") == expected


def test_users_may_sign_in_with_a_password_a_token_or_a_session(store: Store) -> None:
    assert _columns(store, "users") == {"id", "tenant_id", "email", "name", "role", "created_at", "password_hash"}
    assert _columns(store, "api_tokens") == {"id", "user_id", "token_hash", "created_at", "last_used_at", "revoked_at"}
    assert _columns(store, "web_sessions") == {"id_hash", "user_id", "created_at", "last_seen_at"}


def test_init_twice_changes_nothing(database_url: str) -> None:
    store = connect(database_url)
    try:
        before = store.query("SELECT version, applied_at FROM schema_migrations ORDER BY version")
        users = store.query("SELECT * FROM users ORDER BY id")
        report = ensure_initialised(store)
        assert report.applied == ()
        assert report.dbt_models_rebuilt is False
        assert store.query("SELECT version, applied_at FROM schema_migrations ORDER BY version") == before
        assert store.query("SELECT * FROM users ORDER BY id") == users
        assert schema_version(store) == MIGRATIONS[-1].version
    finally:
        store.close()


def test_master_admin_exists_and_is_the_default_actor(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEMOGEN_ACTOR", raising=False)
    admin = store.query_one("SELECT id, tenant_id, role FROM users WHERE email = ?", (DEFAULT_ADMIN_EMAIL,))
    assert admin is not None and admin["tenant_id"] is None and admin["role"] == "master_admin"
    assert current_actor(store) == admin["id"]


def test_actor_from_environment_must_be_a_master_admin(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMOGEN_ACTOR", "nobody@example.com")
    with pytest.raises(DemogenError) as refused:
        current_actor(store)
    assert str(refused.value) == "DEMOGEN_ACTOR 'nobody@example.com' is not a Master Admin"
    ensure_initialised(store, admin_email="nobody@example.com")
    assert current_actor(store) == store.scalar("SELECT id FROM users WHERE email = 'nobody@example.com'")

"""Versioned DDL of the CRM store, written once and adapted per backend."""

from __future__ import annotations

from dataclasses import dataclass

# Entity tables carry no foreign keys: they take bulk loads of millions of rows,
# and their integrity is proven by the dbt audit before anything is published.
# Job tables are small and keep the foreign keys PRD §6.1 declares.

_PROVENANCE = """
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  deleted_at TIMESTAMPTZ,
  demo_generated BOOLEAN NOT NULL DEFAULT FALSE,
  demo_job_id UUID,
  demo_source_month VARCHAR(7)"""

ENTITY_COLUMNS = {
    "companies": """
  id UUID PRIMARY KEY,
  tenant_id UUID NOT NULL,
  owner_id UUID,
  name VARCHAR(200) NOT NULL,
  domain VARCHAR(200),
  industry VARCHAR(100),
  size VARCHAR(20),
  city VARCHAR(100),
  country VARCHAR(100),""",
    "contacts": """
  id UUID PRIMARY KEY,
  tenant_id UUID NOT NULL,
  company_id UUID,
  owner_id UUID,
  first_name VARCHAR(100) NOT NULL,
  last_name VARCHAR(100) NOT NULL,
  email VARCHAR(320),
  phone VARCHAR(50),
  job_title VARCHAR(200),
  status VARCHAR(30) NOT NULL,
  source VARCHAR(50),""",
    "deals": """
  id UUID PRIMARY KEY,
  tenant_id UUID NOT NULL,
  contact_id UUID,
  company_id UUID,
  owner_id UUID,
  stage_id UUID NOT NULL,
  name VARCHAR(300) NOT NULL,
  value DECIMAL(14, 2) NOT NULL,
  currency VARCHAR(3) NOT NULL,
  expected_close_date DATE,
  closed_at TIMESTAMPTZ,""",
    "activities": """
  id UUID PRIMARY KEY,
  tenant_id UUID NOT NULL,
  contact_id UUID,
  deal_id UUID,
  company_id UUID,
  owner_id UUID,
  type VARCHAR(20) NOT NULL,
  subject VARCHAR(300) NOT NULL,""",
}


def entity_table_ddl(table: str, entity: str) -> str:
    """CREATE TABLE for an entity table (also used for the job staging tables)."""
    return f"CREATE TABLE IF NOT EXISTS {table} ({ENTITY_COLUMNS[entity]}{_PROVENANCE}\n)"


V1_CORE = """
CREATE TABLE IF NOT EXISTS tenants (
  id UUID PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  slug VARCHAR(100) NOT NULL UNIQUE,
  demo_generated BOOLEAN NOT NULL DEFAULT FALSE,
  timezone VARCHAR(64) NOT NULL DEFAULT 'UTC',
  locale VARCHAR(16) NOT NULL DEFAULT 'en_US',
  currency VARCHAR(3) NOT NULL DEFAULT 'USD',
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE TABLE IF NOT EXISTS users (
  id UUID PRIMARY KEY,
  tenant_id UUID REFERENCES tenants(id),
  email VARCHAR(320) NOT NULL UNIQUE,
  name VARCHAR(200) NOT NULL,
  role VARCHAR(30) NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE TABLE IF NOT EXISTS pipeline_stages (
  id UUID PRIMARY KEY,
  tenant_id UUID NOT NULL REFERENCES tenants(id),
  name VARCHAR(100) NOT NULL,
  position INTEGER NOT NULL,
  is_won BOOLEAN NOT NULL DEFAULT FALSE,
  is_lost BOOLEAN NOT NULL DEFAULT FALSE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE TABLE IF NOT EXISTS demo_generation_jobs (
  id UUID PRIMARY KEY,
  tenant_id UUID NOT NULL REFERENCES tenants(id),
  created_by_id UUID NOT NULL REFERENCES users(id),
  template VARCHAR(100) NOT NULL,
  seed VARCHAR(64) NOT NULL,
  range_start_month VARCHAR(7) NOT NULL,
  range_end_month VARCHAR(7) NOT NULL,
  params_json JSONB,
  status VARCHAR(20) NOT NULL DEFAULT 'pending',
  error_message TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  completed_at TIMESTAMPTZ,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE TABLE IF NOT EXISTS demo_patch_jobs (
  id UUID PRIMARY KEY,
  tenant_id UUID NOT NULL REFERENCES tenants(id),
  original_job_id UUID REFERENCES demo_generation_jobs(id),
  created_by_id UUID NOT NULL REFERENCES users(id),
  mode VARCHAR(20) NOT NULL DEFAULT 'additive',
  plan_type VARCHAR(20) NOT NULL DEFAULT 'deltas',
  patch_plan_json JSONB NOT NULL,
  seed VARCHAR(64) NOT NULL,
  range_start_month VARCHAR(7) NOT NULL,
  range_end_month VARCHAR(7) NOT NULL,
  tolerance_config JSONB,
  before_kpis_json JSONB,
  after_kpis_json JSONB,
  diff_report_json JSONB,
  status VARCHAR(20) NOT NULL DEFAULT 'pending',
  progress INTEGER NOT NULL DEFAULT 0,
  current_step VARCHAR(100),
  logs JSONB DEFAULT '[]',
  metrics_json JSONB,
  error_message TEXT,
  error_stack TEXT,
  started_at TIMESTAMPTZ,
  completed_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_patch_jobs_tenant ON demo_patch_jobs(tenant_id);
CREATE INDEX IF NOT EXISTS idx_patch_jobs_status ON demo_patch_jobs(status);
CREATE INDEX IF NOT EXISTS idx_patch_jobs_created_at ON demo_patch_jobs(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_pipeline_stages_tenant ON pipeline_stages(tenant_id);
"""

ENTITIES = ("companies", "contacts", "deals", "activities")

# A per-tenant, per-month KPI read is a range scan on (tenant_id, created_at);
# revert and provenance audits look rows up by job.
V1_ENTITY_INDEXES = "\n".join(
    f"CREATE INDEX IF NOT EXISTS idx_{e}_tenant_created ON {e}(tenant_id, created_at);\n"
    f"CREATE INDEX IF NOT EXISTS idx_{e}_job ON {e}(demo_job_id);"
    for e in ENTITIES
)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]
    # DuckDB's ART indexes slow bulk appends and its min-max zonemaps already
    # prune (tenant, month) scans of rows appended in tenant/month batches.
    postgres_only: tuple[str, ...] = ()


def _split(sql: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in sql.split(";") if s.strip())


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        name="crm tables, job tables, provenance",
        statements=_split(V1_CORE) + tuple(entity_table_ddl(e, e) for e in ENTITIES),
        postgres_only=_split(V1_ENTITY_INDEXES),
    ),
)

# Write–audit–publish: generated rows wait here, tagged with their job, until the
# dbt audit passes and one transaction moves them into the CRM tables.
STAGED = tuple(f"staged_{e}" for e in ENTITIES)
V2_STAGED_INDEXES = "\n".join(f"CREATE INDEX IF NOT EXISTS idx_{t}_job ON {t}(demo_job_id);" for t in STAGED)

MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        version=2,
        name="staging tables for write-audit-publish",
        statements=tuple(entity_table_ddl(f"staged_{e}", e) for e in ENTITIES),
        postgres_only=_split(V2_STAGED_INDEXES),
    ),
)

BOOKKEEPING = (
    """CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
)""",
    """CREATE TABLE IF NOT EXISTS demogen_meta (
  key VARCHAR(100) PRIMARY KEY,
  value TEXT NOT NULL
)""",
)


def for_duckdb(statement: str) -> str:
    """DuckDB spells JSONB as JSON and has no descending index keys."""
    return statement.replace("JSONB", "JSON").replace(" DESC)", ")")

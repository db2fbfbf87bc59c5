"""Versioned DDL of the CRM store, the entity tables derived from their one declaration, adapted per backend."""

from __future__ import annotations

from dataclasses import dataclass

from flows.store.dbt_runner import MODELS_SCHEMA
from generators.frames import COLUMNS, ENTITIES

# Entity tables carry no foreign keys: they take bulk loads of millions of rows,
# and their integrity is proven by the dbt audit before anything is published.
# Job tables are small and keep their foreign keys.


def entity_table_ddl(table: str, entity: str, *, primary_key: bool = True) -> str:
    """CREATE TABLE for an entity table, or for its write–audit–publish twin, from the entity's columns.

    Without `primary_key` the key column is only NOT NULL: the drafts take bulk loads and leave
    uniqueness to the entity table they are published into.
    """
    columns = ",\n".join(
        f"  {column.name} {column.sql} NOT NULL" if column.key and not primary_key else f"  {column.ddl}"
        for column in COLUMNS[entity]
    )
    return f"CREATE TABLE IF NOT EXISTS {table} (\n{columns}\n)"


# Text column sizes that user input fills: tenant creation checks its arguments against these
# before the database does (PostgreSQL refuses longer text, DuckDB would store it).
TENANT_NAME_LENGTH = 200
SLUG_LENGTH = 100
TIMEZONE_LENGTH = 64
LOCALE_LENGTH = 16
CURRENCY_LENGTH = 3
SEED_LENGTH = 64

V1_CORE = f"""
CREATE TABLE IF NOT EXISTS tenants (
  id UUID PRIMARY KEY,
  name VARCHAR({TENANT_NAME_LENGTH}) NOT NULL,
  slug VARCHAR({SLUG_LENGTH}) NOT NULL UNIQUE,
  demo_generated BOOLEAN NOT NULL DEFAULT FALSE,
  timezone VARCHAR({TIMEZONE_LENGTH}) NOT NULL DEFAULT 'UTC',
  locale VARCHAR({LOCALE_LENGTH}) NOT NULL DEFAULT 'en_US',
  currency VARCHAR({CURRENCY_LENGTH}) NOT NULL DEFAULT 'USD',
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
  seed VARCHAR({SEED_LENGTH}) NOT NULL,
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
  seed VARCHAR({SEED_LENGTH}) NOT NULL,
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
    duckdb_only: tuple[str, ...] = ()


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

# Write–audit–publish: generated rows wait in a twin of their entity's table, tagged
# with their job, until the dbt audit passes and one transaction publishes them.
# Version 2 named the twins staged_<entity>; version 3 renamed them draft_<entity>,
# so they no longer read like dbt's staging layer (stg_crm__*).
_V2_TWINS = tuple(f"staged_{e}" for e in ENTITIES)
V2_STAGED_INDEXES = "\n".join(f"CREATE INDEX IF NOT EXISTS idx_{t}_job ON {t}(demo_job_id);" for t in _V2_TWINS)


def draft_table(entity: str) -> str:
    """The table where a job's generated rows of the entity wait for their audit."""
    return f"draft_{entity}"


MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        version=2,
        name="staging tables for write-audit-publish",
        statements=tuple(entity_table_ddl(f"staged_{e}", e) for e in ENTITIES),
        postgres_only=_split(V2_STAGED_INDEXES),
    ),
    Migration(
        version=3,
        name="write-audit-publish tables renamed to drafts",
        statements=tuple(f"ALTER TABLE staged_{e} RENAME TO {draft_table(e)}" for e in ENTITIES)
        # dbt builds the renamed models' views afresh; the old ones would read the drafts under the old name.
        + tuple(f"DROP VIEW IF EXISTS {MODELS_SCHEMA}.stg_crm__staged_{e}" for e in ENTITIES),
        postgres_only=tuple(
            f"ALTER INDEX IF EXISTS idx_staged_{e}_job RENAME TO idx_{draft_table(e)}_job" for e in ENTITIES
        ),
    ),
    # A running job's lease: who runs it and until when, so a job whose process died reads as interrupted.
    Migration(
        version=4,
        name="job leases",
        statements=(
            "ALTER TABLE demo_patch_jobs ADD COLUMN lease_owner VARCHAR(36)",
            "ALTER TABLE demo_patch_jobs ADD COLUMN lease_expires_at TIMESTAMPTZ",
        ),
    ),
    # Generation checks its candidate emails and company domains against the tenant's live
    # ones by lookup, instead of loading them all (flows/engine/context.py); the audit probes
    # each drafted email the same way.
    Migration(
        version=5,
        name="lookup indexes for unique emails and domains",
        statements=(),
        postgres_only=(
            "CREATE INDEX IF NOT EXISTS idx_contacts_tenant_email ON contacts(tenant_id, lower(email))",
            "CREATE INDEX IF NOT EXISTS idx_companies_tenant_domain ON companies(tenant_id, lower(domain))",
        ),
    ),
    # Each patch job's targets as rows: its dbt audit and verification read them by job id,
    # so the tests compile once for every job. No foreign key: DuckDB would refuse updates of
    # the job row it references.
    Migration(
        version=6,
        name="patch job targets",
        statements=(
            """CREATE TABLE IF NOT EXISTS demo_patch_job_targets (
  job_id UUID NOT NULL,
  month VARCHAR(7) NOT NULL,
  metric VARCHAR(40) NOT NULL,
  expected DECIMAL(18, 2) NOT NULL,
  tolerance DECIMAL(18, 2) NOT NULL,
  PRIMARY KEY (job_id, month, metric)
)""",
        ),
    ),
)

# Drafts are scratch rows on their way to the entity tables, loaded in bulk and read by job. Their
# primary key took a quarter of the server's work of a 1M-record draft load: uniqueness is the
# entity tables' key's job, at publish. The job index stays on PostgreSQL (a sixth of that work):
# a job's audit, publish and cleanup read its own drafts whatever other jobs have waiting. PostgreSQL's drafts are also
# UNLOGGED (no WAL): a server crash empties them, which fails nothing that was published — the job
# of any rows lost is interrupted and applied again, as after any crash.
# Version 2 created the twins as staged_<entity>, so their keys are still named after that.
MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        version=7,
        name="drafts without primary keys, unlogged on postgres",
        statements=(),
        postgres_only=tuple(
            statement
            for e in ENTITIES
            for statement in (
                f"ALTER TABLE {draft_table(e)} DROP CONSTRAINT staged_{e}_pkey",
                f"ALTER TABLE {draft_table(e)} SET UNLOGGED",
            )
        ),
        # DuckDB cannot drop a primary key: the tables are made anew, keeping any waiting rows.
        duckdb_only=tuple(
            statement
            for e in ENTITIES
            for statement in (
                entity_table_ddl(f"{draft_table(e)}_new", e, primary_key=False),
                f"INSERT INTO {draft_table(e)}_new SELECT * FROM {draft_table(e)}",
                f"DROP TABLE {draft_table(e)}",
                f"ALTER TABLE {draft_table(e)}_new RENAME TO {draft_table(e)}",
            )
        ),
    ),
)

# Master Admins sign in with a password (an Argon2id hash; CRM users without sign-in have none),
# programs with bearer API tokens, browsers with server-side sessions. Tokens and sessions are kept
# only as SHA-256 hashes. Their foreign keys to users cost nothing on DuckDB: it refuses only updates
# of a referenced row's indexed columns (its id, its email), which the jobs' keys refuse already.
SECRET_HASH_LENGTH = 64  # a SHA-256 hex digest
PASSWORD_HASH_LENGTH = 255
TOKEN_ID_LENGTH = 16

MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        version=8,
        name="master admin sign-in",
        statements=(
            f"ALTER TABLE users ADD COLUMN password_hash VARCHAR({PASSWORD_HASH_LENGTH})",
            f"""CREATE TABLE IF NOT EXISTS api_tokens (
  id VARCHAR({TOKEN_ID_LENGTH}) PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id),
  token_hash VARCHAR({SECRET_HASH_LENGTH}) NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  last_used_at TIMESTAMPTZ,
  revoked_at TIMESTAMPTZ
)""",
            f"""CREATE TABLE IF NOT EXISTS web_sessions (
  id_hash VARCHAR({SECRET_HASH_LENGTH}) PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id),
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  last_seen_at TIMESTAMPTZ NOT NULL
)""",
        ),
    ),
)

# Before-images: the version of each row a job modifies or soft-deletes, kept as JSON when the job
# publishes, so that its revert puts the row back exactly. `restored_at` marks the images a revert
# applied: a restored image no longer stands in the way of reverting the jobs before it.
ROW_IMAGES = "demo_patch_job_row_images"

MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        version=9,
        name="before-images of modified and soft-deleted rows",
        statements=(
            f"""CREATE TABLE IF NOT EXISTS {ROW_IMAGES} (
  job_id UUID NOT NULL,
  entity VARCHAR(20) NOT NULL,
  row_id UUID NOT NULL,
  action VARCHAR(10) NOT NULL,
  before_json JSONB NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  restored_at TIMESTAMPTZ,
  PRIMARY KEY (job_id, entity, row_id)
)""",
        ),
        # Revert asks which later job changed a row: a lookup by row, not by job.
        postgres_only=(f"CREATE INDEX IF NOT EXISTS idx_row_images_row ON {ROW_IMAGES}(entity, row_id)",),
    ),
    # A job's realism report asks which deals its contacts and companies hold: on PostgreSQL,
    # without these, each question hashed every deal of the database (~0.1 s each on 1.5M records).
    # DuckDB hashes a tenant's deals faster than it would keep two more indexes up to date.
    Migration(
        version=10,
        name="deal lookups by contact and by company",
        statements=(),
        postgres_only=(
            "CREATE INDEX IF NOT EXISTS idx_deals_tenant_contact ON deals(tenant_id, contact_id)",
            "CREATE INDEX IF NOT EXISTS idx_deals_tenant_company ON deals(tenant_id, company_id)",
        ),
    ),
)

# What a KPI read takes from each entity's rows besides tenant_id and created_at (the dbt macro
# kpi_events: a contact's status, a deal's stage and value, whether a row is soft-deleted). With
# the row's id (the audit's projection matches live rows to the job's drafts by id) they ride in
# the (tenant_id, created_at) index, so PostgreSQL reads a tenant's months from the index alone
# (docs/ARCHITECTURE.md, "Write–audit–publish").
KPI_COLUMNS = {
    "companies": ("deleted_at",),
    "contacts": ("status", "deleted_at"),
    "deals": ("stage_id", "value", "deleted_at"),
    "activities": ("deleted_at",),
}

MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        version=11,
        name="KPI reads from the (tenant_id, created_at) index alone",
        statements=(),
        postgres_only=tuple(
            statement
            for entity, columns in KPI_COLUMNS.items()
            for statement in (
                f"DROP INDEX IF EXISTS idx_{entity}_tenant_created",
                f"CREATE INDEX idx_{entity}_tenant_created ON {entity}(tenant_id, created_at) "
                f"INCLUDE ({', '.join(('id', *columns))})",
            )
        ),
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

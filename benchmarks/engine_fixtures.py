"""Fixtures of the engine benchmark: throwaway databases, tenants, bulk data, and a baseline of the dbt views."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from flows.store import Store, connect
from flows.store.dbt_runner import work_dir_path
from flows.store.tenants import Tenant
from generators.calendar import add_months, month_start
from generators.frames import ENTITIES, conform
from tests.helpers import insert_tenant, new_id, stage_id
from tests.pg_cluster import start_cluster

ROOT = Path(__file__).resolve().parents[1]

# Share of a tenant's records per entity (a CRM's usual mix: people and their activities dominate).
SHARES = {"companies": 0.05, "contacts": 0.40, "deals": 0.15, "activities": 0.40}
DELETED_EVERY = 50  # one row in fifty is soft-deleted, so the deleted_at filter has work to do


class Databases:
    """Fresh, empty databases on one backend: DuckDB files in a temp folder, or databases of one cluster."""

    def __init__(self, backend: str, folder: Path, server_url: str | None) -> None:
        self.backend, self.folder, self.server_url = backend, folder, server_url
        self.urls: list[str] = []

    def new(self, name: str, template: str | None = None) -> str:
        """The URL of a new database; with `template`, the URL of one of these that nobody has open, a copy of it.

        A copy also gets a copy of the template's dbt folder, as if it had been initialised itself.
        DuckDB copies the file; PostgreSQL creates the database from the template.
        """
        source = template.rsplit("/", 1)[1].removesuffix(".duckdb") if template else None
        if self.backend == "duckdb":
            path = self.folder / f"{name}.duckdb"
            if source:
                shutil.copyfile(self.folder / f"{source}.duckdb", path)
            url = f"duckdb:///{path}"
        else:
            assert self.server_url is not None
            admin = connect(self.server_url)
            try:
                admin.execute(f"DROP DATABASE IF EXISTS {name}")
                admin.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {source}" if source else ""))
            finally:
                admin.close()
            url = self.server_url.rsplit("/", 1)[0] + f"/{name}"
        if template and work_dir_path(template, self.backend).is_dir():
            shutil.copytree(work_dir_path(template, self.backend), work_dir_path(url, self.backend), dirs_exist_ok=True)
        self.urls.append(url)
        return url

    def forget(self) -> None:
        """Remove the dbt folder each database got under dbt_project/target (its compiled SQL and logs)."""
        for url in self.urls:
            shutil.rmtree(work_dir_path(url, self.backend), ignore_errors=True)


@contextmanager
def databases(backend: str, postgres_url: str | None = None) -> Iterator[Databases]:
    """DuckDB: a temp folder. PostgreSQL: the given server, else a throwaway cluster (tests/pg_cluster).

    At the end, the dbt folder of every database made goes too.
    """
    with tempfile.TemporaryDirectory(prefix="demogen-bench-") as folder:
        cluster = start_cluster() if backend == "postgres" and not postgres_url else None
        server_url = None if backend == "duckdb" else postgres_url or (cluster.url if cluster else None)
        dbs = Databases(backend, Path(folder), server_url)
        try:
            yield dbs
        finally:
            dbs.forget()
            if cluster:
                cluster.stop()


def add_tenant(
    store: Store, slug: str, *, timezone: str = "America/New_York", created_at: datetime | None = None
) -> Tenant:
    """A demo tenant with pipeline stages and three sales reps (generated records need owners)."""
    tenant = insert_tenant(
        store, slug=slug, timezone=timezone, created_at=created_at or datetime(2023, 1, 1, tzinfo=UTC)
    )
    for n in range(3):
        store.execute(
            "INSERT INTO users (id, tenant_id, email, name, role) VALUES (?, ?, ?, ?, 'sales_rep')",
            (new_id("rep", tenant.id, n), tenant.id, f"rep{n}@{slug}.demo", f"Rep {n}"),
        )
    return tenant


def _spread(n: int, salt: int, modulo: int) -> pl.Expr:
    # Deterministic, well-mixed integers in [0, modulo) built in bulk: no per-row Python.
    return ((pl.int_range(n, dtype=pl.Int64) * 2654435761 + salt * 40503) % 4294967291) % modulo


def _ids(prefix: int, number: int, row: pl.Expr) -> pl.Expr:
    """The id of row `row` of an entity (prefix: 1 companies, 2 contacts, 3 deals, 4 activities) of tenant `number`."""
    return pl.format(f"{prefix:08x}-{number:04x}-4000-8000-{{}}", row.cast(pl.String).str.zfill(12))


def synthetic_frames(
    tenant: Tenant, number: int, records: int, first_month: str, months: int
) -> dict[str, pl.DataFrame]:
    """`records` rows of one tenant spread evenly over `months` months, in the CRM tables' layout.

    Not realistic records (the generators make those, and slower): the KPI read only
    looks at tenant, created_at, deleted_at, status, stage and value, and all of those vary.
    Contacts belong to companies (their email at the company's domain), deals and activities
    to contacts, so what generation reads of a tenant's records is there too.
    """
    start = month_start(first_month, tenant.timezone)
    span = int((month_start(add_months(first_month, months), tenant.timezone) - start).total_seconds()) - 1
    sizes = {entity: int(records * share) for entity, share in SHARES.items()}

    def base(prefix: int, n: int, salt: int) -> pl.DataFrame:
        created = pl.lit(start) + pl.duration(seconds=_spread(n, salt, span))
        row = pl.int_range(n, dtype=pl.Int64)
        return pl.select(
            id=_ids(prefix, number, row),
            tenant_id=pl.lit(tenant.id),
            owner_id=pl.lit(None, pl.String),
            created_at=created,
            updated_at=created,
            deleted_at=pl.when(row % DELETED_EVERY == 7).then(created).otherwise(None),
            demo_generated=pl.lit(True),
            demo_job_id=pl.lit(None, pl.String),
            demo_source_month=pl.lit(None, pl.String),
        )

    n = sizes["companies"]
    companies = base(1, n, 1).with_columns(
        name=pl.format("Company {}", pl.int_range(n)),
        domain=pl.format("company{}.example", pl.int_range(n)),
        industry=pl.lit("Software"),
        size=pl.lit("51-200"),
        city=pl.lit("Springfield"),
        country=pl.lit("US"),
    )
    n = sizes["contacts"]
    statuses = pl.Series(["lead", "lead", "prospect", "customer"])
    employer = _spread(n, 8, max(sizes["companies"], 1))
    contacts = base(2, n, 2).with_columns(
        company_id=_ids(1, number, employer) if sizes["companies"] else pl.lit(None, pl.String),
        first_name=pl.lit("Ada"),
        last_name=pl.format("Person {}", pl.int_range(n)),
        email=pl.format("p{}@company{}.example", pl.int_range(n), employer),
        phone=pl.lit(None, pl.String),
        job_title=pl.lit("Buyer"),
        status=pl.lit(statuses).gather(_spread(n, 3, 4)),
        source=pl.lit("web"),
    )
    n = sizes["deals"]
    stages = pl.Series([stage_id(tenant.id, s) for s in ("Won", "Won", "Lost", "Qualified", "Proposal", "Qualified")])
    buyer = _spread(n, 9, max(sizes["contacts"], 1))
    deals = base(3, n, 4).with_columns(
        contact_id=_ids(2, number, buyer) if sizes["contacts"] else pl.lit(None, pl.String),
        company_id=pl.lit(None, pl.String),
        stage_id=pl.lit(stages).gather(_spread(n, 5, 6)),
        name=pl.format("Deal {}", pl.int_range(n)),
        value=(1000 + _spread(n, 6, 30000)).cast(pl.Decimal(14, 2)),
        currency=pl.lit("USD"),
        expected_close_date=pl.lit(None, pl.Date),
        closed_at=pl.lit(None, pl.Datetime("us", "UTC")),
    )
    n = sizes["activities"]
    activities = base(4, n, 7).with_columns(
        contact_id=_ids(2, number, _spread(n, 10, max(sizes["contacts"], 1)))
        if sizes["contacts"]
        else pl.lit(None, pl.String),
        deal_id=pl.lit(None, pl.String),
        company_id=pl.lit(None, pl.String),
        type=pl.lit("call"),
        subject=pl.lit("Call"),
    )
    frames = {"companies": companies, "contacts": contacts, "deals": deals, "activities": activities}
    return {entity: conform(entity, frame) for entity, frame in frames.items()}


def load_synthetic(store: Store, tenant: Tenant, number: int, records: int, first_month: str, months: int) -> None:
    for entity, frame in synthetic_frames(tenant, number, records, first_month, months).items():
        for chunk in frame.iter_slices(250_000):
            store.load_frame(entity, chunk)


def settle(store: Store, attempts: int = 10) -> None:
    """After a bulk load: fresh planner statistics (and, on PostgreSQL, the visibility map and hint bits).

    On PostgreSQL a VACUUM marks a page all-visible only if no snapshot still open can miss a row on
    it, and autovacuum's ANALYZE of the tables just loaded holds one: right after a load of three
    tenants, one VACUUM left two pages in three of the CRM tables unmarked, so the KPI reads visited
    the table where a settled database answers from the index. Vacuumed again until every page is.
    """
    if store.backend != "postgres":
        store.execute("CHECKPOINT")
        return
    for attempt in range(attempts):
        store.execute("VACUUM ANALYZE")
        if _all_visible(store):
            return
        if attempt + 1 < attempts:
            time.sleep(0.5 * (attempt + 1))
    raise RuntimeError(f"the CRM tables still had pages not all-visible after {attempts} VACUUMs")


def _all_visible(store: Store) -> bool:
    """Every page of the CRM tables is marked all-visible (as VACUUM last counted them)."""
    row = store.query_one(
        "SELECT count(*) AS tables, bool_and(c.relallvisible >= c.relpages) AS settled FROM pg_class AS c "
        "JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname IN "
        "(SELECT unnest(?::TEXT[]))",
        (store.crm_schema, list(ENTITIES)),
    )
    if row is None or row["tables"] != len(ENTITIES):
        raise RuntimeError(f"settle: the CRM tables {', '.join(ENTITIES)} are not all in schema {store.crm_schema}")
    return bool(row["settled"])


BASELINE_SCHEMA = "analytics_baseline"


def install_baseline(store: Store, ref: str) -> str:
    """Build the dbt views of git `ref` into their own schema beside the current ones; return its name.

    Lets one run time the KPI read of an older commit against the working tree's, side by side
    on the same data, instead of comparing numbers from two runs on a noisy machine.
    """
    from dbt.cli.main import dbtRunner

    work = Path(tempfile.mkdtemp(prefix="demogen-baseline-"))
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "dbt_project"],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(work)], input=archive, check=True)
        project = work / "dbt_project"
        profiles = project / "profiles.yml"
        profiles.write_text(profiles.read_text().replace("schema: analytics", f"schema: {BASELINE_SCHEMA}"))
        env = store.dbt_env() | {
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "DEMOGEN_CRM_SCHEMA": store.crm_schema,
        }
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            with store.released():
                outcome = dbtRunner().invoke(
                    [
                        "run",
                        "--select",
                        "tag:staging tag:kpis",
                        "--project-dir",
                        str(project),
                        "--profiles-dir",
                        str(project),
                        "--target",
                        env["DEMOGEN_DBT_TARGET"],
                        "--target-path",
                        str(work / "target"),
                        "--log-path",
                        str(work / "logs"),
                        "--log-level",
                        "none",
                    ]
                )
        finally:
            for key, old in saved.items():
                if old is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = old
        if not outcome.success:
            raise SystemExit(f"could not build the dbt views of {ref}: {outcome.exception}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return BASELINE_SCHEMA

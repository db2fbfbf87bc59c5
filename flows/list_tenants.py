"""`list_demo_tenants`: the demo tenant list — data range and KPI summary per month — as table artifacts."""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows import artifacts
from flows.kpis.reads import kpis_json, monthly_kpis
from flows.store import open_store
from flows.store.tenants import list_tenants

TENANTS_KEY = "demo-tenants"


@task(cache_policy=NO_CACHE)
def summarise_tenants(database_url: str | None, include_all: bool) -> list[dict[str, Any]]:
    """Each tenant with its data range, record counts and monthly KPIs, published as artifacts."""
    out = []
    with open_store(database_url) as store:
        summaries = list_tenants(store, include_all=include_all)
        for s in summaries:
            kpis = monthly_kpis(store, s.tenant, s.first_month, s.last_month) if s.first_month and s.last_month else {}
            if kpis:
                create_table_artifact(
                    artifacts.kpi_summary_table(kpis),
                    key=artifacts.artifact_key("kpi-summary", s.tenant.slug),
                    description=f"Monthly KPIs of {s.tenant.name}, {s.first_month} … {s.last_month}",
                )
            out.append(s.as_dict() | {"kpis": kpis_json(kpis)["months"]})
    table = artifacts.tenants_table(summaries) or [{"Slug": "", "Name": "no demo tenants yet"}]
    create_table_artifact(table, key=TENANTS_KEY, description="Demo tenants: data range and record counts")
    return out


@flow(name="list-demo-tenants")
def list_demo_tenants(database_url: str | None = None, include_all: bool = False) -> list[dict[str, Any]]:
    """Publish the demo tenants with their data range and monthly KPI summary.

    Args:
        database_url: CRM database URL (default: DEMOGEN_DATABASE_URL, else duckdb:///demogen.duckdb).
        include_all: Also list tenants that are not demo-generated (they cannot be patched).
    """
    return summarise_tenants(database_url, include_all)

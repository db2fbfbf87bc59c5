"""Reads monthly KPIs from the dbt KPI model: Python sums, dbt defines every formula."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flows.kpis.numbers import to_kpi_number
from flows.store.base import Store
from flows.store.dbt_runner import MODELS_SCHEMA
from flows.store.tenants import Tenant
from generators.calendar import add_months, month_of, month_range, month_start
from generators.errors import DemogenError
from generators.metrics import METRICS

MonthKpis = dict[str, int | Decimal]
DEFAULT_DEAL_SIZE = Decimal("10000")
TYPICAL_DEAL_SAMPLE = 1_000  # the tenant's latest live deals whose median is its typical deal size

_SUMS = ", ".join(f"sum({m.column}) AS {m.column}" for m in METRICS)


def zero_kpis() -> MonthKpis:
    return {m.name: (Decimal("0.00") if m.kind == "money" else 0) for m in METRICS}


def _value(kind: str, raw: Any) -> int | Decimal:
    if raw is None:
        return Decimal("0.00") if kind == "money" else 0
    return Decimal(raw).quantize(Decimal("0.01")) if kind == "money" else int(raw)


def monthly_kpis(store: Store, tenant: Tenant, first: str, last: str) -> dict[str, MonthKpis]:
    """Every month from first to last (tenant-local), zeros where the month holds nothing."""
    months = month_range(first, last)
    # Bound created_at in UTC so the scan uses the (tenant_id, created_at) index;
    # kpi_events still assigns each row its tenant-local month.
    lower = month_start(first, tenant.timezone)
    upper = month_start(add_months(last, 1), tenant.timezone)
    # Group on the month's first day and label the few groups here: on PostgreSQL a
    # label per row (to_char) took about a third of this read.
    rows = store.query(
        f"SELECT month_start, {_SUMS} FROM {MODELS_SCHEMA}.kpi_events "
        "WHERE tenant_id = ? AND created_at >= ? AND created_at < ? GROUP BY month_start",
        (tenant.id, lower, upper),
    )
    result = {month: zero_kpis() for month in months}
    for row in rows:
        month = _label(row["month_start"])
        if month in result:
            result[month] = {m.name: _value(m.kind, row[m.column]) for m in METRICS}
    return result


def _label(month_start: date | datetime) -> str:
    """'YYYY-MM' of kpi_events.month_start (a date; the dbt macro month_label spells the same in SQL)."""
    return f"{month_start.year:04d}-{month_start.month:02d}"


def kpis_json(kpis: dict[str, MonthKpis]) -> dict[str, Any]:
    """The KPI response: {"months": [{"month": ..., "metrics": {...}}]} with numbers, money as decimals."""
    return {
        "months": [
            {"month": month, "metrics": {k: to_kpi_number(v) for k, v in metrics.items()}}
            for month, metrics in kpis.items()
        ]
    }


def typical_deal_size(store: Store, tenant: Tenant) -> Decimal:
    """The median value of the tenant's latest TYPICAL_DEAL_SAMPLE live deals; 10,000 when it has none.

    The latest ones, by the (tenant_id, created_at) index, so the read costs the same on any tenant.
    """
    median = store.scalar(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS median FROM "
        "(SELECT value FROM deals WHERE tenant_id = ? AND deleted_at IS NULL "
        "ORDER BY created_at DESC, id DESC LIMIT ?) AS latest",
        (tenant.id, TYPICAL_DEAL_SAMPLE),
    )
    return Decimal(str(median)).quantize(Decimal("0.01")) if median else DEFAULT_DEAL_SIZE


def latest_month_with_data(store: Store, tenant: Tenant) -> str | None:
    latest = store.scalar(
        f"SELECT max(created_at) AS latest FROM {MODELS_SCHEMA}.kpi_events WHERE tenant_id = ?",
        (tenant.id,),
    )
    return None if latest is None else month_of(latest, tenant.timezone)


def data_range(store: Store, tenant: Tenant) -> tuple[str, str] | None:
    """The tenant-local first and last month holding any KPI event; None for a tenant without data."""
    row = store.query_one(
        f"SELECT min(created_at) AS first_at, max(created_at) AS last_at FROM {MODELS_SCHEMA}.kpi_events "
        "WHERE tenant_id = ?",
        (tenant.id,),
    )
    if row is None or row["first_at"] is None:
        return None
    return month_of(row["first_at"], tenant.timezone), month_of(row["last_at"], tenant.timezone)


def require_data_range(store: Store, tenant: Tenant) -> tuple[str, str]:
    """data_range, refusing a tenant without data with a message that says what to do."""
    found = data_range(store, tenant)
    if found is None:
        raise DemogenError(f"tenant {tenant.slug} has no data yet: give --from and --to to see empty months")
    return found

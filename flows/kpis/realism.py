"""How real a tenant's data looks, read from the dbt realism views: pipeline age, stages, deal stories, names, hours."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flows.store.base import Store
from flows.store.dbt_runner import MODELS_SCHEMA
from flows.store.tenants import Tenant
from generators.pipeline import CYCLE_DAYS

# Age bands of open deals, in days since creation: [from, to), the last one open-ended.
AGE_BANDS: tuple[tuple[int, int | None], ...] = ((0, 30), (30, 90), (90, 180), (180, None))
YOUNG_DAYS = CYCLE_DAYS[1]  # an open deal younger than the longest cycle may still be on time


def _band_label(low: int, high: int | None) -> str:
    return f"{low}d+" if high is None else f"{low}–{high - 1}d"


def _share(part: Any, whole: Any) -> float | None:
    return None if not whole else round(int(part or 0) / int(whole), 4)


def _number(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def realism(store: Store, tenant: Tenant, as_of: datetime, job_id: str | None = None) -> dict[str, Any]:
    """The realism figures of `tenant`'s live records at `as_of`, or of one job's records only.

    Open deals: how many, the share overdue (expected close before as-of's tenant-local date)
    and younger than the longest cycle, days from creation to expected close (median, p95)
    and how many go beyond the longest cycle; open deals by stage and age; activities: the
    share tied to a deal (of all, and of those of contacts with a deal), how many mention a
    later step than their deal's stage reached, come after their deal closed, or mention a
    step without a deal; deal names repeated within a company; the share of records created
    in business hours and on weekdays.
    """
    today = as_of.astimezone(ZoneInfo(tenant.timezone)).date()
    scope = "tenant_id = ?" + (" AND demo_job_id = ?" if job_id else "")
    params: tuple[Any, ...] = (tenant.id, job_id) if job_id else (tenant.id,)
    return {
        "asOf": as_of.isoformat(),
        "scope": "job" if job_id else "tenant",
        "openDeals": _open_deals(store, scope, params, today, as_of),
        "stagesByAge": _stages_by_age(store, scope, params, as_of),
        "activities": _activities(store, scope, params),
        "dealNames": _deal_names(store, tenant.id, job_id),
        "timestamps": _timestamps(store, scope, params),
    }


def _open_deals(store: Store, scope: str, params: tuple[Any, ...], today: Any, as_of: datetime) -> dict[str, Any]:
    row = store.query_one(
        "SELECT count(*) AS n, "
        "count(CASE WHEN expected_close_date < ? THEN 1 END) AS overdue, "
        "count(CASE WHEN created_at > ? THEN 1 END) AS young, "
        "count(CASE WHEN days_to_expected_close > ? THEN 1 END) AS beyond, "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY days_to_expected_close) AS median_days, "
        "percentile_cont(0.95) WITHIN GROUP (ORDER BY days_to_expected_close) AS p95_days "
        f"FROM {MODELS_SCHEMA}.realism_deals WHERE {scope} AND is_open",
        (today, as_of - timedelta(days=YOUNG_DAYS), CYCLE_DAYS[1], *params),
    )
    row = row or {}
    n = int(row.get("n") or 0)
    return {
        "count": n,
        "overdueShare": _share(row.get("overdue"), n),
        "youngerThanLongestCycleShare": _share(row.get("young"), n),
        "beyondLongestCycle": int(row.get("beyond") or 0),
        "daysToExpectedClose": {"median": _number(row.get("median_days")), "p95": _number(row.get("p95_days"))},
    }


def _stages_by_age(store: Store, scope: str, params: tuple[Any, ...], as_of: datetime) -> dict[str, Any]:
    bands, bounds = [], []
    for i, (low, high) in enumerate(AGE_BANDS):
        older = "created_at <= ?"
        condition = older if high is None else f"{older} AND created_at > ?"
        bands.append(f"count(CASE WHEN {condition} THEN 1 END) AS band{i}")
        bounds += [as_of - timedelta(days=low)] + ([] if high is None else [as_of - timedelta(days=high)])
    rows = store.query(
        f"SELECT stage_name, stage_position, {', '.join(bands)} FROM {MODELS_SCHEMA}.realism_deals "
        f"WHERE {scope} AND is_open GROUP BY stage_name, stage_position ORDER BY stage_position, stage_name",
        (*bounds, *params),
    )
    return {
        "bands": [_band_label(low, high) for low, high in AGE_BANDS],
        "rows": [
            {"stage": r["stage_name"], "counts": [int(r[f"band{i}"]) for i in range(len(AGE_BANDS))]} for r in rows
        ],
    }


def _activities(store: Store, scope: str, params: tuple[Any, ...]) -> dict[str, Any]:
    row = store.query_one(
        "SELECT count(*) AS n, count(deal_id) AS linked, "
        "count(CASE WHEN contact_has_deal THEN 1 END) AS of_buyers, "
        "count(CASE WHEN contact_has_deal AND deal_id IS NOT NULL THEN 1 END) AS buyers_linked, "
        "count(CASE WHEN story_step > deal_level THEN 1 END) AS ahead, "
        "count(CASE WHEN is_after_deal_closed THEN 1 END) AS after_close, "
        "count(CASE WHEN deal_id IS NULL AND story_step > 1 THEN 1 END) AS stage_without_deal "
        f"FROM {MODELS_SCHEMA}.realism_activities WHERE {scope}",
        params,
    )
    row = row or {}
    n, buyers = int(row.get("n") or 0), int(row.get("of_buyers") or 0)
    return {
        "count": n,
        "linkedShare": _share(row.get("linked"), n),
        "ofContactsWithDeals": buyers,
        "linkedShareOfContactsWithDeals": _share(row.get("buyers_linked"), buyers),
        "aheadOfDealStage": int(row.get("ahead") or 0),
        "afterDealClosed": int(row.get("after_close") or 0),
        "stageSubjectWithoutDeal": int(row.get("stage_without_deal") or 0),
    }


def _deal_names(store: Store, tenant_id: str, job_id: str | None) -> dict[str, int]:
    """Names held by more than one live deal of a company (with one of the job's deals, for a job)."""
    # For a job, only the companies its deals went to can hold one of its repeated names.
    companies = (
        f" AND company_id IN (SELECT company_id FROM {MODELS_SCHEMA}.realism_deals "
        "WHERE tenant_id = ? AND demo_job_id = ?)"
        if job_id
        else ""
    )
    mine = "HAVING count(*) > 1" + (" AND count(CASE WHEN demo_job_id = ? THEN 1 END) > 0" if job_id else "")
    row = store.query_one(
        "SELECT count(*) AS names, sum(n) AS deals FROM (SELECT company_id, deal_name, count(*) AS n "
        f"FROM {MODELS_SCHEMA}.realism_deals WHERE tenant_id = ?{companies} "
        f"GROUP BY company_id, deal_name {mine}) AS repeated",
        (tenant_id, tenant_id, job_id, job_id) if job_id else (tenant_id,),
    )
    row = row or {}
    return {"repeatedNames": int(row.get("names") or 0), "dealsWithRepeatedNames": int(row.get("deals") or 0)}


def _timestamps(store: Store, scope: str, params: tuple[Any, ...]) -> dict[str, Any]:
    row = store.query_one(
        "SELECT count(*) AS n, count(CASE WHEN is_in_business_hours THEN 1 END) AS in_hours, "
        "count(CASE WHEN is_on_weekday THEN 1 END) AS weekdays "
        f"FROM {MODELS_SCHEMA}.realism_records WHERE {scope}",
        params,
    )
    row = row or {}
    n = int(row.get("n") or 0)
    return {
        "records": n,
        "businessHoursShare": _share(row.get("in_hours"), n),
        "weekdayShare": _share(row.get("weekdays"), n),
    }


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:g} d"


def summary_rows(figures: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The figures as (label, value) lines, as every report shows them."""
    deals, acts = figures["openDeals"], figures["activities"]
    days, names, stamps = deals["daysToExpectedClose"], figures["dealNames"], figures["timestamps"]
    return [
        ("Open deals", f"{deals['count']:,}"),
        ("… overdue (expected close passed)", _pct(deals["overdueShare"])),
        (f"… younger than {YOUNG_DAYS} days", _pct(deals["youngerThanLongestCycleShare"])),
        ("… days to expected close, median / p95", f"{_days(days['median'])} / {_days(days['p95'])}"),
        (f"… expected close over {CYCLE_DAYS[1]} days after creation", f"{deals['beyondLongestCycle']:,}"),
        ("Activities tied to a deal", _pct(acts["linkedShare"])),
        ("… of contacts with a deal", _pct(acts["linkedShareOfContactsWithDeals"])),
        ("Activities ahead of their deal's stage", f"{acts['aheadOfDealStage']:,}"),
        ("Activities after their deal closed", f"{acts['afterDealClosed']:,}"),
        ("Stage subjects without a deal", f"{acts['stageSubjectWithoutDeal']:,}"),
        ("Deal names repeated within a company", f"{names['repeatedNames']:,}"),
        ("Records in business hours", _pct(stamps["businessHoursShare"])),
        ("Records on weekdays", _pct(stamps["weekdayShare"])),
    ]


def stage_rows(figures: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The stage-by-age table: header (stage, one column per age band) and rows of counts."""
    table = figures["stagesByAge"]
    rows = [[row["stage"], *(f"{n:,}" for n in row["counts"])] for row in table["rows"]]
    return ["Open stage", *table["bands"]], rows

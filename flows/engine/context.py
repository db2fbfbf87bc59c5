"""Builds the generators' view of a tenant (TenantContext) from the store, scoped to a plan.

What generation reads of a tenant's existing records, and how much of it, so that the cost
follows the patch and not the tenant:

- companies new contacts may join, and contacts new deals (and activities beyond the
  ACTIVITIES_PER_CONTACT each new contact gets) may go to: at each bound of each plan month
  (its first instant and its end), the latest live ones created before it — one per record
  the month places on them, between MIN_CANDIDATES and MAX_CANDIDATES, none when it places
  none. Both bounds, so that a month's first instants have parents and records the month
  already holds are offered too;
- the companies of those contacts (a deal is named after its contact's company and follows
  the company's creation); when the plan puts activities on existing contacts, those
  contacts' deals created since the earliest of them and before the plan's end (an activity
  ties to its contact's latest deal);
- unique emails, company domains and deal names: only the candidates are looked up
  (TenantContext.emails_taken, domains_taken, deal_names_taken), never the tenant's whole
  list; deal names among the deals created since the first plan month's quarter began, as
  a deal's name carries the quarter it was created in. While another thread writes to the
  store, those lookups wait for their turn on its connection (`taking_turns`).

Every read is an index range or key lookup (PostgreSQL: (tenant_id, created_at), the
primary keys, and (tenant_id, lower(email|domain))), ordered so that the same database
state gives the same context.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import polars as pl

from flows.store.base import Store
from flows.store.tenants import Tenant
from generators.allocation import MonthAllocation
from generators.calendar import month_bounds, month_start
from generators.context import EXISTING_COMPANIES, EXISTING_CONTACTS, EXISTING_DEALS, Stage, TenantContext
from generators.text import Taken

MIN_CANDIDATES = 200
MAX_CANDIDATES = 2_000
_LIVE = "tenant_id = ? AND deleted_at IS NULL"


def candidates(children: int) -> int:
    """Existing records offered at a month bound to the month's `children` new records placed on them."""
    return 0 if children <= 0 else min(MAX_CANDIDATES, max(MIN_CANDIDATES, children))


def _frame(store: Store, sql: str, params: tuple[object, ...], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    frame = store.query_frame(sql, params)
    if frame.height == 0:
        return pl.DataFrame(schema=schema)
    return frame.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])


def _columns(schema: dict[str, pl.DataType]) -> str:
    return ", ".join(schema)


def _latest(
    store: Store, tenant_id: str, table: str, schema: dict[str, pl.DataType], bounds: dict[datetime, int]
) -> pl.DataFrame:
    """For each bound: its n latest live rows created before it; their union, oldest first.

    The n-th latest instant is found first, on created_at alone, so that the rows themselves
    are read only from there on: on DuckDB, which scans, that halves the read.
    """
    if not bounds:
        return pl.DataFrame(schema=schema)
    before = f"FROM {table} WHERE {_LIVE} AND created_at < ?"
    one = (
        f"(SELECT {_columns(schema)} {before} AND created_at >= "
        f"(SELECT min(created_at) FROM (SELECT created_at {before} ORDER BY created_at DESC LIMIT ?) AS latest) "
        "ORDER BY created_at DESC, id DESC LIMIT ?)"
    )
    sql = " UNION ".join([one] * len(bounds)) + " ORDER BY created_at, id"
    params = tuple(value for bound, n in bounds.items() for value in (tenant_id, bound, tenant_id, bound, n, n))
    return _frame(store, sql, params, schema)


def _distinct(values: pl.Series) -> list[str]:
    """The series' values, once each, sorted: a query parameter that does not depend on row order."""
    return sorted(values.drop_nulls().unique().to_list())


def _by_id(store: Store, tenant_id: str, table: str, schema: dict[str, pl.DataType], ids: list[str]) -> pl.DataFrame:
    if not ids:
        return pl.DataFrame(schema=schema)
    sql = f"SELECT {_columns(schema)} FROM {table} WHERE {_LIVE} AND id IN (SELECT unnest(?::UUID[]))"
    return _frame(store, sql, (tenant_id, ids), schema)


def _deals_of(store: Store, tenant_id: str, contacts: pl.DataFrame, until: datetime) -> pl.DataFrame:
    """The live deals of `contacts` created from the earliest of them until `until`."""
    if contacts.is_empty():
        return pl.DataFrame(schema=EXISTING_DEALS)
    sql = (
        f"SELECT {_columns(EXISTING_DEALS)} FROM deals WHERE {_LIVE} AND created_at >= ? AND created_at < ? "
        "AND contact_id IN (SELECT unnest(?::UUID[])) ORDER BY created_at, id"
    )
    since = contacts["created_at"].min()
    return _frame(store, sql, (tenant_id, since, until, _distinct(contacts["id"])), EXISTING_DEALS)


def _has_live(store: Store, tenant_id: str, table: str) -> bool:
    return store.query_one(f"SELECT 1 AS found FROM {table} WHERE {_LIVE} LIMIT 1", (tenant_id,)) is not None


def _taken(store: Store, tenant_id: str, table: str, column: str) -> Taken:
    """Which lower-case candidates the tenant's live rows of `table` already hold in `column`."""
    sql = (
        f"SELECT DISTINCT lower({column}) AS value FROM {table} WHERE {_LIVE} "
        f"AND lower({column}) IN (SELECT unnest(?::VARCHAR[]))"
    )

    def taken(values: pl.Series) -> pl.Series:
        asked = _distinct(values)
        if not asked:
            return pl.Series(dtype=pl.String)
        return pl.Series([row["value"] for row in store.query(sql, (tenant_id, asked))], dtype=pl.String)

    return taken


def _names_taken(store: Store, tenant_id: str, since: datetime) -> Taken:
    """Which candidate deal names the tenant's live deals created since `since` already hold."""
    sql = (
        f"SELECT DISTINCT name AS value FROM deals WHERE {_LIVE} AND created_at >= ? "
        "AND name IN (SELECT unnest(?::VARCHAR[]))"
    )

    def taken(values: pl.Series) -> pl.Series:
        asked = _distinct(values)
        if not asked:
            return pl.Series(dtype=pl.String)
        return pl.Series([row["value"] for row in store.query(sql, (tenant_id, since, asked))], dtype=pl.String)

    return taken


def _quarter_start(month: str, timezone: str) -> datetime:
    """The first instant of the calendar quarter `month` falls in."""
    first = (int(month[5:7]) - 1) // 3 * 3 + 1
    return month_start(f"{month[:4]}-{first:02d}", timezone)


def _without(frame: pl.DataFrame, ids: Collection[str]) -> pl.DataFrame:
    return frame.filter(~pl.col("id").cast(pl.String).is_in(sorted(ids))) if ids else frame


def load_context(
    store: Store,
    tenant: Tenant,
    typical_deal_size: Decimal,
    months: Mapping[str, MonthAllocation],
    *,
    left_out: Mapping[str, Collection[str]] | None = None,
) -> TenantContext:
    """Settings, owners, stages, and the live records the plan's `months` (month -> allocation) may attach to.

    `left_out`: ids per entity table of live rows new records must not attach to (the rows the same
    RECONCILE job edits or soft-deletes).
    """
    left_out = left_out or {}
    owners = tuple(
        r["id"]
        for r in store.query(
            "SELECT id FROM users WHERE tenant_id = ? AND role <> 'master_admin' ORDER BY email", (tenant.id,)
        )
    )
    stages = tuple(
        Stage(
            id=r["id"],
            name=r["name"],
            position=int(r["position"]),
            is_won=bool(r["is_won"]),
            is_lost=bool(r["is_lost"]),
        )
        for r in store.query(
            "SELECT id, name, position, is_won, is_lost FROM pipeline_stages WHERE tenant_id = ? ORDER BY position",
            (tenant.id,),
        )
    )
    spans = [(month_bounds(month, tenant.timezone), allocation) for month, allocation in sorted(months.items())]
    company_bounds: dict[datetime, int] = {}
    contact_bounds: dict[datetime, int] = {}
    for (start, end), a in spans:
        # New contacts join companies; new deals, and activities beyond a new contact's own, go to contacts.
        joining, buying = candidates(a.leads + a.non_lead_contacts), candidates(a.deals + a.extra_activities)
        for bound in (start, end):  # a month's end is the next month's start: one read, the larger sample
            if joining:
                company_bounds[bound] = max(company_bounds.get(bound, 0), joining)
            if buying:
                contact_bounds[bound] = max(contact_bounds.get(bound, 0), buying)
    companies = _latest(store, tenant.id, "companies", EXISTING_COMPANIES, company_bounds)
    contacts = _latest(store, tenant.id, "contacts", EXISTING_CONTACTS, contact_bounds)
    contacts = _without(contacts, left_out.get("contacts", ()))
    employers = _distinct(contacts["company_id"].filter(~contacts["company_id"].is_in(companies["id"].implode())))
    if employers:
        companies = pl.concat([companies, _by_id(store, tenant.id, "companies", EXISTING_COMPANIES, employers)]).sort(
            "created_at", "id"
        )
    companies = _without(companies, left_out.get("companies", ()))
    # A contact whose company is gone (soft-deleted, or changed by the same job) takes no new
    # deal or activity: those copy their contact's company and would point at it.
    contacts = contacts.filter(pl.col("company_id").is_null() | pl.col("company_id").is_in(companies["id"].implode()))
    # Existing deals matter only to activities on existing contacts (each ties to its contact's latest deal).
    deals = pl.DataFrame(schema=EXISTING_DEALS)
    if any(a.extra_activities for _, a in spans):
        (_, plan_end), _ = spans[-1]
        deals = _without(_deals_of(store, tenant.id, contacts, plan_end), left_out.get("deals", ()))
    has_deals = not deals.is_empty() or _has_live(store, tenant.id, "deals")
    has_contacts = not contacts.is_empty() or _has_live(store, tenant.id, "contacts")
    has_companies = not companies.is_empty() or _has_live(store, tenant.id, "companies")
    return TenantContext(
        tenant_id=tenant.id,
        timezone=tenant.timezone,
        locale=tenant.locale,
        currency=tenant.currency,
        created_at=tenant.created_at,
        owner_ids=owners,
        stages=stages,
        typical_deal_size=typical_deal_size,
        companies=companies,
        contacts=contacts,
        deals=deals,
        emails_taken=_taken(store, tenant.id, "contacts", "email") if has_contacts else None,
        domains_taken=_taken(store, tenant.id, "companies", "domain") if has_companies else None,
        deal_names_taken=(
            _names_taken(store, tenant.id, _quarter_start(min(months), tenant.timezone))
            if has_deals and months
            else None
        ),
    )


def taking_turns(ctx: TenantContext, turn: AbstractContextManager[object]) -> TenantContext:
    """`ctx` whose lookups of taken emails, domains and deal names use the store only while holding `turn`."""

    def in_turn(taken: Taken | None) -> Taken | None:
        if taken is None:
            return None
        lookup = taken

        def asked(values: pl.Series) -> pl.Series:
            with turn:
                return lookup(values)

        return asked

    return replace(
        ctx,
        emails_taken=in_turn(ctx.emails_taken),
        domains_taken=in_turn(ctx.domains_taken),
        deal_names_taken=in_turn(ctx.deal_names_taken),
    )

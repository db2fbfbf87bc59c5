"""Generation reads only what a plan attaches to: a bounded sample around its months, lookups for uniqueness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from flows.engine.context import MIN_CANDIDATES, load_context
from flows.engine.steps import Prepared, prepare
from flows.store import Store
from flows.store.tenants import Tenant
from generators import EntityFrames, TenantContext, generate_plan
from generators.calendar import month_bounds
from generators.frames import SCHEMAS, conform
from tests.engine.plans import NOW, make_plan
from tests.helpers import insert_rows, new_id, stage_id

MONTH = "2025-03"
AFTER_THE_PLAN = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)


def _context(store: Store, prepared: Prepared) -> TenantContext:
    """As the generate step loads it."""
    assert prepared.validation.preview is not None, prepared.validation.errors
    allocations = {m.month: m.allocation for m in prepared.validation.preview.months}
    return load_context(store, prepared.tenant, prepared.typical_deal_size, allocations)


def _generate(store: Store, prepared: Prepared, ctx: TenantContext | None = None) -> EntityFrames:
    months = [(m, prepared.validation.deltas[m]) for m in prepared.months]
    return generate_plan(
        months,
        ctx or _context(store, prepared),
        as_of=prepared.as_of,
        job_id=prepared.job_id,
        seed=prepared.seed,
        companies_available=prepared.companies_existing,
    )


def _companies(tenant: Tenant, stamps: list[datetime], deleted_every: int) -> pl.DataFrame:
    n = len(stamps)
    frame = pl.DataFrame(
        {
            "id": [new_id("company", tenant.id, i) for i in range(n)],
            "tenant_id": [tenant.id] * n,
            "name": [f"Company {i}" for i in range(n)],
            "domain": [f"company{i}.example" for i in range(n)],
            "created_at": stamps,
            "updated_at": stamps,
            "deleted_at": [at if i % deleted_every == 0 else None for i, at in enumerate(stamps)],
            "demo_generated": [True] * n,
        },
        schema_overrides={"created_at": SCHEMAS["companies"]["created_at"]},
    )
    missing = [pl.lit(None, dtype).alias(name) for name, dtype in SCHEMAS["companies"].items() if name not in frame]
    return conform("companies", frame.with_columns(missing))


def test_a_large_tenant_offers_the_latest_companies_before_each_bound_of_the_month(store: Store, tenant) -> None:
    start, end = month_bounds(MONTH, tenant.timezone)
    # Companies an hour apart: 600 before the month, 250 in it, 50 after; one in ten soft-deleted.
    stamps = [start - timedelta(hours=600 - i) for i in range(600)]
    stamps += [start + timedelta(hours=1 + i) for i in range(250)]
    stamps += [end + timedelta(hours=1 + i) for i in range(50)]
    existing = _companies(tenant, stamps, deleted_every=10)
    store.load_frame("companies", existing)

    prepared = prepare(store, make_plan({MONTH: {"leadsCreated": 20, "contactsCreated": 10}}), as_of=NOW)
    ctx = _context(store, prepared)

    live = existing.filter(pl.col("deleted_at").is_null())
    expected = pl.concat(
        live.filter(pl.col("created_at") < bound).sort("created_at", descending=True).head(MIN_CANDIDATES)
        for bound in (start, end)
    ).unique("id")
    assert ctx.companies["id"].to_list() == expected.sort("created_at", "id")["id"].to_list()
    assert ctx.contacts.is_empty() and ctx.deals.is_empty()  # no deal and no extra activity needs a contact
    frames = _generate(store, prepared, ctx)
    assert frames.contacts.height == 30
    assert frames.contacts["company_id"].is_in(expected["id"].implode()).all()


def test_emails_in_use_outside_the_loaded_records_are_not_generated_again(store: Store, tenant) -> None:
    plan = make_plan({MONTH: {"leadsCreated": 30, "contactsCreated": 20, "companiesCreated": 5}})
    first = _generate(store, prepare(store, plan, as_of=NOW))
    email = first.contacts["email"][0]
    # The same address, upper-cased, on a contact created after the plan's months: no sample holds it.
    contact = insert_rows(
        store, "contacts", [{"tenant_id": tenant.id, "email": email.upper(), "created_at": AFTER_THE_PLAN}]
    )

    prepared = prepare(store, plan, as_of=NOW)
    ctx = _context(store, prepared)
    assert not ctx.contacts["id"].is_in(contact).any()
    again = _generate(store, prepared, ctx)
    local, domain = email.split("@")
    assert again.contacts["email"][0] == f"{local}2@{domain}"
    assert again.contacts["email"].to_list()[1:] == first.contacts["email"].to_list()[1:]


def test_domains_in_use_outside_the_loaded_records_are_not_generated_again(store: Store, tenant) -> None:
    plan = make_plan({MONTH: {"leadsCreated": 30, "contactsCreated": 20, "companiesCreated": 5}})
    first = _generate(store, prepare(store, plan, as_of=NOW))
    domain = first.companies["domain"][0]
    company = insert_rows(
        store, "companies", [{"tenant_id": tenant.id, "domain": domain.upper(), "created_at": AFTER_THE_PLAN}]
    )

    prepared = prepare(store, plan, as_of=NOW)
    ctx = _context(store, prepared)
    assert not ctx.companies["id"].is_in(company).any()
    again = _generate(store, prepared, ctx)
    assert domain not in again.companies["domain"].to_list()
    assert again.companies["domain"].to_list()[1:] == first.companies["domain"].to_list()[1:]


def test_activities_on_an_existing_contact_tie_to_its_latest_deal(store: Store, tenant) -> None:
    t = tenant.id
    company = insert_rows(
        store,
        "companies",
        [{"tenant_id": t, "domain": "initech.example", "created_at": datetime(2024, 5, 6, 14, tzinfo=UTC)}],
    )[0]
    contact = insert_rows(
        store,
        "contacts",
        [
            {
                "tenant_id": t,
                "company_id": company,
                "email": "ada@initech.example",
                "status": "customer",
                "created_at": datetime(2024, 6, 3, 14, tzinfo=UTC),
            }
        ],
    )[0]
    deals = insert_rows(
        store,
        "deals",
        [
            {
                "tenant_id": t,
                "contact_id": contact,
                "company_id": company,
                "stage_id": stage_id(t, "Won"),
                "name": f"Deal {n}",
                "created_at": datetime(2024, 7 + n, 1, 14, tzinfo=UTC),
            }
            for n in range(2)
        ],
    )

    frames = _generate(store, prepare(store, make_plan({MONTH: {"activitiesCount": 6}}), as_of=NOW))
    assert frames.activities["contact_id"].to_list() == [contact] * 6
    assert frames.activities["deal_id"].to_list() == [deals[1]] * 6


def test_deal_names_in_use_since_the_quarter_began_are_not_generated_again(store: Store, tenant) -> None:
    plan = make_plan({MONTH: {"contactsCreated": 20, "companiesCreated": 5, "dealsCreated": 6}})
    first = _generate(store, prepare(store, plan, as_of=NOW))
    taken, older = first.deals["name"][0], first.deals["name"][1]
    # The first name on a deal created after the plan's months, the second on one from the quarter before.
    insert_rows(
        store,
        "deals",
        [
            {"tenant_id": tenant.id, "name": name, "stage_id": stage_id(tenant.id, "Won"), "created_at": at}
            for name, at in ((taken, AFTER_THE_PLAN), (older, datetime(2024, 12, 31, 15, tzinfo=UTC)))
        ],
    )

    prepared = prepare(store, plan, as_of=NOW)
    ctx = _context(store, prepared)
    assert ctx.deals.is_empty() and ctx.deal_names_taken is not None
    assert ctx.deal_names_taken(pl.Series([taken, older, "Nobody - Pilot (Q1 2025)"])).to_list() == [taken]
    again = _generate(store, prepared, ctx)
    assert again.deals["name"][0] != taken and again.deals["name"][0].startswith(taken.split(" - ")[0])
    assert again.deals["name"].to_list()[1:] == first.deals["name"].to_list()[1:]


def test_a_contact_whose_company_was_deleted_gets_no_new_deal_or_activity(store: Store, tenant) -> None:
    """A person may soft-delete a company and leave its contacts: new records must not point at it."""
    t = tenant.id
    gone, kept = insert_rows(
        store,
        "companies",
        [
            {
                "tenant_id": t,
                "domain": "gone.example",
                "created_at": datetime(2024, 5, 6, 14, tzinfo=UTC),
                "deleted_at": datetime(2024, 9, 2, 14, tzinfo=UTC),
            },
            {"tenant_id": t, "domain": "kept.example", "created_at": datetime(2024, 5, 7, 14, tzinfo=UTC)},
        ],
    )
    orphan, employee = insert_rows(
        store,
        "contacts",
        [
            {
                "tenant_id": t,
                "company_id": company,
                "email": f"ada@{domain}",
                "status": "customer",
                "created_at": datetime(2024, 6, 3 + n, 14, tzinfo=UTC),
            }
            for n, (company, domain) in enumerate(((gone, "gone.example"), (kept, "kept.example")))
        ],
    )

    plan = make_plan({MONTH: {"dealsCreated": 4, "closedWonCount": 1, "activitiesCount": 6}})
    prepared = prepare(store, plan, as_of=NOW)
    assert _context(store, prepared).contacts["id"].to_list() == [employee]
    frames = _generate(store, prepared)
    assert set(frames.deals["company_id"].to_list()) == {kept}
    assert set(frames.activities["company_id"].drop_nulls().to_list()) <= {kept}
    assert orphan not in frames.deals["contact_id"].to_list() + frames.activities["contact_id"].to_list()

"""Shared test tools for the generators: tenant contexts, KPI recomputation, and rule checks."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypedDict, TypeVar, Unpack
from zoneinfo import ZoneInfo

import polars as pl

from generators import SCHEMAS, EntityFrames, Stage, TenantContext
from generators.frames import TS
from generators.ids import BLOCK, DOMAIN
from generators.month import Delta
from generators.pipeline import CYCLE_DAYS
from generators.story import SUBJECT_STEPS, stage_levels
from tests.helpers import example_months

JOB = "6f1c2a4e-3b5d-4c7e-9f80-1a2b3c4d5e6f"
AS_OF = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
STAGES = (
    Stage("st-qualified", "Qualified", 1, False, False),
    Stage("st-proposal", "Proposal", 2, False, False),
    Stage("st-negotiation", "Negotiation", 3, False, False),
    Stage("st-won", "Closed won", 4, True, False),
    Stage("st-lost", "Closed lost", 5, False, True),
)
WON = {s.id for s in STAGES if s.is_won}
LOST = {s.id for s in STAGES if s.is_lost}
OPEN = {s.id for s in STAGES if not s.is_won and not s.is_lost}
EXAMPLE_JANUARY: dict[str, Delta] = dict(example_months()["2025-01"])

T = TypeVar("T")


def scalar(value: object, kind: type[T]) -> T:
    """A Polars aggregate (typed as any literal or null) narrowed to the type the test expects."""
    assert isinstance(value, kind), (value, kind)
    return value


def lowest(series: pl.Series, kind: type[T]) -> T:
    return scalar(series.min(), kind)


def highest(series: pl.Series, kind: type[T]) -> T:
    return scalar(series.max(), kind)


def mean(series: pl.Series) -> float:
    return scalar(series.mean(), float)


def median(series: pl.Series) -> float:
    return scalar(series.median(), float)


def quantile(series: pl.Series, q: float) -> float:
    return scalar(series.quantile(q), float)


def make_ctx(
    *,
    timezone: str = "America/New_York",
    locale: str = "en_US",
    created_at: datetime = datetime(2024, 1, 1, tzinfo=UTC),
    companies: pl.DataFrame | None = None,
    contacts: pl.DataFrame | None = None,
    deals: pl.DataFrame | None = None,
    tenant_id: str = "11111111-2222-3333-4444-555555555555",
    typical_deal_size: Decimal = Decimal("12000"),
) -> TenantContext:
    ctx = TenantContext(
        tenant_id=tenant_id,
        timezone=timezone,
        locale=locale,
        currency="USD",
        created_at=created_at,
        owner_ids=("owner-a", "owner-b", "owner-c"),
        stages=STAGES,
        typical_deal_size=typical_deal_size,
    )
    return replace(
        ctx,
        companies=ctx.companies if companies is None else companies,
        contacts=ctx.contacts if contacts is None else contacts,
        deals=ctx.deals if deals is None else deals,
    )


def reference_id(job: uuid.UUID, entity: str, ordinal: int) -> str:
    """A generated record's id as generators/ids.py words the scheme, one id at a time."""
    block, entry = divmod(ordinal, BLOCK)
    stream = hashlib.shake_128(DOMAIN + job.bytes + entity.encode() + b"\x00" + block.to_bytes(8, "big"))
    raw = bytearray(stream.digest(16 * (entry + 1))[16 * entry :])
    raw[6] = (raw[6] & 0x0F) | 0x80
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def _id(*parts: object) -> str:
    return str(uuid.uuid5(uuid.UUID(JOB), "existing:" + ":".join(map(str, parts))))


class TenantOptions(TypedDict, total=False):
    """The tenant settings a test may vary; the rest of the context is fixed."""

    timezone: str
    locale: str
    created_at: datetime
    tenant_id: str
    typical_deal_size: Decimal


def existing_tenant(n_companies: int = 30, per_company: int = 3, **options: Unpack[TenantOptions]) -> TenantContext:
    """A tenant with companies, contacts (some leads) and deals from 2024 and from March 2025."""
    stamps = [datetime(2024, 5, 6, 15, 0, tzinfo=UTC), datetime(2025, 3, 10, 14, 30, tzinfo=UTC)]
    companies = pl.DataFrame(
        {
            "id": [_id("company", i) for i in range(n_companies)],
            "domain": [f"existing{i}.example" for i in range(n_companies)],
            "created_at": [stamps[i % 2] for i in range(n_companies)],
            "name": [f"Existing {i} Inc." for i in range(n_companies)],
        },
        schema_overrides={"created_at": TS},
    )
    rows = [(i, j) for i in range(n_companies) for j in range(per_company)]
    contacts = pl.DataFrame(
        {
            "id": [_id("contact", i, j) for i, j in rows],
            "company_id": [_id("company", i) for i, _ in rows],
            "email": [f"person{j}@existing{i}.example" for i, j in rows],
            "status": ["lead" if j == 0 else "customer" for _, j in rows],
            "created_at": [stamps[i % 2] for i, _ in rows],
        },
        schema_overrides={"created_at": TS},
    )
    # Open deals in the first open stage, every third one won a week later.
    won = [i % 3 == 0 for i in range(n_companies)]
    deals = pl.DataFrame(
        {
            "id": [_id("deal", i) for i in range(n_companies)],
            "contact_id": [_id("contact", i, 1) for i in range(n_companies)],
            "company_id": [_id("company", i) for i in range(n_companies)],
            "name": [f"Existing {i} Inc. - Pilot" for i in range(n_companies)],
            "stage_id": ["st-won" if w else "st-qualified" for w in won],
            "created_at": [stamps[i % 2] for i in range(n_companies)],
            "closed_at": [stamps[i % 2] + timedelta(days=7) if w else None for i, w in enumerate(won)],
        },
        schema_overrides={"created_at": TS, "closed_at": TS},
    )
    return make_ctx(companies=companies, contacts=contacts, deals=deals, **options)


def local(frame: pl.DataFrame, column: str, timezone: str) -> pl.Series:
    return frame[column].dt.convert_time_zone(timezone)


def kpis(frames: EntityFrames, timezone: str) -> dict[str, dict[str, int | Decimal]]:
    """Per month, the eight metrics: records created in the tenant's local month, not deleted."""

    def month(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(
            month=pl.col("created_at").dt.convert_time_zone(timezone).dt.strftime("%Y-%m")
        ).filter(pl.col("deleted_at").is_null())

    out: dict[str, dict[str, int | Decimal]] = {}

    def add(frame: pl.DataFrame, metric: str, value: pl.Expr) -> None:
        for m, v in frame.group_by("month").agg(value.alias("v")).iter_rows():
            out.setdefault(m, {})[metric] = v

    contacts, deals = month(frames.contacts), month(frames.deals)
    add(contacts.filter(pl.col("status") == "lead"), "leadsCreated", pl.len())
    add(contacts.filter(pl.col("status") != "lead"), "contactsCreated", pl.len())
    add(month(frames.companies), "companiesCreated", pl.len())
    add(deals, "dealsCreated", pl.len())
    won = deals.filter(pl.col("stage_id").is_in(list(WON)))
    add(won, "closedWonCount", pl.len())
    add(won, "closedWonValue", pl.col("value").sum())
    add(deals.filter(~pl.col("stage_id").is_in(list(LOST))), "pipelineAddedValue", pl.col("value").sum())
    add(month(frames.activities), "activitiesCount", pl.len())
    return out


def assert_targets_met(frames: EntityFrames, timezone: str, plan: Sequence[tuple[str, Mapping[str, object]]]) -> None:
    """Every set target of every month is met exactly (money to the cent)."""
    measured = kpis(frames, timezone)
    for month, deltas in plan:
        got = measured.get(month, {})
        for metric, target in deltas.items():
            if target is None:
                continue
            value = got.get(metric, 0)
            if metric in {"closedWonValue", "pipelineAddedValue"}:
                expected = Decimal(str(target)).quantize(Decimal("0.01"))
                assert Decimal(value or 0) == expected, (month, metric, value, expected)
            else:
                assert value == target, (month, metric, value, target)
    produced = set(measured)
    assert produced <= {m for m, _ in plan}, produced


def assert_shapes(frames: EntityFrames) -> None:
    for entity, frame in frames:
        assert frame.schema == pl.Schema(SCHEMAS[entity]), entity
        assert frame["id"].is_unique().all(), entity


def assert_provenance(frames: EntityFrames, ctx: TenantContext, job_id: str = JOB) -> None:
    for entity, frame in frames:
        if frame.is_empty():
            continue
        assert frame["demo_generated"].all(), entity
        assert (frame["demo_job_id"] == job_id).all(), entity
        assert (frame["tenant_id"] == ctx.tenant_id).all(), entity
        assert frame["deleted_at"].is_null().all(), entity
        assert (frame["updated_at"] == frame["created_at"]).all(), entity
        months = frame["created_at"].dt.convert_time_zone(ctx.timezone).dt.strftime("%Y-%m")
        assert (months == frame["demo_source_month"]).all(), entity


def assert_times(frames: EntityFrames, ctx: TenantContext, as_of: datetime, *, weekday_share: float = 0.9) -> None:
    """Business hours, nothing after as-of or before the tenant, >= weekday_share weekdays."""
    as_of, created_at = as_of.astimezone(UTC), ctx.created_at.astimezone(UTC)
    for entity, frame in frames:
        if frame.is_empty():
            continue
        stamps = local(frame, "created_at", ctx.timezone)
        assert stamps.dt.hour().is_between(8, 17).all(), entity
        assert (frame["created_at"] <= as_of).all(), entity
        assert (frame["created_at"] >= created_at).all(), entity
        by_month = (
            frame.with_columns(weekday=stamps.dt.weekday() <= 5)
            .group_by("demo_source_month")
            .agg(pl.col("weekday").mean())
        )
        for month, share in by_month.iter_rows():
            assert share >= weekday_share, (entity, month, share)
    closed = frames.deals.filter(pl.col("closed_at").is_not_null())
    if not closed.is_empty():
        assert local(closed, "closed_at", ctx.timezone).dt.hour().is_between(8, 17).all()
        assert (closed["closed_at"] <= as_of).all()


def _parents(ctx: TenantContext, frames: EntityFrames, entity: str) -> pl.DataFrame:
    existing = getattr(ctx, entity).select(pl.col("id"), pl.col("created_at").cast(TS))
    new = getattr(frames, entity).select("id", "created_at")
    return pl.concat([existing, new])


def assert_lifecycle(frames: EntityFrames, ctx: TenantContext, as_of: datetime) -> None:
    """Parents exist and precede children; deal stages and closing dates are coherent."""
    as_of = as_of.astimezone(UTC)
    companies = _parents(ctx, frames, "companies").rename({"id": "company_id", "created_at": "co_at"})
    contacts_all = pl.concat(
        [
            ctx.contacts.select("id", "company_id", pl.col("created_at").cast(TS)),
            frames.contacts.select("id", "company_id", "created_at"),
        ]
    ).rename({"id": "contact_id", "company_id": "contact_company", "created_at": "ct_at"})
    deals_all = _parents(ctx, frames, "deals").rename({"id": "deal_id", "created_at": "dl_at"})

    contacts = frames.contacts.join(companies, on="company_id", how="left")
    assert contacts["co_at"].is_not_null().all(), "contact without a known company"
    assert (contacts["co_at"] <= contacts["created_at"]).all(), "contact before its company"
    domains = pl.concat([ctx.companies.select("id", "domain"), frames.companies.select("id", "domain")]).rename(
        {"id": "company_id"}
    )
    at = frames.contacts.join(domains, on="company_id", how="left")
    assert (at["email"].str.split("@").list.last() == at["domain"]).all(), "email off-domain"

    deals = frames.deals.join(contacts_all, on="contact_id", how="left").join(companies, on="company_id", how="left")
    assert deals["ct_at"].is_not_null().all(), "deal without a known contact"
    assert (deals["company_id"] == deals["contact_company"]).all(), "deal company != contact's"
    assert (deals["ct_at"] <= deals["created_at"]).all(), "deal before its contact"
    assert (deals["co_at"] <= deals["created_at"]).all(), "deal before its company"
    closed = deals.filter(pl.col("stage_id").is_in(list(WON | LOST)))
    assert closed["closed_at"].is_not_null().all()
    assert (closed["closed_at"] >= closed["created_at"]).all(), "closed before created"
    assert (closed["closed_at"] <= as_of).all(), "closed after as-of"
    open_ = deals.filter(pl.col("stage_id").is_in(list(OPEN)))
    assert open_["closed_at"].is_null().all()
    assert (open_["expected_close_date"] > open_["created_at"].dt.date()).all()
    assert deals["stage_id"].is_in(list(WON | LOST | OPEN)).all()
    assert (deals["value"] > 0).all(), "deal without a positive value"

    acts = frames.activities.join(contacts_all, on="contact_id", how="left").join(deals_all, on="deal_id", how="left")
    assert acts["ct_at"].is_not_null().all(), "activity without a known contact"
    assert (acts["ct_at"] <= acts["created_at"]).all(), "activity before its contact"
    assert (acts["company_id"] == acts["contact_company"]).all(), "activity company != contact's"
    linked = acts.filter(pl.col("deal_id").is_not_null())
    assert linked["dl_at"].is_not_null().all(), "activity on an unknown deal"
    assert (linked["dl_at"] <= linked["created_at"]).all(), "activity before its deal"
    deal_contact = pl.concat([ctx.deals.select("id", "contact_id"), frames.deals.select("id", "contact_id")]).rename(
        {"id": "deal_id", "contact_id": "deal_contact"}
    )
    linked = linked.join(deal_contact, on="deal_id", how="left")
    assert (linked["deal_contact"] == linked["contact_id"]).all(), "activity on another's deal"


def assert_story(frames: EntityFrames, ctx: TenantContext, as_of: datetime) -> None:
    """Sales cycles within CYCLE_DAYS, overdue deals late, activities never ahead of or after
    their deal, stage subjects only on deals, deal names unique within each company."""
    shortest, longest = CYCLE_DAYS
    deals = frames.deals.with_columns(created=local(frames.deals, "created_at", ctx.timezone).dt.date())
    days = (deals["expected_close_date"] - deals["created"]).dt.total_days()
    assert (days <= longest).all(), "expected close beyond the longest cycle"
    open_ = deals.filter(pl.col("stage_id").is_in(list(OPEN)))
    assert ((open_["expected_close_date"] - open_["created"]).dt.total_days() >= shortest).all()
    today = as_of.astimezone(ZoneInfo(ctx.timezone)).date()
    last = max((s for s in ctx.open_stages), key=lambda s: (s.position, s.id)).id
    overdue = open_.filter(pl.col("expected_close_date") < today)
    assert (overdue["stage_id"] == last).all(), "an overdue deal in an early stage"

    levels = stage_levels(ctx.stages)
    known = pl.concat(
        [
            ctx.deals.select("id", "stage_id", pl.col("closed_at").cast(TS)),
            frames.deals.select("id", "stage_id", "closed_at"),
        ]
    ).rename({"id": "deal_id"})
    acts = frames.activities.join(known, on="deal_id", how="left").with_columns(
        step=pl.col("subject").replace_strict(SUBJECT_STEPS, default=0, return_dtype=pl.Int64),
        level=pl.col("stage_id").replace_strict(levels, default=1, return_dtype=pl.Int64),
    )
    linked = acts.filter(pl.col("deal_id").is_not_null())
    assert (linked["step"] <= linked["level"]).all(), "an activity ahead of its deal's stage"
    assert linked.filter(pl.col("created_at") > pl.col("closed_at")).is_empty(), "an activity after its deal closed"
    assert (acts.filter(pl.col("deal_id").is_null())["step"] <= 1).all(), "a stage subject without a deal"

    names = pl.concat([ctx.deals.select("company_id", "name"), frames.deals.select("company_id", "name")])
    assert not names.is_duplicated().any(), names.filter(names.is_duplicated()).head(3)


def assert_unique_emails(frames: EntityFrames, ctx: TenantContext) -> None:
    emails = pl.concat([ctx.contacts["email"], frames.contacts["email"]]).str.to_lowercase()
    assert emails.is_unique().all(), emails.filter(emails.is_duplicated()).head(5).to_list()


def assert_all_rules(frames: EntityFrames, ctx: TenantContext, as_of: datetime = AS_OF) -> None:
    assert_shapes(frames)
    assert_provenance(frames, ctx)
    assert_times(frames, ctx, as_of)
    assert_lifecycle(frames, ctx, as_of)
    assert_story(frames, ctx, as_of)
    assert_unique_emails(frames, ctx)

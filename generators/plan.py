"""A whole plan, month after month: earlier months' records become parents of later ones."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

import polars as pl

from generators.context import EXISTING_COMPANIES, EXISTING_CONTACTS, EXISTING_DEALS, TenantContext
from generators.frames import ENTITIES, EntityFrames
from generators.month import Delta, companies_before, generate_month


def _grow(existing: pl.DataFrame, new: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    columns = [name for name in schema if name in existing.columns or name in new.columns]

    def shaped(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select(
            pl.col(name).cast(schema[name]) if name in frame.columns else pl.lit(None, schema[name]).alias(name)
            for name in columns
        )

    return pl.concat([shaped(existing), shaped(new)], how="vertical")


def with_records(ctx: TenantContext, batch: EntityFrames) -> TenantContext:
    """The tenant as it will be once `batch` is published."""
    return replace(
        ctx,
        companies=_grow(ctx.companies, batch.companies, EXISTING_COMPANIES),
        contacts=_grow(ctx.contacts, batch.contacts, EXISTING_CONTACTS),
        deals=_grow(ctx.deals, batch.deals, EXISTING_DEALS),
    )


def generate_by_month(
    months: Sequence[tuple[str, Mapping[str, Delta]]],
    ctx: TenantContext,
    *,
    as_of: datetime,
    job_id: str,
    seed: int | str,
    companies_available: int | None = None,
) -> Iterator[EntityFrames]:
    """Each month's records in turn, in calendar order, with ordinals unique across the job.

    A month's records join the context of the months after it (`with_records`), so a month is
    yielded only once what later months need of it is kept: the caller may drop it then.

    Like the preview, a month's allocation sees the tenant's companies from before the
    plan's first month plus those created by the plan's earlier months. Those before the
    first month are `companies_available` (the preview's count) when given, else counted
    in `ctx.companies` (which must then hold them all).
    """
    ordered = sorted(months, key=lambda entry: entry[0])
    ordinals = dict.fromkeys(ENTITIES, 0)
    if companies_available is not None:
        available = companies_available
    else:
        available = companies_before(ctx, ordered[0][0]) if ordered else 0
    for month, deltas in ordered:
        batch = generate_month(
            month,
            deltas,
            ctx,
            as_of=as_of,
            job_id=job_id,
            seed=seed,
            ordinal_start=dict(ordinals),
            companies_available=available,
        )
        available += batch.companies.height
        for entity, count in batch.counts().items():
            ordinals[entity] += count
        if batch.records:
            ctx = with_records(ctx, batch)
        yield batch
        del batch  # not held while the next month is generated


def generate_plan(
    months: Sequence[tuple[str, Mapping[str, Delta]]],
    ctx: TenantContext,
    *,
    as_of: datetime,
    job_id: str,
    seed: int | str,
    companies_available: int | None = None,
) -> EntityFrames:
    """Every month's records (`generate_by_month`) stacked in one batch."""
    batches = generate_by_month(
        months, ctx, as_of=as_of, job_id=job_id, seed=seed, companies_available=companies_available
    )
    return EntityFrames.concat(list(batches))

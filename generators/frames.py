"""Column layout of the generated frames: one declaration, matching the CRM tables column for column."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import polars as pl

UUID = pl.String  # ids travel as canonical uuid strings; the store casts them
TS = pl.Datetime("us", "UTC")
MONEY = pl.Decimal(14, 2)

_PROVENANCE = {
    "created_at": TS,
    "updated_at": TS,
    "deleted_at": TS,
    "demo_generated": pl.Boolean,
    "demo_job_id": UUID,
    "demo_source_month": pl.String,
}

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "companies": {
        "id": UUID,
        "tenant_id": UUID,
        "owner_id": UUID,
        "name": pl.String,
        "domain": pl.String,
        "industry": pl.String,
        "size": pl.String,  # employee band, e.g. "51-200"
        "city": pl.String,
        "country": pl.String,
        **_PROVENANCE,
    },
    "contacts": {
        "id": UUID,
        "tenant_id": UUID,
        "company_id": UUID,
        "owner_id": UUID,
        "first_name": pl.String,
        "last_name": pl.String,
        "email": pl.String,
        "phone": pl.String,
        "job_title": pl.String,
        "status": pl.String,  # 'lead' or another lifecycle status (see CONTACT_STATUSES)
        "source": pl.String,
        **_PROVENANCE,
    },
    "deals": {
        "id": UUID,
        "tenant_id": UUID,
        "contact_id": UUID,
        "company_id": UUID,
        "owner_id": UUID,
        "stage_id": UUID,
        "name": pl.String,
        "value": MONEY,
        "currency": pl.String,
        "expected_close_date": pl.Date,
        "closed_at": TS,
        **_PROVENANCE,
    },
    "activities": {
        "id": UUID,
        "tenant_id": UUID,
        "contact_id": UUID,
        "deal_id": UUID,
        "company_id": UUID,
        "owner_id": UUID,
        "type": pl.String,  # one of ACTIVITY_TYPES
        "subject": pl.String,
        **_PROVENANCE,
    },
}

ENTITIES: tuple[str, ...] = ("companies", "contacts", "deals", "activities")
CONTACT_STATUSES: tuple[str, ...] = ("lead", "prospect", "opportunity", "customer")
ACTIVITY_TYPES: tuple[str, ...] = ("call", "email", "meeting", "note", "task")


def empty_frame(entity: str) -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMAS[entity])


def conform(entity: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Columns in table order with the declared dtypes; raises if a column is missing."""
    schema = SCHEMAS[entity]
    missing = set(schema) - set(frame.columns)
    if missing:
        raise ValueError(f"{entity} frame lacks columns {sorted(missing)}")
    return frame.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])


@dataclass(frozen=True)
class EntityFrames:
    """One batch of generated records: a frame per entity, conformed to SCHEMAS."""

    companies: pl.DataFrame = field(default_factory=lambda: empty_frame("companies"))
    contacts: pl.DataFrame = field(default_factory=lambda: empty_frame("contacts"))
    deals: pl.DataFrame = field(default_factory=lambda: empty_frame("deals"))
    activities: pl.DataFrame = field(default_factory=lambda: empty_frame("activities"))

    def __iter__(self) -> Iterator[tuple[str, pl.DataFrame]]:
        return iter((entity, getattr(self, entity)) for entity in ENTITIES)

    def counts(self) -> dict[str, int]:
        return {entity: frame.height for entity, frame in self}

    @property
    def records(self) -> int:
        return sum(self.counts().values())

    @classmethod
    def concat(cls, batches: Sequence[EntityFrames]) -> EntityFrames:
        """Batches stacked entity by entity, in order."""
        if not batches:
            return cls()
        return cls(**{
            entity: pl.concat([getattr(batch, entity) for batch in batches], how="vertical")
            for entity in ENTITIES
        })

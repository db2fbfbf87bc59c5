"""The entities' columns, declared once: the generated frames' dtypes and the CRM tables' DDL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import polars as pl

UUID = pl.String()  # ids travel as canonical uuid strings; the store casts them
TS = pl.Datetime("us", "UTC")
MONEY = pl.Decimal(14, 2)


@dataclass(frozen=True)
class Column:
    """One column of an entity: its frame dtype and its CRM table definition."""

    name: str
    dtype: pl.DataType
    sql: str  # the column's SQL type in the CRM tables
    not_null: bool = False
    key: bool = False  # the primary key
    default: str | None = None  # SQL default expression

    @property
    def ddl(self) -> str:
        """The column as a CREATE TABLE line spells it."""
        parts = [self.name, self.sql]
        if self.key:
            parts.append("PRIMARY KEY")
        elif self.not_null:
            parts.append("NOT NULL")
        if self.default is not None:
            parts.append(f"DEFAULT {self.default}")
        return " ".join(parts)


def _id() -> Column:
    return Column("id", UUID, "UUID", key=True)


def _tenant() -> Column:
    return Column("tenant_id", UUID, "UUID", not_null=True)


def _ref(name: str, *, not_null: bool = False) -> Column:
    return Column(name, UUID, "UUID", not_null=not_null)


def _text(name: str, length: int, *, not_null: bool = False) -> Column:
    return Column(name, pl.String(), f"VARCHAR({length})", not_null=not_null)


# When a record was created, changed and deleted; for generated rows, which job and month made it.
_PROVENANCE: tuple[Column, ...] = (
    Column("created_at", TS, "TIMESTAMPTZ", not_null=True),
    Column("updated_at", TS, "TIMESTAMPTZ", not_null=True),
    Column("deleted_at", TS, "TIMESTAMPTZ"),
    Column("demo_generated", pl.Boolean(), "BOOLEAN", not_null=True, default="FALSE"),
    _ref("demo_job_id"),
    _text("demo_source_month", 7),
)

# Parents first: a record only points at entities listed before its own.
COLUMNS: dict[str, tuple[Column, ...]] = {
    "companies": (
        _id(),
        _tenant(),
        _ref("owner_id"),
        _text("name", 200, not_null=True),
        _text("domain", 200),
        _text("industry", 100),
        _text("size", 20),  # employee band, e.g. "51-200"
        _text("city", 100),
        _text("country", 100),
        *_PROVENANCE,
    ),
    "contacts": (
        _id(),
        _tenant(),
        _ref("company_id"),
        _ref("owner_id"),
        _text("first_name", 100, not_null=True),
        _text("last_name", 100, not_null=True),
        _text("email", 320),
        _text("phone", 50),
        _text("job_title", 200),
        _text("status", 30, not_null=True),  # 'lead' or another lifecycle status (see CONTACT_STATUSES)
        _text("source", 50),
        *_PROVENANCE,
    ),
    "deals": (
        _id(),
        _tenant(),
        _ref("contact_id"),
        _ref("company_id"),
        _ref("owner_id"),
        _ref("stage_id", not_null=True),
        _text("name", 300, not_null=True),
        Column("value", MONEY, "DECIMAL(14, 2)", not_null=True),
        _text("currency", 3, not_null=True),
        Column("expected_close_date", pl.Date(), "DATE"),
        Column("closed_at", TS, "TIMESTAMPTZ"),
        *_PROVENANCE,
    ),
    "activities": (
        _id(),
        _tenant(),
        _ref("contact_id"),
        _ref("deal_id"),
        _ref("company_id"),
        _ref("owner_id"),
        _text("type", 20, not_null=True),  # one of ACTIVITY_TYPES
        _text("subject", 300, not_null=True),
        *_PROVENANCE,
    ),
}

ENTITIES: tuple[str, ...] = tuple(COLUMNS)
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    entity: {column.name: column.dtype for column in columns} for entity, columns in COLUMNS.items()
}

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
        return cls(
            **{entity: pl.concat([getattr(batch, entity) for batch in batches], how="vertical") for entity in ENTITIES}
        )

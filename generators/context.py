"""What the generators know about a tenant: settings, owners, stages and the records it already has."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import polars as pl

from generators.frames import TS, UUID
from generators.text import Taken


@dataclass(frozen=True)
class Stage:
    id: str
    name: str
    position: int
    is_won: bool
    is_lost: bool


def _existing(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


# Existing companies may also carry "name" (used to name their deals; else the domain is used).
EXISTING_COMPANIES: dict[str, pl.DataType] = {
    "id": UUID,
    "domain": pl.String(),
    "created_at": TS,
    "name": pl.String(),
}
EXISTING_CONTACTS: dict[str, pl.DataType] = {
    "id": UUID,
    "company_id": UUID,
    "email": pl.String(),
    "status": pl.String(),
    "created_at": TS,
}
# A deal's name keeps new names unique; its stage and close say how far its story got.
EXISTING_DEALS: dict[str, pl.DataType] = {
    "id": UUID,
    "contact_id": UUID,
    "company_id": UUID,
    "name": pl.String(),
    "stage_id": UUID,
    "created_at": TS,
    "closed_at": TS,
}


@dataclass(frozen=True)
class TenantContext:
    """A tenant as the generators see it.

    The existing frames may hold only the records new ones may attach to (a store loads a
    bounded sample around the plan's months). Then `emails_taken`, `domains_taken` and
    `deal_names_taken` say which candidate emails, company domains and deal names the
    tenant's other live records already use; None means the frames hold every live record
    (deal names: every live deal of the quarters the plan's months fall in).
    """

    tenant_id: str
    timezone: str  # IANA name, e.g. "America/New_York"
    locale: str  # Faker locale, e.g. "en_US"
    currency: str  # ISO 4217, e.g. "USD"
    created_at: datetime  # tz-aware; nothing may be generated before it
    owner_ids: tuple[str, ...]  # tenant users who own records
    stages: tuple[Stage, ...]  # pipeline stages, with at least one won, one lost and one open
    typical_deal_size: Decimal = Decimal("10000")
    companies: pl.DataFrame = field(default_factory=lambda: _existing(EXISTING_COMPANIES))
    contacts: pl.DataFrame = field(default_factory=lambda: _existing(EXISTING_CONTACTS))
    deals: pl.DataFrame = field(default_factory=lambda: _existing(EXISTING_DEALS))
    emails_taken: Taken | None = None
    domains_taken: Taken | None = None
    deal_names_taken: Taken | None = None

    @property
    def won_stages(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.is_won)

    @property
    def lost_stages(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.is_lost)

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if not s.is_won and not s.is_lost)

"""Pure, seeded generation of CRM records as Polars frames: no database, no Prefect."""

from generators.allocation import AllocationError, MonthAllocation, allocate_month
from generators.context import Stage, TenantContext
from generators.errors import GenerationError
from generators.frames import (
    ACTIVITY_TYPES,
    CONTACT_STATUSES,
    ENTITIES,
    SCHEMAS,
    EntityFrames,
    conform,
)
from generators.month import companies_before, generate_month, generation_bounds
from generators.plan import generate_by_month, generate_plan, with_records

__all__ = [
    "ACTIVITY_TYPES",
    "CONTACT_STATUSES",
    "ENTITIES",
    "SCHEMAS",
    "AllocationError",
    "EntityFrames",
    "GenerationError",
    "MonthAllocation",
    "Stage",
    "TenantContext",
    "allocate_month",
    "companies_before",
    "conform",
    "generate_by_month",
    "generate_month",
    "generate_plan",
    "generation_bounds",
    "with_records",
]

"""In-memory tenants and KPIs shared by the pure plan tests (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flows.plan.model import PatchPlan
from flows.plan.rules import ValidationResult, validate_plan
from flows.store.tenants import Tenant

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[2] / "plans" / "examples"

# Created 03:00 UTC on 2024-01-01: still 2023-12-31 in New York, so 2023-12 is its first month.
ACME = Tenant(
    id="00000000-0000-4000-8000-000000000001",
    name="Acme Corp Demo",
    slug="acme-corp-demo",
    demo_generated=True,
    timezone="America/New_York",
    locale="en_US",
    currency="USD",
    created_at=datetime(2024, 1, 1, 3, tzinfo=UTC),
)
REALCO = replace(ACME, id="00000000-0000-4000-8000-000000000002", slug="realco", demo_generated=False)
NOW = datetime(2025, 6, 15, 12, tzinfo=UTC)
TYPICAL = Decimal("10000")

# 2025-04 already holds data; every other month is empty.
CURRENT: dict[str, dict[str, Any]] = {
    "2025-04": {
        "leadsCreated": 300,
        "contactsCreated": 200,
        "companiesCreated": 50,
        "dealsCreated": 40,
        "closedWonCount": 10,
        "closedWonValue": Decimal("100000.00"),
        "pipelineAddedValue": Decimal("300000.00"),
        "activitiesCount": 500,
    }
}


def validate(plan: PatchPlan, tenant: Tenant = ACME, **overrides: Any) -> ValidationResult:
    options: dict[str, Any] = {
        "now": NOW,
        "typical_deal_size": TYPICAL,
        "companies_existing": 5,
    } | overrides
    current = options.pop("current", CURRENT)
    return validate_plan(plan, tenant, current, **options)

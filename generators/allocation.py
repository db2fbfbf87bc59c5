"""Turns one month's metric deltas into record counts per entity and money to distribute.

This is the contract between the preview (what the Master Admin is told) and the
generators (what is written): both call `allocate_month`, so they never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal

# Share of the non-won deals of a month left open (the rest are lost), when the
# plan does not force it. Round-half-up, so 5 non-won deals give 3 open.
OPEN_SHARE = Decimal("0.6")
# Default number of activities logged per new (non-lead) contact.
ACTIVITIES_PER_CONTACT = 2
# Contacts per company when companies must be created as a consequence.
CONTACTS_PER_COMPANY = 4


class AllocationError(ValueError):
    """The month's deltas cannot be turned into records (validation should have said so)."""


@dataclass(frozen=True)
class MonthAllocation:
    """Records to create in one month, and the money they must carry."""

    leads: int
    non_lead_contacts: int  # contactsCreated: the contacts that are not leads
    companies: int
    deals_won: int
    deals_open: int
    deals_lost: int
    activities: int
    # Exact sums to distribute; None = draw from the tenant's usual deal sizes.
    won_value: Decimal | None
    open_value: Decimal | None

    @property
    def deals(self) -> int:
        return self.deals_won + self.deals_open + self.deals_lost

    @property
    def records(self) -> int:
        return self.leads + self.non_lead_contacts + self.companies + self.deals + self.activities

    @property
    def extra_activities(self) -> int:
        """Activities beyond ACTIVITIES_PER_CONTACT per new contact: they go to any contact, existing ones too."""
        return max(0, self.activities - ACTIVITIES_PER_CONTACT * self.non_lead_contacts)

    def as_dict(self) -> dict[str, object]:
        return asdict(self) | {"deals": self.deals, "records": self.records}


def _count(deltas: Mapping[str, object], name: str) -> int | None:
    value = deltas.get(name)
    if value is None:
        return None
    if isinstance(value, float | Decimal) and value != int(value):  # int() would truncate
        raise AllocationError(f"{name} must be a whole number, got {value}")
    count = int(value)  # type: ignore[call-overload]
    if count < 0:
        raise AllocationError(f"{name} cannot be negative, got {count}")
    return count


def _money(deltas: Mapping[str, object], name: str) -> Decimal | None:
    value = deltas.get(name)
    if value is None:
        return None
    money = Decimal(str(value)).quantize(Decimal("0.01"))
    if money < 0:
        raise AllocationError(f"{name} cannot be negative, got {money}")
    return money


def allocate_month(
    deltas: Mapping[str, object],
    *,
    companies_available: int = 0,
    typical_deal_size: Decimal = Decimal("10000"),
    settled: bool = False,
) -> MonthAllocation:
    """Allocate one month's deltas (metric name -> value, None/missing = no target).

    `companies_available` counts the companies that exist before this month
    (the tenant's and earlier months' of the same plan): when the plan asks for
    contacts but no companies and there are none, companies are created as a
    consequence (one per CONTACTS_PER_COMPANY contacts).
    `settled`: every sales cycle begun in the month has run out by the as-of time
    (`generators.pipeline.is_settled`). A real team has closed such deals by then, so
    the month keeps open only the one deal that must carry its open pipeline, if any,
    and loses the rest.
    """
    leads = _count(deltas, "leadsCreated") or 0
    non_lead_contacts = _count(deltas, "contactsCreated") or 0
    companies = _count(deltas, "companiesCreated")
    if companies is None:
        people = leads + non_lead_contacts
        companies = math.ceil(people / CONTACTS_PER_COMPANY) if people and not companies_available else 0

    won = _count(deltas, "closedWonCount") or 0
    won_value = _money(deltas, "closedWonValue")
    pipeline = _money(deltas, "pipelineAddedValue")
    deals = _count(deltas, "dealsCreated")

    if deals is None:
        # No deal target: only the deals the other targets need.
        open_needed = 0
        if pipeline is not None:
            open_money = pipeline - (won_value if won_value is not None else Decimal(0))
            if open_money > 0:
                open_needed = 1 if settled else max(1, round(open_money / typical_deal_size))
        deals_open, deals_lost = open_needed, 0
    else:
        if won > deals:
            raise AllocationError(f"closedWonCount ({won}) cannot exceed dealsCreated ({deals})")
        rest = deals - won
        if pipeline is not None and won_value is not None and pipeline == won_value:
            deals_open = 0
        elif settled:
            deals_open = 1 if pipeline is not None and rest else 0
        else:
            deals_open = int((rest * OPEN_SHARE).to_integral_value(rounding="ROUND_HALF_UP"))
            if pipeline is not None and rest:
                deals_open = max(deals_open, 1)
        deals_lost = rest - deals_open

    if won_value is None and won and pipeline is not None and not deals_open:
        won_value = pipeline  # all of the pipeline is won money
    open_value: Decimal | None = None
    if pipeline is not None:
        if won_value is None:
            # Split the pipeline between won and open deals by count.
            won_value = (pipeline * won / (won + deals_open)).quantize(Decimal("0.01")) if won else Decimal(0)
        open_value = pipeline - won_value
        if open_value < 0:
            raise AllocationError(f"pipelineAddedValue ({pipeline}) cannot be below closedWonValue ({won_value})")
        if open_value > 0 and not deals_open:
            raise AllocationError(
                f"pipelineAddedValue ({pipeline}) above closedWonValue ({won_value}) needs an open deal"
            )
        if open_value == 0 and deals_open:
            raise AllocationError(f"{deals_open} open deals need pipelineAddedValue above closedWonValue ({won_value})")
    if won_value is not None:
        if won_value > 0 and not won:
            raise AllocationError("closedWonValue requires closedWonCount > 0")
        if won and won_value == 0:
            raise AllocationError(f"{won} won deals need a closedWonValue above 0")
        if not won:
            won_value = Decimal(0)

    activities = _count(deltas, "activitiesCount")
    if activities is None:
        activities = ACTIVITIES_PER_CONTACT * non_lead_contacts

    return MonthAllocation(
        leads=leads,
        non_lead_contacts=non_lead_contacts,
        companies=companies,
        deals_won=won,
        deals_open=deals_open,
        deals_lost=deals_lost,
        activities=activities,
        won_value=won_value,
        open_value=open_value,
    )

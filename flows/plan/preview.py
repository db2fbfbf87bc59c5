"""What a valid plan will create, month by month and in total, and each KPI before -> after."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flows.kpis.numbers import to_plain_number
from generators.allocation import MonthAllocation
from generators.metrics import METRICS

Number = int | Decimal


@dataclass(frozen=True)
class MetricChange:
    """One KPI of one month: before, after, and whether the plan set it."""

    before: Number
    after: Number
    change: Number
    planned: bool  # False = "no target": it moves only as a consequence of other metrics
    estimated: bool = False  # money drawn from the tenant's usual deal sizes, not fixed by the plan

    def as_dict(self) -> dict[str, Any]:
        return {
            "before": to_plain_number(self.before),
            "after": to_plain_number(self.after),
            "change": to_plain_number(self.change),
            "target": to_plain_number(self.after) if self.planned else None,
            "estimated": self.estimated,
        }


@dataclass(frozen=True)
class Records:
    """Records to create, per entity."""

    leads: int = 0
    contacts: int = 0
    companies: int = 0
    deals_won: int = 0
    deals_open: int = 0
    deals_lost: int = 0
    activities: int = 0

    @property
    def deals(self) -> int:
        return self.deals_won + self.deals_open + self.deals_lost

    @property
    def total(self) -> int:
        return self.leads + self.contacts + self.companies + self.deals + self.activities

    def __add__(self, other: Records) -> Records:
        return Records(*(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__))

    @classmethod
    def of(cls, allocation: MonthAllocation) -> Records:
        fields = {f: getattr(allocation, f) for f in cls.__dataclass_fields__ if f != "contacts"}
        return cls(contacts=allocation.non_lead_contacts, **fields)

    def as_dict(self) -> dict[str, int]:
        return {
            "leads": self.leads,
            "contacts": self.contacts,
            "companies": self.companies,
            "deals": self.deals,
            "dealsWon": self.deals_won,
            "dealsOpen": self.deals_open,
            "dealsLost": self.deals_lost,
            "activities": self.activities,
            "total": self.total,
        }


@dataclass(frozen=True)
class MonthPreview:
    month: str
    allocation: MonthAllocation
    records: Records
    closed_won_value: Decimal
    pipeline_value: Decimal
    estimated: bool
    metrics: dict[str, MetricChange]

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "records": self.records.as_dict(),
            "closedWonValueAdded": to_plain_number(self.closed_won_value),
            "pipelineValueAdded": to_plain_number(self.pipeline_value),
            "valuesEstimated": self.estimated,
            "metrics": {name: change.as_dict() for name, change in self.metrics.items()},
        }


@dataclass(frozen=True)
class Preview:
    months: list[MonthPreview]
    records: Records
    closed_won_value: Decimal
    pipeline_value: Decimal
    estimated: bool
    # RECONCILE: existing demo-generated rows per entity to edit and to soft-delete
    to_modify: dict[str, int] = field(default_factory=dict)
    to_delete: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "months": [m.as_dict() for m in self.months],
            "total": {
                "records": self.records.as_dict(),
                "closedWonValueAdded": to_plain_number(self.closed_won_value),
                "pipelineValueAdded": to_plain_number(self.pipeline_value),
                "valuesEstimated": self.estimated,
            },
            "recordsToModify": dict(self.to_modify),
            "recordsToSoftDelete": dict(self.to_delete),
        }


def month_preview(
    month: str,
    allocation: MonthAllocation,
    before: Mapping[str, Number],
    planned: Iterable[str],
    *,
    typical_deal_size: Decimal,
    changed: Mapping[str, Number | None] | None = None,
) -> MonthPreview:
    """Preview one month from its allocation (the generators' own numbers).

    Where the plan leaves won or open deal values free, the generators draw them from
    the tenant's usual deal sizes: the preview estimates those at `typical_deal_size`.
    `changed`: what RECONCILE's changes to existing rows add to each metric of a month that
    also creates records (None = no target): the records to create stay the allocation's.
    """
    a = allocation
    won_estimated = a.won_value is None and a.deals_won > 0
    open_estimated = a.open_value is None and a.deals_open > 0
    won_value = a.won_value if a.won_value is not None else typical_deal_size * a.deals_won
    open_value = a.open_value if a.open_value is not None else typical_deal_size * a.deals_open
    changes: dict[str, tuple[Number, bool]] = {
        "leadsCreated": (a.leads, False),
        "contactsCreated": (a.non_lead_contacts, False),
        "companiesCreated": (a.companies, False),
        "dealsCreated": (a.deals, False),
        "closedWonCount": (a.deals_won, False),
        "closedWonValue": (won_value, won_estimated),
        "pipelineAddedValue": (won_value + open_value, won_estimated or open_estimated),
        "activitiesCount": (a.activities, False),
    }
    planned = set(planned)
    metrics = {}
    for metric in METRICS:
        change, estimated = changes[metric.name]
        also = (changed or {}).get(metric.name)
        if also is not None:
            change += also
        start = before.get(metric.name) or 0
        metrics[metric.name] = MetricChange(
            before=start,
            after=start + change,
            change=change,
            planned=metric.name in planned,
            estimated=estimated,
        )
    return MonthPreview(
        month=month,
        allocation=a,
        records=Records.of(a),
        closed_won_value=won_value,
        pipeline_value=won_value + open_value,
        estimated=won_estimated or open_estimated,
        metrics=metrics,
    )


def total_preview(months: list[MonthPreview]) -> Preview:
    """The plan's preview: its months in calendar order, and their sums."""
    months = sorted(months, key=lambda m: m.month)
    records = Records()
    for m in months:
        records = records + m.records
    return Preview(
        months=months,
        records=records,
        closed_won_value=sum((m.closed_won_value for m in months), Decimal(0)),
        pipeline_value=sum((m.pipeline_value for m in months), Decimal(0)),
        estimated=any(m.estimated for m in months),
    )

"""The eight KPI metrics: one registry shared by plans, store, reports and dbt column names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Metric:
    name: str  # camelCase, as in plans and JSON
    column: str  # snake_case column of the dbt KPI model
    kind: Literal["count", "money"]
    label: str


METRICS: tuple[Metric, ...] = (
    Metric("leadsCreated", "leads_created", "count", "Leads"),
    Metric("contactsCreated", "contacts_created", "count", "Contacts"),
    Metric("companiesCreated", "companies_created", "count", "Companies"),
    Metric("dealsCreated", "deals_created", "count", "Deals"),
    Metric("closedWonCount", "closed_won_count", "count", "Won deals"),
    Metric("closedWonValue", "closed_won_value", "money", "Won value"),
    Metric("pipelineAddedValue", "pipeline_added_value", "money", "Pipeline value"),
    Metric("activitiesCount", "activities_count", "count", "Activities"),
)

METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in METRICS)
BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}

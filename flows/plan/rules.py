"""Interprets a plan against a tenant's KPIs: deltas, rules V-1..V-5, feasibility, preview."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flows.kpis.numbers import CENT, HUGE, Number, as_number, format_number
from flows.plan.feasibility import DEAL_METRICS, deal_violations
from flows.plan.limits import ACTIVITIES_LIMIT, COUNT_LIMIT, MAX_PLAN_RECORDS, MONEY_LIMIT
from flows.plan.model import PatchPlan
from flows.plan.preview import MonthPreview, Preview, month_preview, total_preview
from generators.allocation import AllocationError, MonthAllocation, allocate_month
from generators.calendar import month_index, month_of
from generators.metrics import BY_NAME, METRICS

if TYPE_CHECKING:
    from flows.store.tenants import Tenant

Deltas = dict[str, Number | None]  # metric -> records/money to add; None = no target

# What each code means; every message names the month (and the metric) it is about, so that it
# reads alone where the month and metric columns are not shown (exceptions, logs, artifacts).
CODES: dict[str, str] = {
    "P-0": "input that cannot be read as a plan (reported by the readers)",
    "V-1": "a negative delta in ADDITIVE mode",
    "V-2": "a month in the future or before the tenant was created",
    "V-3": "a tenant that is not demo-generated",
    "V-4": "more won deals than deals",
    "V-5": "closed-won value without closed-won deals",
    "P-1": "a plan with no months",
    "P-2": "a month listed twice",
    "P-3": "a count that is not a whole number",
    "P-4": "a negative target",
    "P-5": "a value that is not a finite number",
    "P-6": "mode reconcile, not available yet",
    "P-7": "money in fractions of a cent",
    "F-1": "pipeline value below closed-won value",
    "F-2": "pipeline value above closed-won value with no open deal to carry it",
    "F-3": "won deals with no value",
    "F-4": "a value beyond the per-month limit (a typo guard)",
    "F-5": "open deals with no pipeline value",
    "F-6": "deltas the generators cannot turn into records",
    "F-7": "a plan creating more records than one plan may",
    "W-1": "deal values far from the tenant's typical deal size",
    "W-2": "a month that already holds far more data than the plan adds",
    "W-3": "a month where the plan creates nothing",
}

# W-1: an average deal this many times above or below the typical one is odd.
DEAL_SIZE_FACTOR = 10
# W-2: a month already holding this many times the records a DELTAS plan adds.
CROWDED_FACTOR = 10
CROWDED_MIN = 100


@dataclass(frozen=True)
class Issue:
    """One error or warning: a code (see CODES), where, and a one-line message."""

    code: str
    message: str
    month: str | None = None
    metric: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "month": self.month,
            "metric": self.metric,
            "message": self.message,
        }


@dataclass
class ValidationResult:
    """Validation of one plan for one tenant; `preview` is set only when the plan is valid."""

    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    deltas: dict[str, Deltas] = field(default_factory=dict)
    preview: Preview | None = None

    @property
    def valid(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        """The validation as JSON: {valid, errors, warnings, preview}."""
        return {
            "valid": self.valid,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
            "preview": self.preview.as_dict() if self.preview else None,
        }


def _limit(metric: str) -> Number:
    if BY_NAME[metric].kind == "money":
        return MONEY_LIMIT
    return ACTIVITIES_LIMIT if metric == "activitiesCount" else COUNT_LIMIT


class _Collector:
    def __init__(self) -> None:
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []

    def error(self, code: str, message: str, month: str | None = None, metric: str | None = None) -> None:
        issue = Issue(code, _with_month(message, month), month, metric)
        if issue not in self.errors:
            self.errors.append(issue)

    def warn(self, code: str, message: str, month: str | None = None, metric: str | None = None) -> None:
        self.warnings.append(Issue(code, _with_month(message, month), month, metric))


def _with_month(message: str, month: str | None) -> str:
    """The message naming its month: "… (2025-02)" unless it already does."""
    return message if month is None or month in message else f"{message} ({month})"


def validate_plan(
    plan: PatchPlan,
    tenant: Tenant,
    current: Mapping[str, Mapping[str, Any]],
    *,
    now: datetime,
    typical_deal_size: Decimal,
    companies_existing: int = 0,
) -> ValidationResult:
    """Every error of the plan at once, its warnings, its deltas and (when valid) its preview.

    `current` holds the tenant's KPIs per month (missing months or metrics count as 0);
    `now` decides which months are in the future (tenant-local); `companies_existing`
    counts the tenant's live companies created before the plan's first month: months
    of the plan then add theirs in calendar order (the generators do the same).
    """
    out = _Collector()
    additive = plan.mode == "additive"
    targets = plan.plan_type == "targets"

    if not tenant.demo_generated:
        out.error("V-3", f"Tenant {tenant.id} is not a demo-generated tenant")
    if plan.mode == "reconcile":
        out.error("P-6", "Mode reconcile is not available yet: only additive patches can be applied")
    if not plan.months:
        out.error("P-1", "The plan has no months: add at least one month with metrics")

    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    created = tenant.created_at if tenant.created_at.tzinfo else tenant.created_at.replace(tzinfo=UTC)
    latest = month_index(month_of(now, tenant.timezone))
    earliest = month_index(month_of(created, tenant.timezone))

    deltas: dict[str, Deltas] = {}
    clean_months: dict[str, tuple[Deltas, set[str]]] = {}
    seen: set[str] = set()
    for entry in plan.months:
        month = entry.month
        if month in seen:
            out.error("P-2", f"Month {month} appears more than once in the plan", month)
            continue
        seen.add(month)
        ok = True
        if not earliest <= month_index(month) <= latest:
            out.error("V-2", f"Month {month} is in the future or before tenant creation", month)
            ok = False
        before = current.get(month, {})
        month_deltas: Deltas = {}
        for metric in METRICS:
            value = entry.values()[metric.name]
            if value is None:
                month_deltas[metric.name] = None
                continue
            delta = _metric_delta(out, month, metric.name, value, before, targets=targets, additive=additive)
            month_deltas[metric.name] = delta
            ok = ok and delta is not None
        deltas[month] = month_deltas
        errors_before = len(out.errors)
        bad = {n for n, v in entry.values().items() if v is not None and month_deltas[n] is None}
        if not bad & set(DEAL_METRICS):  # rules on metrics that failed their own checks are moot
            for v in deal_violations(month_deltas, entry.values() if targets else None):
                out.error(v.code, v.message, month, v.metric)
        ok = ok and len(out.errors) == errors_before
        planned = {name for name, value in entry.values().items() if value is not None}
        if ok:
            clean_months[month] = (month_deltas, planned)

    previews = _allocate(out, clean_months, current, typical_deal_size, companies_existing)
    records = sum(preview.allocation.records for preview in previews)
    if records > MAX_PLAN_RECORDS:
        out.error(
            "F-7",
            f"The plan creates {records:,} records, over the limit of {MAX_PLAN_RECORDS:,} per plan: "
            "split it into several plans",
        )
    for preview in previews:
        _warnings(out, preview, current.get(preview.month, {}), typical_deal_size, deltas_plan=not targets)
    return ValidationResult(
        errors=out.errors,
        warnings=out.warnings,
        deltas=deltas,
        preview=total_preview(previews) if not out.errors else None,
    )


def _metric_delta(
    out: _Collector,
    month: str,
    metric: str,
    value: Decimal,
    before: Mapping[str, Any],
    *,
    targets: bool,
    additive: bool,
) -> Number | None:
    """The delta of one metric of one month, or None after reporting why there is none."""
    kind = BY_NAME[metric].kind
    limit = _limit(metric)
    if not value.is_finite():
        out.error("P-5", f"{metric} must be a finite number, got {format_number(value)}", month, metric)
        return None
    if value.copy_abs() >= HUGE:  # copy_abs: abs() rounds, and overflows on 1e999999999
        out.error(
            "F-4",
            f"{metric} ({format_number(value)}) exceeds the per-month limit of {limit:,}",
            month,
            metric,
        )
        return None
    if kind == "count" and value != value.to_integral_value():
        out.error("P-3", f"{metric} must be a whole number, got {format_number(value)}", month, metric)
        return None
    if kind == "money" and value != value.quantize(CENT):
        out.error("P-7", f"{metric} ({format_number(value)}) has fractions of a cent", month, metric)
        return None
    if targets and value < 0:
        out.error("P-4", f"{metric} target cannot be negative, got {format_number(value)}", month, metric)
        return None
    number: Number = int(value) if kind == "count" else value
    delta = number - as_number(metric, before.get(metric)) if targets else number
    if additive and delta < 0:
        out.error(
            "V-1",
            f"Cannot reduce {metric} in ADDITIVE mode. Computed delta: {format_number(delta)}",
            month,
            metric,
        )
        return None
    if delta > limit:
        out.error(
            "F-4",
            f"{metric} adds {format_number(delta)} in one month, over the limit of {limit:,}",
            month,
            metric,
        )
        return None
    return delta


def _allocate(
    out: _Collector,
    months: Mapping[str, tuple[Deltas, set[str]]],
    current: Mapping[str, Mapping[str, Any]],
    typical_deal_size: Decimal,
    companies_existing: int,
) -> list[MonthPreview]:
    """Allocate the months that passed every rule, in calendar order, as the generators will."""
    previews = []
    companies = companies_existing
    for month in sorted(months):
        month_deltas, planned = months[month]
        try:
            allocation: MonthAllocation = allocate_month(
                month_deltas, companies_available=companies, typical_deal_size=typical_deal_size
            )
        except AllocationError as exc:
            out.error("F-6", f"Month {month} cannot be generated: {exc}", month)
            continue
        companies += allocation.companies
        before = {m.name: as_number(m.name, current.get(month, {}).get(m.name)) for m in METRICS}
        previews.append(month_preview(month, allocation, before, planned, typical_deal_size=typical_deal_size))
    return previews


def _warnings(
    out: _Collector,
    preview: MonthPreview,
    before: Mapping[str, Any],
    typical: Decimal,
    *,
    deltas_plan: bool,
) -> None:
    month, a = preview.month, preview.allocation
    if a.records == 0:
        out.warn("W-3", f"Month {month} creates no records", month)
    if typical > 0:
        for metric, value, deals, what in (
            ("closedWonValue", a.won_value, a.deals_won, "won"),
            ("pipelineAddedValue", a.open_value, a.deals_open, "open"),
        ):
            if value is None or not deals:
                continue
            average = (value / deals).quantize(CENT)
            if average > typical * DEAL_SIZE_FACTOR or average * DEAL_SIZE_FACTOR < typical:
                out.warn(
                    "W-1",
                    f"{metric} gives {deals} {what} deals an average of {format_number(average)}, "
                    f"far from the tenant's typical deal size ({format_number(typical)})",
                    month,
                    metric,
                )
    if deltas_plan and a.records:
        held = sum(
            int(as_number(name, before.get(name)))
            for name in (
                "leadsCreated",
                "contactsCreated",
                "companiesCreated",
                "dealsCreated",
                "activitiesCount",
            )
        )
        if held >= CROWDED_MIN and held >= CROWDED_FACTOR * a.records:
            out.warn(
                "W-2",
                f"Month {month} already holds {held:,} records and the plan adds only "
                f"{a.records:,} (planType targets would set totals instead)",
                month,
            )

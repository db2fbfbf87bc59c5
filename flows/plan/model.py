"""The patch plan: a pydantic model that checks shape, never rules."""

from __future__ import annotations

import json
import math
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    AllowInfNan,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    create_model,
    field_validator,
)
from pydantic.alias_generators import to_camel

from flows.kpis.numbers import to_plain_number
from flows.plan.limits import MAX_NUMBER_DIGITS, MAX_PLAN_MONTHS, unprintable
from flows.store.schema import SEED_LENGTH, SLUG_LENGTH
from generators.calendar import MONTH_FORMAT, MONTH_PATTERN, is_month
from generators.metrics import METRICS

Mode = Literal["additive", "reconcile"]
PlanType = Literal["targets", "deltas"]


def _to_decimal(value: Any) -> Any:
    """Numbers become Decimals, kept even when negative, fractional or non-finite.

    Those are rule violations that validation reports with a code; only values
    that are not numbers at all (text, booleans, lists) are shape errors here.
    """
    return _in_range(_as_decimal(value), value)


def _as_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, float):
        return Decimal("NaN") if math.isnan(value) else Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return Decimal("NaN") if value.is_nan() else value  # sNaN would raise on compare
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"expected a number, got '{_shown(value)}'") from None
        return Decimal("NaN") if number.is_nan() else number
    raise ValueError(f"expected a number, got {type(value).__name__}")


def _in_range(number: Decimal, value: Any) -> Decimal:
    """Refuse a finite number no plan means (1e999999999): arithmetic on it would overflow."""
    if number.is_finite() and number and abs(number.adjusted()) >= MAX_NUMBER_DIGITS:
        raise ValueError(
            f"{_shown(value)} is out of range: numbers in a plan lie between 1e-{MAX_NUMBER_DIGITS} "
            f"and 1e{MAX_NUMBER_DIGITS}"
        )
    return number


def _shown(value: Any, limit: int = 40) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _metric_type(kind: str) -> Any:
    schema: dict[str, Any] = {"type": "integer" if kind == "count" else "number", "minimum": 0}
    return Annotated[
        Decimal,
        AllowInfNan(True),
        BeforeValidator(_to_decimal),
        PlainSerializer(to_plain_number, when_used="json"),
        WithJsonSchema(schema),
    ]


_FORBID = ConfigDict(extra="forbid")

# One optional field per metric of the registry; None (or absent) = no value set.
Metrics: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "Metrics",
    __config__=_FORBID,
    __doc__="Per-metric values of one month: deltas or targets, as the plan's planType says.",
    **{
        m.name: (
            _metric_type(m.kind) | None,
            Field(default=None, title=m.label, description=f"{m.label} ({m.kind})"),
        )
        for m in METRICS
    },
)


class MonthPlan(BaseModel):
    """One month of the plan."""

    model_config = _FORBID

    month: str = Field(description="Calendar month, YYYY-MM", json_schema_extra={"pattern": MONTH_PATTERN})
    metrics: Metrics = Field(default_factory=Metrics)  # type: ignore[valid-type]

    @field_validator("month", mode="before")
    @classmethod
    def _month_format(cls, value: Any) -> Any:
        if not isinstance(value, str) or not is_month(value.strip()):
            shown = repr(_shown(value)) if isinstance(value, str) else _shown(value)
            raise ValueError(f"expected a month as {MONTH_FORMAT}, got {shown}")
        return value.strip()

    def values(self) -> dict[str, Decimal | None]:
        """Metric name -> value as written, None where not set, in registry order."""
        return {m.name: getattr(self.metrics, m.name) for m in METRICS}


class Tolerances(BaseModel):
    """How far verified KPIs may miss their targets."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

    count_tolerance: int = Field(default=0, ge=0, description="Allowed miss on counts, in records")
    value_tolerance: float = Field(
        default=0.005,
        ge=0,
        allow_inf_nan=False,
        description="Allowed relative miss on money (0.005 = 0.5%)",
    )


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


class PatchPlan(BaseModel):
    """A monthly patch plan for one demo tenant: its mode, plan type, tolerances and metrics per month."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        json_schema_extra={"title": "demogen patch plan"},
    )

    schema_: str | None = Field(default=None, alias="$schema", description="JSON Schema of this file (editors)")
    tenant: str = Field(min_length=1, max_length=SLUG_LENGTH, description="Tenant id (uuid) or slug")
    version: int | None = Field(default=None, ge=1, description="Revision of this plan, for your bookkeeping")
    mode: Annotated[Mode, BeforeValidator(_lower)] = Field(
        description="additive only creates records; "
        "reconcile also edits and soft-deletes demo-generated records to land on the targets"
    )
    plan_type: Annotated[PlanType, BeforeValidator(_lower)] = Field(
        description="targets: values are the month's totals; deltas: values are amounts to add"
    )
    months: list[MonthPlan] = Field(max_length=MAX_PLAN_MONTHS, description="Months to patch, each with its metrics")
    tolerances: Tolerances = Field(default_factory=Tolerances)
    seed: str | None = Field(default=None, max_length=SEED_LENGTH, description="Seed of the generated records")

    @field_validator("tenant", mode="before")
    @classmethod
    def _strip_tenant(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("tenant", "seed")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        bad = None if value is None else unprintable(value)
        if bad is not None:
            raise ValueError(f"{_shown(repr(value))} holds the control character {bad}")
        return value

    @field_validator("months", mode="before")
    @classmethod
    def _few_months(cls, value: Any) -> Any:
        # checked before the months are: a plan of 10,000 months would take seconds to refuse
        if isinstance(value, list) and len(value) > MAX_PLAN_MONTHS:
            raise ValueError(f"a plan holds at most {MAX_PLAN_MONTHS} months, got {len(value):,}")
        return value


def plan_to_dict(plan: PatchPlan) -> dict[str, Any]:
    """The plan as JSON-ready camelCase data (numbers as numbers), without unset values."""
    return plan.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"schema_"})


def canonical_json(plan: PatchPlan) -> str:
    """Stable text of what the plan asks for: the input of the job id, so the same plan gives the same job.

    The tenant reference is left out (the caller adds the resolved tenant id, so a slug
    and an id give the same job); months are sorted; defaults are spelled out.
    """
    data = plan_to_dict(plan)
    data.pop("tenant", None)
    data["months"] = sorted(data["months"], key=lambda m: m["month"])
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

"""Growth templates (plans/templates/*.yaml without `kind: shape`): the monthly shape of a demo tenant's data."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from flows.kpis.numbers import Number
from flows.plan.feasibility import nearest_feasible
from flows.store.paths import PLANS_DIR
from generators.calendar import month_index
from generators.errors import DemogenError, UsageError

TEMPLATES_DIR = PLANS_DIR / "templates"
_HUNDRED = Decimal(100)


class BaseMonth(BaseModel):
    """A typical month at the start of the template."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

    leads_created: int = Field(ge=0)
    contacts_created: int = Field(ge=0)
    companies_created: int = Field(ge=0)
    deals_created: int = Field(ge=0)
    closed_won_count: int = Field(ge=0)
    closed_won_value: Decimal = Field(ge=0)
    pipeline_added_value: Decimal = Field(ge=0)


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

    name: str
    description: str
    base: BaseMonth
    monthly_growth: Decimal = Field(default=Decimal(0), ge=-0.5, le=1)
    # Calendar month (1-12) → multiplier; months not listed are 1.
    seasonality: dict[int, Decimal] = Field(default_factory=dict)


def template_kind(path: Path) -> str:
    """`growth` (a new tenant's data, month by month) or `shape` (factors on a tenant's current KPIs)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return "growth"  # listed, so that loading it names the error
    kind = data.get("kind", "growth") if isinstance(data, dict) else "growth"
    return str(kind)


def available(kind: str = "growth") -> list[str]:
    """The names of the templates of `kind` in plans/templates/."""
    return sorted(p.stem for p in TEMPLATES_DIR.glob("*.yaml") if template_kind(p) == kind)


def template_path(name: str) -> Path:
    """The file of the template called `name`: a name of plans/templates/, never a path, else a UsageError."""
    names = available()
    if name not in names:  # only listed names: "../x" or "/tmp/x" can never reach a file
        raise UsageError(f"unknown template {name!r}: choose one of {', '.join(names)}")
    return TEMPLATES_DIR / f"{name}.yaml"


def load_template(name: str) -> Template:
    path = template_path(name)
    try:
        return Template.model_validate(yaml.safe_load(path.read_text()))
    except (ValidationError, yaml.YAMLError) as exc:
        raise DemogenError(f"template {path} is broken: {str(exc).splitlines()[0]}") from exc


def _round_money(value: Decimal) -> Decimal:
    """Round to the nearest hundred, as people plan revenue."""
    return (value / _HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP) * _HUNDRED


def month_metrics(template: Template, month: str, first_month: str, scale: Decimal = Decimal(1)) -> dict[str, Number]:
    """The template's metrics for `month`, `first_month` being month 0 of its growth curve.

    The template's shape scaled and rounded, money riding on the deals it rounds to (no
    won deal, no won value; no open deal, no open value), then made feasible by
    nearest_feasible.
    """
    step = month_index(month) - month_index(first_month)
    factor = (1 + template.monthly_growth) ** step * template.seasonality.get(int(month[5:7]), Decimal(1)) * scale
    b = template.base

    def count(value: int) -> int:
        return int((Decimal(value) * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    deals, won = count(b.deals_created), count(b.closed_won_count)
    won_value = _round_money(b.closed_won_value * factor) if won else Decimal(0)
    open_value = _round_money((b.pipeline_added_value - b.closed_won_value) * factor) if deals > won else Decimal(0)
    return nearest_feasible(
        {
            "leadsCreated": count(b.leads_created),
            "contactsCreated": count(b.contacts_created),
            "companiesCreated": count(b.companies_created),
            "dealsCreated": deals,
            "closedWonCount": won,
            "closedWonValue": won_value,
            "pipelineAddedValue": won_value + open_value,
        }
    )

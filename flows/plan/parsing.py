"""What every plan reader shares: its error, one-line messages, and validating parsed data into a plan."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from flows.plan.model import PatchPlan
from generators.errors import DemogenError
from generators.metrics import METRICS

MAX_LISTED = 6  # errors spelled out in one message before "(and N more)"


class PlanFormatError(DemogenError):
    """Input that cannot be read as a plan: the plan is invalid (exit 1)."""


def plan_from_data(data: dict[str, Any], name: str = "plan") -> PatchPlan:
    """Validate already-parsed data (a JSON body, a form) into a plan, or raise PlanFormatError."""
    try:
        return PatchPlan.model_validate(data)
    except ValidationError as exc:
        raise PlanFormatError(f"{name}: not a valid plan: {_describe(exc, data)}") from None


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def short(value: Any, limit: int = 40) -> str:
    text = _one_line(str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(exc: ValidationError, data: Any) -> str:
    """Pydantic's errors as one line: where (month named when known) and what."""
    parts = []
    errors = exc.errors(include_url=False)
    for error in errors[:MAX_LISTED]:
        loc = list(error["loc"])
        if error["type"] == "extra_forbidden":
            what = f"unknown key '{short(loc.pop())}'"
            if loc and loc[-1] == "metrics":
                what += f" (metrics are {', '.join(m.name for m in METRICS)})"
        elif error["type"] == "missing":
            what = f"missing key '{loc.pop()}'"
        else:
            what = _one_line(error["msg"]).removeprefix("Value error, ")
        where = _where(loc, data)
        parts.append(f"{where}: {what}" if where else what)
    if len(errors) > MAX_LISTED:
        parts.append(f"and {len(errors) - MAX_LISTED} more")
    return "; ".join(parts)


def _where(loc: list[Any], data: Any) -> str:
    text = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
            if i == 1 and loc[0] == "months":
                month = _month_at(data, part)
                text += f" ({month})" if month else ""
        else:
            text += ("." if text else "") + short(part)
    return text


def _month_at(data: Any, index: int) -> str | None:
    try:
        month = data["months"][index]["month"]
    except (KeyError, IndexError, TypeError):
        return None
    return short(month, 12) if isinstance(month, str) else None

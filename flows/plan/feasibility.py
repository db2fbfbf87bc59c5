"""What an ADDITIVE plan can reach: the deal rules between metrics, checked and repaired in one place."""

# The rules, on what a month adds: won deals are among the deals (V-4); won value needs a won
# deal (V-5) and won deals need value (F-3); pipeline value holds the won value (F-1), and
# pipeline above it needs an open deal (F-2). The generators' allocation re-checks the same
# rules as their last line of defence (they sit below this package and cannot import it).

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flows.kpis.numbers import Number, as_number, format_number

DEALS, WON, WON_VALUE, PIPELINE = "dealsCreated", "closedWonCount", "closedWonValue", "pipelineAddedValue"
DEAL_METRICS: tuple[str, ...] = (DEALS, WON, WON_VALUE, PIPELINE)
# The least a won deal is worth when a plan must give won deals a value of their own.
MIN_WON_DEAL_VALUE = Decimal(100)


@dataclass(frozen=True)
class Violation:
    """One broken deal rule: its code, the metric to blame and a one-line message."""

    code: str
    metric: str
    message: str


def nearest_feasible(target: Mapping[str, Any], current: Mapping[str, Any] | None = None) -> dict[str, Number]:
    """The closest metrics to `target` an ADDITIVE plan can reach from `current` (default: nothing).

    Never below current (V-1 would refuse the plan), and consistent as deltas: won deals
    added are deals added, added won value needs an added won deal and added won deals
    need value, pipeline grows with won value, and pipeline beyond won value needs an
    open deal among the added ones. Returns target's metrics (counts int, money Decimal),
    plus any deal metric target leaves out that had to move.
    """
    now = current or {}
    c = {name: as_number(name, now.get(name)) for name in (*target, *DEAL_METRICS)}
    t = {name: max(as_number(name, target[name]), c[name]) for name in target}
    for name in DEAL_METRICS:
        t.setdefault(name, c[name])

    def added(name: str) -> Number:
        return t[name] - c[name]

    if added(WON_VALUE) > 0 and added(WON) == 0:
        t[WON] += 1
    if added(WON) > 0 and added(WON_VALUE) == 0:
        t[WON_VALUE] += _won_deal_value(target) * added(WON)
    t[DEALS] = max(t[DEALS], c[DEALS] + added(WON), t[WON])
    t[PIPELINE] = max(t[PIPELINE], c[PIPELINE] + added(WON_VALUE))
    if added(PIPELINE) > added(WON_VALUE) and added(DEALS) == added(WON):
        t[DEALS] += 1  # an open deal to carry the rest of the pipeline
    moved = [name for name in DEAL_METRICS if name not in target and t[name] != c[name]]
    return {name: t[name] for name in (*target, *moved)}


def _won_deal_value(target: Mapping[str, Any]) -> Decimal:
    """What each added won deal is worth: the target's average won deal, at least MIN_WON_DEAL_VALUE."""
    won = int(as_number(WON, target.get(WON))) or 1
    average = Decimal(as_number(WON_VALUE, target.get(WON_VALUE))) / won
    return max(MIN_WON_DEAL_VALUE, average.quantize(Decimal(1)))


def deal_violations(
    deltas: Mapping[str, Number | None],
    targets: Mapping[str, Decimal | None] | None = None,
) -> list[Violation]:
    """The deal rules one month's deltas break (None = no target), in the order they are reported.

    `targets` holds the month's values as written when the plan is TARGETS (None for DELTAS):
    won deals above deals are then reported on them too, and messages say that the numbers
    they quote are deltas.
    """
    found: list[Violation] = []
    if targets is not None:
        won_t, deals_t = targets.get(WON), targets.get(DEALS)
        if won_t is not None and deals_t is not None and won_t > deals_t:
            found.append(Violation("V-4", WON, _v4(won_t, deals_t)))
    won, deals = deltas.get(WON), deltas.get(DEALS)
    won_value, pipeline = deltas.get(WON_VALUE), deltas.get(PIPELINE)
    if won is not None and deals is not None and won > deals:
        return [*found, Violation("V-4", WON, _v4(won, deals))]
    won_n = won or 0
    if won_value is not None and won_value > 0 and won_n == 0:
        found.append(Violation("V-5", WON_VALUE, "closedWonValue requires closedWonCount > 0"))
    # These rules speak of deltas: with TARGETS, say so, since the plan holds other numbers.
    of_deltas = " (added to the month's current KPIs)" if targets is not None else ""
    if won_value is not None and pipeline is not None and pipeline < won_value:
        message = (
            f"pipelineAddedValue ({format_number(pipeline)}) cannot be below "
            f"closedWonValue ({format_number(won_value)}){of_deltas}"
        )
        return [*found, Violation("F-1", PIPELINE, message)]
    if won_n > 0 and won_value is not None and won_value == 0:
        message = f"closedWonCount ({won_n}) needs a closedWonValue above 0{of_deltas}"
        found.append(Violation("F-3", WON_VALUE, message))
    if won_n > 0 and won_value is None and pipeline is not None and pipeline == 0:
        message = f"closedWonCount ({won_n}) needs a pipelineAddedValue above 0{of_deltas}"
        found.append(Violation("F-3", PIPELINE, message))
    if deals is None or pipeline is None:
        return found
    if deals == won_n:
        # No deal is left to be open: the pipeline can only hold the won money.
        open_money = pipeline - (won_value if won_value is not None else (0 if won_n == 0 else pipeline))
        if open_money > 0:
            message = (
                f"pipelineAddedValue ({format_number(pipeline)}) above closedWonValue "
                f"({format_number(won_value or 0)}) needs an open deal, "
                f"but all dealsCreated ({deals}) are won{of_deltas}"
            )
            found.append(Violation("F-2", PIPELINE, message))
    elif won_value is None and pipeline == 0 and won_n == 0:
        message = (
            f"pipelineAddedValue (0) leaves no value for the open deals among dealsCreated "
            f"({deals}){of_deltas}: set closedWonValue to 0 as well to make them all lost"
        )
        found.append(Violation("F-5", PIPELINE, message))
    return found


def _v4(won: Number, deals: Number) -> str:
    return f"closedWonCount ({format_number(won)}) cannot exceed dealsCreated ({format_number(deals)})"

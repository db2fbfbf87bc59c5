"""RECONCILE months that raise some metrics and lower others: new records for the one, changes for the other.

Such a month is split in two. New records add what is raised, holding every lowered metric
at +0, so that they never undo a reduction; the changes to existing demo-generated rows
(soft-deletes and edits, `flows/engine/reconcile.py`) take what is lowered, and whatever
the new records cannot carry. The two parts add up to the month's deltas, metric by
metric, because KPIs are sums over rows and the two never touch the same row.

The deal metrics hang together, so their split follows the rules new deals obey:

- won deals are deals: a month that raises closedWonCount and lowers dealsCreated creates
  its won deals and removes that many more of the existing ones;
- a new won deal carries value: when won value is lowered (or held) while won deals are
  added, each carries the month's average won deal and the existing won deals give up the rest;
- new deals add pipeline value: when the pipeline is lowered (or cannot grow through new open
  deals) the new deals that are not won are created lost, and the changes move the
  existing open deals' values instead (up or down).

Some months contradict themselves whatever rows change: their KPIs would break the rules
every month holds (won deals among the deals, won value within the pipeline). `contradictions`
names them before anything runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from flows.kpis.numbers import CENT, Number, as_number, format_number
from flows.plan.feasibility import DEALS, PIPELINE, WON, WON_VALUE

Deltas = dict[str, Number | None]  # metric -> change; None = no target


@dataclass(frozen=True)
class Split:
    """One month's deltas as what new records add and what changes to existing rows add (None = no target)."""

    created: Deltas
    changed: Deltas


def is_mixed(deltas: Mapping[str, Number | None]) -> bool:
    """Whether the month raises some targeted metrics and lowers others."""
    values = [v for v in deltas.values() if v is not None]
    return any(v > 0 for v in values) and any(v < 0 for v in values)


def split_month(deltas: Mapping[str, Number | None], before: Mapping[str, Any], typical_deal_size: Decimal) -> Split:
    """Split a month's deltas so that `created` is something the generators can add exactly, never below 0.

    `created` + `changed` = `deltas` for every targeted metric; `created` may also fix the won
    value of new won deals when the plan targets the pipeline but not the won value. `before`
    holds the month's KPIs now.
    """
    created: Deltas = {}
    changed: Deltas = {}
    for name, value in deltas.items():
        if name in (DEALS, WON, WON_VALUE, PIPELINE):
            continue
        created[name] = None if value is None else max(value, 0)
        changed[name] = None if value is None else min(value, 0)

    won, deals = deltas.get(WON), deltas.get(DEALS)
    new_won = None if won is None else max(int(won), 0)
    new_deals = None if deals is None else max(int(deals), 0, new_won or 0)
    won_deals = new_won or 0
    worth = _won_deal_worth(deltas, before, typical_deal_size) * won_deals

    won_value = deltas.get(WON_VALUE)
    new_won_value: Decimal | None
    if won_value is None:
        new_won_value = None
    elif not won_deals:
        new_won_value = Decimal(0)
    else:
        new_won_value = Decimal(won_value) if won_value > 0 else worth

    pipeline = deltas.get(PIPELINE)
    new_pipeline: Decimal | None = None
    if pipeline is not None:
        if new_won_value is None:
            new_won_value = worth  # the pipeline must be exact, so the new won deals' share must be known
        carried = new_won_value or Decimal(0)
        may_open = new_deals is None or new_deals > won_deals
        # Pipeline beyond the won value goes to new open deals when there may be some; else the new
        # deals that are not won are lost and existing open deals move instead.
        new_pipeline = Decimal(pipeline) if pipeline > carried and may_open else carried

    for name, value, new in (
        (WON, won, new_won),
        (DEALS, deals, new_deals),
        (WON_VALUE, won_value, new_won_value),
        (PIPELINE, pipeline, new_pipeline),
    ):
        created[name] = new
        changed[name] = None if value is None else value - (new or 0)
    return Split(created=created, changed=changed)


def _won_deal_worth(deltas: Mapping[str, Number | None], before: Mapping[str, Any], typical: Decimal) -> Decimal:
    """What a new won deal carries when the plan does not raise the won value: the month's average won deal
    afterwards (its targets where the plan sets them), else the tenant's typical deal."""
    won = as_number(WON, before.get(WON)) + (deltas.get(WON) or 0)
    value = as_number(WON_VALUE, before.get(WON_VALUE)) + (deltas.get(WON_VALUE) or 0)
    if won > 0 and value >= CENT * won:
        return (Decimal(value) / won).quantize(CENT, rounding=ROUND_DOWN)
    return max(typical.quantize(CENT), CENT)


def contradictions(month: str, deltas: Mapping[str, Number | None], before: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(metric, one-line message) for each rule of the deal metrics the month's KPIs would break afterwards.

    Only metrics the plan targets are judged: the others move as the changes need.
    """
    after = {name: as_number(name, before.get(name)) + value for name, value in deltas.items() if value is not None}
    won, deals = after.get(WON), after.get(DEALS)
    won_value, pipeline = after.get(WON_VALUE), after.get(PIPELINE)
    found: list[tuple[str, str]] = []

    def say(metric: str, text: str) -> None:
        found.append((metric, f"Month {month} cannot end with {text}"))

    if won is not None and deals is not None and won > deals:
        say(WON, f"closedWonCount {won} above dealsCreated {deals}: won deals are among the deals")
    if won_value is not None and pipeline is not None and pipeline < won_value:
        say(
            PIPELINE,
            f"pipelineAddedValue {format_number(pipeline)} below closedWonValue {format_number(won_value)}: "
            "the pipeline holds the won value",
        )
    if won is not None and won_value is not None:
        if won == 0 and won_value > 0:
            say(
                WON_VALUE,
                f"closedWonValue {format_number(won_value)} with closedWonCount 0: won value needs won deals",
            )
        if won > 0 and won_value < CENT * won:
            say(
                WON_VALUE,
                f"closedWonValue {format_number(won_value)} for closedWonCount {won}: each won deal is worth "
                "at least 0.01",
            )
    return found

"""The sales story: the steps a deal goes through, the activity subjects of each, and how far a stage got."""

# A deal's story runs discovery → demo → proposal → negotiation → contract (steps 1 to 5).
# A stage's level is the last step a deal in it may have reached: the last open stage is
# negotiation and the open stages before it count back from there (never below 1), a won
# deal reached the contract, a lost one at most negotiation. An activity on a deal mentions
# no step above its deal's level; dbt's audit reads the same table (PROJECT_VARS).

from __future__ import annotations

import functools
from collections.abc import Iterable

import polars as pl

from generators.context import Stage

STEPS: tuple[str, ...] = ("discovery", "demo", "proposal", "negotiation", "contract")
LAST_OPEN_LEVEL = 4
WON_LEVEL = 5
LOST_LEVEL = 4

# (subject, activity type, step): the subjects that mention a step of the story.
STEP_SUBJECTS: tuple[tuple[str, str, int], ...] = (
    ("Intro email", "email", 1),
    ("Intro call", "call", 1),
    ("Discovery call", "call", 1),
    ("Schedule demo", "task", 2),
    ("Product demo", "meeting", 2),
    ("Follow-up on demo", "email", 2),
    ("Prepare proposal", "task", 3),
    ("Sent proposal", "email", 3),
    ("Send pricing", "task", 3),
    ("Pricing discussion", "call", 3),
    ("Negotiation meeting", "meeting", 4),
    ("Sent contract", "email", 5),
)
# Subjects that mention no step: any deal's, or a contact's without one.
NEUTRAL_SUBJECTS: tuple[tuple[str, str], ...] = (
    ("Follow-up call", "call"),
    ("Check-in call", "call"),
    ("Left voicemail", "call"),
    ("Shared case study", "email"),
    ("Answered product questions", "email"),
    ("Decision maker identified", "note"),
    ("Evaluating competitors", "note"),
    ("Needs security review", "note"),
    ("Budget approved next quarter", "note"),
    ("Book follow-up", "task"),
    ("On-site visit", "meeting"),
)
# After a won deal closed: a customer's activities, outside the deal's story.
CUSTOMER_SUBJECTS: tuple[tuple[str, str], ...] = (
    ("Kick-off meeting", "meeting"),
    ("Quarterly business review", "meeting"),
    ("Check-in call", "call"),
    ("Answered product questions", "email"),
)
# A lead's first touch: the first step's subjects and a voicemail.
FIRST_TOUCH_SUBJECTS: tuple[tuple[str, str], ...] = (
    *((subject, kind) for subject, kind, step in STEP_SUBJECTS if step == 1),
    ("Left voicemail", "call"),
)
SUBJECT_STEPS: dict[str, int] = {subject: step for subject, _, step in STEP_SUBJECTS}


def open_levels(stages: Iterable[Stage]) -> dict[str, int]:
    """Level per open stage: the last one LAST_OPEN_LEVEL, each earlier one a step less, at least 1."""
    ordered = sorted((s for s in stages if not s.is_won and not s.is_lost), key=lambda s: (s.position, s.id))
    return {s.id: max(1, LAST_OPEN_LEVEL - (len(ordered) - rank)) for rank, s in enumerate(ordered, 1)}


def stage_levels(stages: Iterable[Stage]) -> dict[str, int]:
    """Level per stage: how far along the story a deal in it may have got."""
    stages = tuple(stages)
    closed = {s.id: WON_LEVEL if s.is_won else LOST_LEVEL for s in stages if s.is_won or s.is_lost}
    return open_levels(stages) | closed


def level_of(stage_id: pl.Expr, stages: Iterable[Stage], unknown: int = 1) -> pl.Expr:
    """The level of the stage in `stage_id`, `unknown` for any other (a chain of a few
    comparisons costs a small frame far less than a lookup table)."""
    level: pl.Expr = pl.lit(unknown, pl.Int64)
    for stage, at in stage_levels(stages).items():
        level = pl.when(stage_id == stage).then(pl.lit(at, pl.Int64)).otherwise(level)
    return level


def one_of(stage_id: pl.Expr, stages: Iterable[Stage]) -> pl.Expr:
    """Whether `stage_id` is one of `stages`."""
    found: pl.Expr = pl.lit(False)
    for stage in stages:
        found = found | (stage_id == stage.id)
    return found


# Subject pools an activity draws from: a step of the story (1 to 5), or one of these.
NEUTRAL, CUSTOMER, FIRST_TOUCH = 6, 7, 8
_POOLS: tuple[tuple[int, tuple[tuple[str, str], ...]], ...] = (
    *((step, tuple((s, k) for s, k, at in STEP_SUBJECTS if at == step)) for step in range(1, len(STEPS) + 1)),
    (NEUTRAL, NEUTRAL_SUBJECTS),
    (CUSTOMER, CUSTOMER_SUBJECTS),
    (FIRST_TOUCH, FIRST_TOUCH_SUBJECTS),
)


@functools.cache
def _subject_table() -> tuple[pl.DataFrame, pl.Series, pl.Series]:
    """Subjects and types in pool order, and each pool's first row and size, indexed by pool."""
    rows = [(subject, kind) for _, subjects in _POOLS for subject, kind in subjects]
    sizes = [0] * (max(pool for pool, _ in _POOLS) + 1)
    for pool, subjects in _POOLS:
        sizes[pool] = len(subjects)
    starts, first = [], 0
    for pool in range(len(sizes)):
        starts.append(first)
        first += sizes[pool]
    table = pl.DataFrame(rows, schema={"subject": pl.String, "type": pl.String}, orient="row")
    return table, pl.Series(starts, dtype=pl.Int64), pl.Series(sizes, dtype=pl.Int64)


def pick_subjects(pools: pl.Series, u: pl.Series) -> tuple[pl.Series, pl.Series]:
    """A subject and its activity type per row, drawn evenly (by u in [0, 1)) from the row's pool."""
    table, starts, sizes = _subject_table()
    size = sizes.gather(pools)
    offset = (u * size).cast(pl.Int64)  # a draw just below 1 may round up to the size
    row = starts.gather(pools) + offset.zip_with(offset < size, size - 1)
    return table["subject"].gather(row), table["type"].gather(row)

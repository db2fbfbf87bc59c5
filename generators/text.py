"""Text helpers: ASCII forms of names for emails and domains, and making candidates unique."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import polars as pl

from generators.series import at_most, repeated

# Given candidate values (lower-case text), those already in use. A lookup rather than a set:
# a tenant's emails need not all be in memory, only the candidates are looked up.
Taken = Callable[[pl.Series], pl.Series]

# Letters NFKD does not decompose, and German's conventional spellings in addresses.
_FOLD = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "å": "a",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
    }
)
_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "i",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)
_GREEK = dict(
    zip(
        "αβγδεζηθικλμνξοπρσςτυφχψω",
        [
            "a",
            "v",
            "g",
            "d",
            "e",
            "z",
            "i",
            "th",
            "i",
            "k",
            "l",
            "m",
            "n",
            "x",
            "o",
            "p",
            "r",
            "s",
            "s",
            "t",
            "y",
            "f",
            "ch",
            "ps",
            "o",
        ],
        strict=True,
    )
)
_TRANSLIT = str.maketrans(_CYRILLIC | _GREEK)
_NOT_SLUG = re.compile(r"[^a-z]+")
_LONG = 20_000  # rows from which hashing strings to 64-bit keys first pays off


def ascii_letters(text: str) -> str:
    """Lower-case ASCII letters of a name ("Müller-Lüdenscheidt" -> "muellerluedenscheidt")."""
    lowered = text.lower().translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", lowered)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_SLUG.sub("", unicodedata.normalize("NFKC", stripped).translate(_TRANSLIT))


def _rank_in_group(values: pl.Series) -> pl.Series:
    """0, 1, 2... over the rows sharing a value, in row order. A sort by hash is far cheaper
    than a window over strings; a (vanishingly rare) hash clash only costs an extra round."""
    key = values.hash(seed=0)
    order = key.arg_sort()  # stable: equal values keep row order
    frame = pl.DataFrame({"key": key.gather(order)}).with_columns(position=pl.int_range(pl.len(), dtype=pl.Int64))
    starts = (pl.col("key") != pl.col("key").shift(1)).fill_null(True)
    start = pl.when(starts).then(pl.col("position")).forward_fill()
    ranks = frame.select(pl.col("position") - start).to_series()
    return pl.Series(values=[0] * len(values), dtype=pl.Int64).scatter(order, ranks)


def _first_distinct(values: pl.Series) -> pl.Series:
    """values.is_first_distinct(), exactly. On a long column of strings, 64-bit keys are several
    times cheaper to hash, and only rows whose key came earlier are compared as text."""
    if len(values) < _LONG:
        return values.is_first_distinct()
    suspect = ~values.hash(seed=0).is_first_distinct()
    if not suspect.any():
        return ~suspect
    related = values.is_in(values.filter(suspect).implode())
    return (~suspect).scatter(related.arg_true(), values.filter(related).is_first_distinct())


def _in_use(values: pl.Series, used: pl.Series) -> pl.Series:
    """values.is_in(used), hashing the shorter side: `used` grows to every settled value while
    the later rounds only check the few rows that clashed."""
    if len(used) > len(values):
        used = used.filter(used.is_in(values.implode()))
    return values.is_in(used.implode())


def taken_among(values: pl.Series, elsewhere: Taken | None = None, *, lower: bool = True) -> Taken:
    """The Taken of `values` (compared lower-case, or as they are), plus whatever `elsewhere` reports.

    `values` can be long (every contact a plan's earlier months made) and the Taken is asked many
    times about a few candidates: their 64-bit keys are looked up in the sorted keys of `values`,
    and only the candidates whose key is there are compared as text with the values sharing it.
    """
    known = values.drop_nulls().cast(pl.String)
    known = known.str.to_lowercase() if lower else known
    keys = known.hash(seed=0)
    order = keys.arg_sort()
    keys, known = keys.gather(order), known.gather(order)

    def taken(candidates: pl.Series) -> pl.Series:
        candidates = candidates.cast(pl.String)  # hashed as the values were: text
        found = candidates.filter(_among(candidates, known, keys))
        return found if elsewhere is None else pl.concat([found, elsewhere(candidates).cast(pl.String)])

    return taken


def _among(candidates: pl.Series, known: pl.Series, keys: pl.Series) -> pl.Series:
    """Which text candidates are in `known` (False for a null), where `keys` are the sorted 64-bit keys of
    `known`, in its order: candidates.is_in(known) as a filter."""
    if keys.is_empty() or candidates.is_empty():
        return repeated(False, len(candidates), pl.Boolean)
    wanted = candidates.hash(seed=0)
    first = keys.search_sorted(wanted, side="left")
    last = keys.search_sorted(wanted, side="right")
    hit = last > first
    if not hit.any():
        return hit
    rows = pl.int_ranges(first.filter(hit), last.filter(hit), dtype=pl.Int64, eager=True).explode()
    return hit & candidates.is_in(known.gather(rows).implode())


def make_unique(frame: pl.DataFrame, candidates: list[pl.Expr], numbered: pl.Expr, taken: Taken) -> pl.Series:
    """Per row, the first candidate not taken and not used by an earlier row.

    Rows whose every candidate is gone get `numbered` with "{n}" replaced by 2, 3, ...
    `taken` is asked about each value once: every row's candidates at the start, then each
    round's new numbered values (candidates are lower-case text).
    Each round only revisits the rows that clashed in the previous one.
    """
    pending = frame.with_columns(_row=pl.int_range(pl.len(), dtype=pl.Int64), _level=pl.lit(0, pl.Int64))
    asked = [pl.Series(dtype=pl.String)]  # every value `taken` was asked about
    used = [pl.Series(dtype=pl.String)]  # values found taken, or settled by an earlier row

    def ask(values: pl.Series) -> None:
        new = values.drop_nulls().unique(maintain_order=True)
        new = new.filter(~_in_use(new, pl.concat(asked, rechunk=False)))
        if not new.is_empty():
            asked.append(new)
            used.append(taken(new).cast(pl.String))

    ask(pl.concat([frame.select(candidate.cast(pl.String)).to_series() for candidate in candidates]))
    values = pl.Series("_value", [], dtype=pl.String)
    for round_ in range(10_000):
        if pending.is_empty():
            break
        pending = _values_at_levels(pending, candidates, numbered)
        if round_:  # the first round's values were asked about with every candidate
            ask(pending["_value"])
        else:  # every row, in row order: later rounds overwrite the rows that clash
            values = pending["_value"]
        ok = _first_distinct(pending["_value"])
        in_use = pl.concat(used, rechunk=False)
        if len(in_use):
            ok = ok & ~_in_use(pending["_value"], in_use)
        done = pending.filter(ok)
        if round_:
            values = values.scatter(done["_row"], done["_value"])
        used.append(done["_value"])
        pending = pending.filter(~ok)
        # After the first round, rows sharing a value move to distinct levels at once.
        step = _rank_in_group(pending["_value"]) + 1 if round_ == 0 else 1
        pending = pending.with_columns(_level=pl.col("_level") + step)
    else:  # pragma: no cover
        raise RuntimeError("make_unique did not converge")
    return values


def _values_at_levels(pending: pl.DataFrame, candidates: list[pl.Expr], numbered: pl.Expr) -> pl.DataFrame:
    """Each row's candidate at its level: the candidates in turn, then `numbered` from 2 on."""
    levels = len(candidates)
    number = (pl.col("_level") - levels + 2).cast(pl.String)
    spelled = [*candidates, numbered.str.replace("{n}", number, literal=True)]
    spelling = at_most(pending["_level"], levels)  # index into spelled
    if (spelling == spelling[0]).all():  # one spelling (always so in the first round): only that one
        return pending.with_columns(_value=spelled[spelling[0]])
    # Later rounds revisit the rows that clashed: spelling them every way in one pass costs
    # less than splitting them by level.
    chosen = spelled[levels]
    for level in reversed(range(levels)):
        chosen = pl.when(pl.col("_level") == level).then(spelled[level]).otherwise(chosen)
    return pending.with_columns(_value=chosen)

"""Hypothesis strategies for plan texts: right, nearly right and wrong in every way a person or a program can be."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import yaml
from hypothesis import strategies as st

from generators.metrics import METRICS

# Text of every kind, control characters and line separators included (lone surrogates cannot be written).
any_text = st.text(st.characters(codec="utf-8"), max_size=30)
_months = st.one_of(
    st.sampled_from(["2024-12", "2025-01", "2025-04", "2025-06", "2099-01"]),  # in, before and after the tenant
    st.sampled_from(["0000-01", "0001-01", "1899-12", "1900-01", "2999-12", "3000-01", "9999-12", "10000-01"]),
    st.sampled_from(["2025-00", "2025-13", "2025-1", " 2025-01 ", "2025-01\n", "２０２５-０１", "Jan 2025", ""]),
    st.from_regex(r"\A-?\d{1,5}-\d{1,3}\Z"),
    st.dates().map(str),
    any_text,
)
number_texts = st.sampled_from(
    [
        "1e999999999",
        "-1e999999999",
        "1e-999999999",
        "1e9999999999999999999",
        "1E+999999999999999999",
        "0E+999999999",
        "1e99",
        "1e100",
        "NaN",
        "sNaN",
        "-Infinity",
        "-0",
        "1_000",
        "١٢٣",
        "1,000.50",
        "$ 25,000",
        "(5)",
        "€-3",
        "9" * 5000,
        "0." + "0" * 300 + "1",
    ]
)
_values = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.integers(min_value=-5, max_value=200_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=True, places=None).map(str),
    number_texts,
    st.booleans(),
    st.none(),
    any_text,
    st.lists(st.integers(), max_size=2),
    st.dictionaries(any_text, st.integers(), max_size=2),
)
_metric_names = st.sampled_from([m.name for m in METRICS]) | any_text
_json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text
_nested = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=20,
)


def _month_entry() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.fixed_dictionaries(
            {"month": _months, "metrics": st.dictionaries(_metric_names, _values, max_size=8)},
            optional={"extra": _nested},
        ),
        _nested,
    )


# Plans right in everything but their months: the rules see every odd value.
_nearly_valid = st.fixed_dictionaries(
    {
        "tenant": st.just("acme-corp-demo"),
        "mode": st.just("additive"),
        "planType": st.sampled_from(["deltas", "targets"]),
        "months": st.lists(
            st.fixed_dictionaries(
                {
                    "month": st.sampled_from(["2024-12", "2025-01", "2025-02", "2025-04"]),
                    "metrics": st.dictionaries(
                        st.sampled_from([m.name for m in METRICS]),
                        st.integers(-5, 600_000) | number_texts | st.decimals(places=2, allow_nan=False).map(str),
                        max_size=8,
                    ),
                }
            ),
            max_size=4,
        ),
    }
)
_plans = _nearly_valid | st.fixed_dictionaries(
    {
        "tenant": st.sampled_from(["acme-corp-demo", "", "a" * 101]) | any_text,
        "mode": st.sampled_from(["additive", "ADDITIVE", "reconcile", "delete"]) | any_text,
        "planType": st.sampled_from(["deltas", "targets", " Targets "]) | any_text,
        "months": st.lists(_month_entry(), max_size=5)
        | st.integers(121, 200).map(lambda n: [{"month": "2025-01"}] * n)
        | _nested,
    },
    optional={
        "seed": any_text | st.integers() | st.just("s" * 65),
        "version": _values,
        "tolerances": st.dictionaries(
            st.sampled_from(["countTolerance", "valueTolerance"]) | any_text, _values, max_size=2
        ),
        "$schema": any_text,
        "deep": _nested,
    },
)


def _deeply_nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _as_csv(plan: dict[str, Any], delimiter: str) -> str:
    """A plan's months as a spreadsheet would write them: a month column and one column per metric used."""
    months = plan["months"] if isinstance(plan["months"], list) else []
    rows = [m for m in months if isinstance(m, dict) and isinstance(m.get("metrics"), dict)]
    columns = sorted({str(k) for m in rows for k in m["metrics"]})
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(["month", *columns])
    for m in rows:
        writer.writerow([m["month"], *(m["metrics"].get(c, "") for c in columns)])
    return out.getvalue()


plan_texts = st.one_of(
    _plans.map(lambda p: ("json", json.dumps(p, ensure_ascii=False))),
    _plans.map(lambda p: ("yaml", yaml.safe_dump(p, allow_unicode=True))),
    _plans.map(lambda p: ("yaml", yaml.safe_dump(p))),
    st.tuples(_plans, st.sampled_from([",", ";", "\t"])).map(lambda pd: ("csv", _as_csv(*pd))),
    st.tuples(st.sampled_from(["yaml", "json", "csv"]), any_text),
    st.tuples(st.sampled_from(["yaml", "json"]), st.integers(1, 3000).map(_deeply_nested)),
    st.tuples(
        st.just("yaml"), st.sampled_from(["&a [*a]", "!!python/object:os.system {}", "a: !!binary x", "? [a]\n: 1"])
    ),
    st.tuples(
        st.just("csv"),
        st.lists(st.lists(any_text | number_texts, max_size=4), max_size=4).map(
            lambda rows: "\n".join(",".join(r) for r in [["month", "leadsCreated"], *rows])
        ),
    ),
)

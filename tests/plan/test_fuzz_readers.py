"""Fuzzing the plan readers and rules: any YAML, JSON or CSV text gives a plan or one clear line, never a crash."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.plan.model import PatchPlan, canonical_json
from flows.plan.readers import parse_plan, plan_to_json, plan_to_yaml, read_plan_file, sniff_format
from generators.errors import DemogenError
from generators.metrics import METRICS
from tests.plan.samples import validate

FUZZ = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text of every kind, control characters and line separators included (lone surrogates cannot be written).
_any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
_months = st.one_of(
    st.sampled_from(["2024-12", "2025-01", "2025-04", "2025-06", "2099-01"]),  # in, before and after the tenant
    st.sampled_from(["0000-01", "0001-01", "1899-12", "1900-01", "2999-12", "3000-01", "9999-12", "10000-01"]),
    st.sampled_from(["2025-00", "2025-13", "2025-1", " 2025-01 ", "2025-01\n", "２０２５-０１", "Jan 2025", ""]),
    st.from_regex(r"\A-?\d{1,5}-\d{1,3}\Z"),
    st.dates().map(str),
    _any_text,
)
_number_texts = st.sampled_from(
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
    _number_texts,
    st.booleans(),
    st.none(),
    _any_text,
    st.lists(st.integers(), max_size=2),
    st.dictionaries(_any_text, st.integers(), max_size=2),
)
_metric_names = st.sampled_from([m.name for m in METRICS]) | _any_text
_json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _any_text
_nested = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_any_text, inner, max_size=3),
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
                        st.integers(-5, 600_000) | _number_texts | st.decimals(places=2, allow_nan=False).map(str),
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
        "tenant": st.sampled_from(["acme-corp-demo", "", "a" * 101]) | _any_text,
        "mode": st.sampled_from(["additive", "ADDITIVE", "reconcile", "delete"]) | _any_text,
        "planType": st.sampled_from(["deltas", "targets", " Targets "]) | _any_text,
        "months": st.lists(_month_entry(), max_size=5)
        | st.integers(121, 200).map(lambda n: [{"month": "2025-01"}] * n)
        | _nested,
    },
    optional={
        "seed": _any_text | st.integers() | st.just("s" * 65),
        "version": _values,
        "tolerances": st.dictionaries(
            st.sampled_from(["countTolerance", "valueTolerance"]) | _any_text, _values, max_size=2
        ),
        "$schema": _any_text,
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


_texts = st.one_of(
    _plans.map(lambda p: ("json", json.dumps(p, ensure_ascii=False))),
    _plans.map(lambda p: ("yaml", yaml.safe_dump(p, allow_unicode=True))),
    _plans.map(lambda p: ("yaml", yaml.safe_dump(p))),
    st.tuples(_plans, st.sampled_from([",", ";", "\t"])).map(lambda pd: ("csv", _as_csv(*pd))),
    st.tuples(st.sampled_from(["yaml", "json", "csv"]), _any_text),
    st.tuples(st.sampled_from(["yaml", "json"]), st.integers(1, 3000).map(_deeply_nested)),
    st.tuples(
        st.just("yaml"), st.sampled_from(["&a [*a]", "!!python/object:os.system {}", "a: !!binary x", "? [a]\n: 1"])
    ),
    st.tuples(
        st.just("csv"),
        st.lists(st.lists(_any_text | _number_texts, max_size=4), max_size=4).map(
            lambda rows: "\n".join(",".join(r) for r in [["month", "leadsCreated"], *rows])
        ),
    ),
)

tried = {"inputs": 0, "plans": 0, "errors": 0}


def _check(read: Any) -> PatchPlan | None:
    """The plan read, or None after checking the error is one line naming no internal error."""
    tried["inputs"] += 1
    try:
        plan = read()
    except DemogenError as exc:
        message = str(exc)
        assert message and "\n" not in message and "\r" not in message, repr(message)
        tried["errors"] += 1
        return None
    assert isinstance(plan, PatchPlan)
    tried["plans"] += 1
    return plan


def _use(plan: PatchPlan) -> None:
    """What the engine does with a plan it read: validate it, name its job, write it back; none may raise."""
    result = validate(plan)
    for issue in (*result.errors, *result.warnings):
        assert issue.message and "\n" not in issue.message
        assert issue.month is None or issue.month in issue.message, issue
    canonical_json(plan)
    # compared as canonical text: NaN, which validation reports, is not equal to itself
    assert canonical_json(read_plan_file(plan_to_yaml(plan), "yaml")) == canonical_json(plan)
    assert canonical_json(read_plan_file(plan_to_json(plan), "json")) == canonical_json(plan)


@FUZZ
@given(case=_texts)
def test_any_plan_text_reads_as_a_plan_or_one_clear_line(case: tuple[str, str]) -> None:
    format, text = case
    for fmt in (format, sniff_format(text)):
        plan = _check(lambda fmt=fmt: parse_plan(text, fmt, tenant="acme-corp-demo"))
        if plan is not None:
            _use(plan)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    raw=st.binary(max_size=200) | _texts.map(lambda case: case[1].encode("utf-8")),
    suffix=st.sampled_from([".yaml", ".json", ".csv", ".txt"]),
)
def test_any_plan_file_reads_as_a_plan_or_one_clear_line(tmp_path: Path, raw: bytes, suffix: str) -> None:
    path = tmp_path / f"plan{suffix}"
    path.write_bytes(raw)
    plan = _check(lambda: read_plan_file(path, tenant="acme-corp-demo"))
    if plan is not None:
        _use(plan)


def test_zz_the_fuzzing_tried_many_inputs() -> None:
    """Runs last in this module (pytest keeps file order): the fuzzing above really ran, and produced both outcomes."""
    print(f"plan readers fuzzed: {tried}")
    assert tried["inputs"] >= 1200 and tried["plans"] > 0 and tried["errors"] > 0

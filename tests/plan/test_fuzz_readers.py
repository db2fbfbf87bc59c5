"""Fuzzing the plan readers and rules: any YAML, JSON or CSV text gives a plan or one clear line, never a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flows.plan.model import PatchPlan, canonical_json
from flows.plan.readers import parse_plan, plan_to_json, plan_to_yaml, read_plan_file, sniff_format
from generators.errors import DemogenError
from tests.plan.fuzzing import plan_texts
from tests.plan.samples import validate

FUZZ = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])

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
@given(case=plan_texts)
@example(  # more digits than a float holds: it must read back as it was written
    case=(
        "json",
        '{"tenant": "acme-corp-demo", "mode": "additive", "planType": "deltas", "months": '
        '[{"month": "2024-12", "metrics": {"leadsCreated": "572405008483958.94"}}]}',
    )
)
def test_any_plan_text_reads_as_a_plan_or_one_clear_line(case: tuple[str, str]) -> None:
    format, text = case
    for fmt in (format, sniff_format(text)):
        plan = _check(lambda fmt=fmt: parse_plan(text, fmt, tenant="acme-corp-demo"))
        if plan is not None:
            _use(plan)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    raw=st.binary(max_size=200) | plan_texts.map(lambda case: case[1].encode("utf-8")),
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

"""The limits on a plan: numbers, months, size and record count, each refused with one line naming the value."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest

from flows.plan import readers
from flows.plan.limits import MAX_PLAN_BYTES, MAX_PLAN_MONTHS
from flows.plan.quick_fill import grow_from
from flows.plan.readers import PlanFormatError, parse_plan, read_plan_file
from flows.plan.roll_forward import load_config
from flows.plan.templates import TEMPLATES_DIR, load_template, template_path
from generators.calendar import month_range, parse_month
from generators.errors import DemogenError, UsageError

HEAD = "tenant: acme-corp-demo\nmode: additive\nplanType: deltas\nmonths:\n"
MONTH_RANGE = "YYYY-MM from 1900-01 to 2999-12, e.g. 2025-01"


def yaml_error(text: str) -> str:
    with pytest.raises(PlanFormatError) as info:
        parse_plan(text, "yaml")
    return str(info.value)


def csv_error(text: str) -> str:
    with pytest.raises(PlanFormatError) as info:
        parse_plan(text, "csv", tenant="acme-corp-demo")
    return str(info.value)


def test_a_number_beyond_any_amount_is_refused_by_every_reader() -> None:
    """1e999999999 overflowed Decimal arithmetic in the rules: it never reaches them."""
    assert yaml_error(HEAD + "  - month: '2025-02'\n    metrics: {leadsCreated: '1e999999999'}\n") == (
        "plan text: not a valid plan: months[0] (2025-02).metrics.leadsCreated: 1e999999999 is out of range: "
        "numbers in a plan lie between 1e-100 and 1e100"
    )
    assert csv_error("month,leadsCreated\n2025-02,1e9999999\n") == (
        "plan text: not a valid plan: months[0] (2025-02).metrics.leadsCreated: 1E+9999999 is out of range: "
        "numbers in a plan lie between 1e-100 and 1e100"
    )
    assert csv_error("month,closedWonValue\n2025-02,1e-200\n") == (
        "plan text: not a valid plan: months[0] (2025-02).metrics.closedWonValue: 1E-200 is out of range: "
        "numbers in a plan lie between 1e-100 and 1e100"
    )


@pytest.mark.parametrize("month", ["0000-01", "1899-12", "3000-01", "9999-12"])
def test_a_month_outside_the_calendar_range_is_refused_everywhere(month: str) -> None:
    assert yaml_error(HEAD + f"  - month: '{month}'\n") == (
        f"plan text: not a valid plan: months[0] ({month}).month: expected a month as {MONTH_RANGE}, got '{month}'"
    )
    assert csv_error(f"month,leadsCreated\n{month},1\n") == (
        f"plan text: row 2, column month: '{month}' is not a month: expected {MONTH_RANGE}"
    )
    with pytest.raises(UsageError) as info:
        parse_month(month)
    assert str(info.value) == f"'{month}' is not a valid month: expected {MONTH_RANGE}"


def test_the_calendar_range_ends_are_months() -> None:
    assert parse_month("1900-01") == "1900-01" and parse_month("2999-12") == "2999-12"


def test_a_range_of_more_than_a_century_is_refused() -> None:
    assert len(month_range("1900-01", "1999-12")) == 1200
    with pytest.raises(UsageError) as info:
        month_range("1900-01", "2999-12")
    assert str(info.value) == "--from 1900-01 to --to 2999-12 spans 13,200 months: at most 1,200 months at a time"


def test_a_plan_of_too_many_months_is_refused_before_its_months_are_read() -> None:
    # Every month is malformed: had any been read, the error would name it instead of the count.
    months = "".join(f"  - month: 'month {i}'\n" for i in range(10_000))
    message = yaml_error(HEAD + months)
    assert message == f"plan text: not a valid plan: months: a plan holds at most {MAX_PLAN_MONTHS} months, got 10,000"
    allowed = "".join(f"  - month: '{2000 + i // 12}-{i % 12 + 1:02d}'\n" for i in range(MAX_PLAN_MONTHS))
    assert len(parse_plan(HEAD + allowed, "yaml").months) == MAX_PLAN_MONTHS


def test_a_plan_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_PLAN_BYTES + 1))
    with pytest.raises(PlanFormatError) as info:
        read_plan_file(big)
    assert str(info.value) == f"{big}: 1,000,001 bytes is larger than a plan may be (at most 1,000,000 bytes)"
    with pytest.raises(PlanFormatError) as info:
        parse_plan("#" * (MAX_PLAN_BYTES + 1), "yaml", name="pasted")
    assert str(info.value) == "pasted: 1,000,001 bytes is larger than a plan may be (at most 1,000,000 bytes)"


def test_stdin_is_read_no_further_than_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.BytesIO(b"#" * (10 * MAX_PLAN_BYTES))
    monkeypatch.setattr(readers.sys, "stdin", io.TextIOWrapper(stream))
    with pytest.raises(PlanFormatError) as info:
        read_plan_file("-")
    assert str(info.value) == "stdin: larger than a plan may be (at most 1,000,000 bytes)"
    assert stream.tell() == MAX_PLAN_BYTES + 1


def test_control_characters_in_tenant_or_seed_are_refused() -> None:
    text = 'tenant: "acme\\0"\nmode: additive\nplanType: deltas\nmonths: []\nseed: "a\\x1bb"\n'
    assert yaml_error(text) == (
        "plan text: not a valid plan: tenant: 'acme\\x00' holds the control character U+0000; "
        "seed: 'a\\x1bb' holds the control character U+001B"
    )


@pytest.mark.parametrize("name", ["../../../../tmp/evil", "/tmp/evil", "templates/steady-growth", "steady-growth.yaml"])
def test_a_template_is_a_name_in_plans_templates(name: str) -> None:
    with pytest.raises(UsageError) as info:
        load_template(name)
    assert str(info.value) == f"unknown template {name!r}: choose one of seasonal, steady-growth"
    assert template_path("seasonal") == TEMPLATES_DIR / "seasonal.yaml"


def test_the_roll_forward_config_names_templates_not_paths() -> None:
    path = "tests/plan/fixtures/config/roll-forward-outside-template.yaml"
    with pytest.raises(DemogenError) as info:
        load_config(path)
    assert str(info.value) == (
        f"roll-forward config '{path}' is broken: tenants.0.template: "
        "unknown template '../../../../tmp/evil': choose one of seasonal, steady-growth"
    )


QUICK_FILL_BASE: dict[str, int | Decimal] = {
    "leadsCreated": 10,
    "dealsCreated": 1,
    "closedWonCount": 1,
    "closedWonValue": Decimal(100000),
    "pipelineAddedValue": Decimal(100000),
}


def test_quick_fill_refuses_growth_past_any_limit_and_months_past_the_calendar() -> None:
    with pytest.raises(UsageError) as info:
        grow_from(QUICK_FILL_BASE, tenant="acme-corp-demo", first_month="2025-01", months=120, pct="1000")
    assert str(info.value) == (
        "growing 1000% a month takes closedWonValue past 1,000,000,000,000,000 by month 10 of 120: "
        "choose a smaller growth or fewer months"
    )
    with pytest.raises(PlanFormatError) as late:
        grow_from(QUICK_FILL_BASE, tenant="acme-corp-demo", first_month="2999-12", months=2, pct="10")
    assert str(late.value) == (
        f"Quick Fill plan: not a valid plan: months[1] (3000-01).month: expected a month as {MONTH_RANGE}, "
        "got '3000-01'"
    )
    with pytest.raises(UsageError) as many:
        grow_from(QUICK_FILL_BASE, tenant="acme-corp-demo", first_month="2025-01", months=121, pct="1")
    assert str(many.value) == "--months 121 is out of range: expected 1 to 120"

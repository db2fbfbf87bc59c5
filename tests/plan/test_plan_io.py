"""Plan readers: YAML, JSON and spreadsheet CSV; any input gives a plan or a one-line error."""

from __future__ import annotations

import json
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.plan.csv_reader import read_csv_plan
from flows.plan.model import PatchPlan
from flows.plan.readers import (
    PlanFormatError,
    parse_plan,
    plan_to_json,
    plan_to_yaml,
    read_plan_file,
    sniff_format,
)
from generators.errors import DemogenError, UsageError
from generators.metrics import METRICS
from tests.plan.samples import EXAMPLES, FIXTURES

HEADER = "month," + ",".join(m.name for m in METRICS)


def outcome(fn: Any, *args: Any, **kwargs: Any) -> PatchPlan | DemogenError:
    """The reader's result, or its error after checking it is one clear line."""
    try:
        result = fn(*args, **kwargs)
    except DemogenError as exc:
        message = str(exc)
        assert message and "\n" not in message and "Traceback" not in message
        return exc
    assert isinstance(result, PatchPlan)
    return result


def csv_error(text: str) -> str:
    with pytest.raises(PlanFormatError) as info:
        read_csv_plan(text, tenant="acme")
    return str(info.value)


# --- CSV ------------------------------------------------------------------------------------


def test_excel_export_parses_with_every_quirk() -> None:
    plan = read_plan_file(FIXTURES / "csv" / "excel-export.csv", tenant="acme-corp-demo")
    assert (plan.tenant, plan.mode, plan.plan_type) == ("acme-corp-demo", "additive", "deltas")
    assert [m.month for m in plan.months] == ["2025-01", "2025-02", "2025-03"]
    jan, feb, _ = (m.values() for m in plan.months)
    assert jan["leadsCreated"] == 50
    assert jan["closedWonValue"] == Decimal("25000")
    assert jan["pipelineAddedValue"] == Decimal("75000.00")
    assert feb["closedWonValue"] == 32000 and feb["pipelineAddedValue"] == 96000
    assert jan["activitiesCount"] is None  # an empty cell is "not set"


def test_csv_reads_the_example_spreadsheet_export_as_written() -> None:
    text = (FIXTURES / "csv" / "excel-export.csv").read_text(encoding="utf-8-sig")
    assert read_plan_file(text, "csv", tenant="t").months[2].values()["companiesCreated"] == 14


@pytest.mark.parametrize(
    ("cell", "money", "value"),
    [
        ("25000", True, "25000"),
        ('"$25,000"', True, "25000"),
        ('"$25,000.50"', True, "25000.50"),
        ('" 1,250,000 "', True, "1250000"),
        ("€ 900", True, "900"),
        ("900 €", True, "900"),
        ('"(1,000)"', True, "-1000"),
        ("-$5", True, "-5"),
        ("$ -", True, "0"),
        ("2.5E+04", True, "25000"),
        ('"1,200"', False, "1200"),
        ("1 200", False, "1200"),
        ("7", False, "7"),
        ("2.5", False, "2.5"),  # kept: validation reports the fraction with a code
        ("-3", False, "-3"),  # kept: validation reports V-1
    ],
)
def test_csv_number_cells(cell: str, money: bool, value: str) -> None:
    column = "closedWonValue" if money else "leadsCreated"
    plan = read_csv_plan(f"month,{column}\n2025-01,{cell}\n", tenant="acme")
    assert plan.months[0].values()[column] == Decimal(value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("month,leadsCreated,foo\n2025-01,1,2\n", "row 1, column 3: unknown column 'foo'"),
        ("leadsCreated,contactsCreated\n1,2\n", "row 1: no 'month' column"),
        ("month,leadsCreated\n2025-01,abc\n", "row 2, column leadsCreated: 'abc' is not a number"),
        ("month,leadsCreated\n2025-01,$50\n", "row 2, column leadsCreated: '$50' is a sum of money"),
        ("month,leadsCreated\n2025-13,5\n", "row 2, column month: '2025-13' is not a month"),
        ("month,leadsCreated\n\n,5\n", "row 3, column month: empty"),
        ("month,leadsCreated\n2025-01,5,6\n", "row 2, column 3: '6' is under no named column"),
        ("month,leadsCreated,leads_created\n2025-01,5,6\n", "column 'leads_created' appears twice"),
        ('month,closedWonValue\n2025-01,"1,23"\n', "row 2, column closedWonValue: '1,23' is not a number"),
        ("", "empty"),
    ],
)
def test_csv_errors_name_row_and_column(text: str, fragment: str) -> None:
    assert fragment in csv_error(text)


def test_csv_lists_several_bad_cells_in_one_message() -> None:
    message = csv_error("month,leadsCreated,dealsCreated\n2025-01,x,1\n2025-02,2,y\n")
    assert "row 2, column leadsCreated" in message and "row 3, column dealsCreated" in message


def test_csv_header_accepts_dbt_columns_labels_case_and_spaces() -> None:
    text = ' Month ; Leads ; contacts_created ; CLOSED WON VALUE \r\n2025-01;5;4;"1.000,5"\r\n'
    with pytest.raises(PlanFormatError, match="column CLOSED WON VALUE: '1.000,5' is not a number"):
        read_csv_plan(text, tenant="t")  # a decimal comma is refused, not misread
    plan = read_csv_plan(text.replace('"1.000,5"', "1000.5"), tenant="t")
    values = plan.months[0].values()
    assert (values["leadsCreated"], values["contactsCreated"], values["closedWonValue"]) == (
        5,
        4,
        Decimal("1000.5"),
    )


def test_csv_pasted_from_a_spreadsheet_grid_is_tab_separated() -> None:
    plan = read_csv_plan("month\tleadsCreated\n2025-01\t1,500\n", tenant="t")
    assert plan.months[0].values()["leadsCreated"] == 1500


@pytest.mark.parametrize("cell", ["2025-01", "2025/1", "2025-01-01", "Jan 2025", "January-2025", "jan-25"])
def test_csv_months_as_spreadsheets_write_them(cell: str) -> None:
    assert read_csv_plan(f"month,leadsCreated\n{cell},1\n", tenant="t").months[0].month == "2025-01"


def test_csv_without_tenant_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--tenant"):
        read_plan_file("month,leadsCreated\n2025-01,1\n", "csv")


def test_csv_in_cp1252_from_excel_reads(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_bytes('month,closedWonValue\n2025-01,"€1,000"\n'.encode("cp1252"))
    assert read_plan_file(path, tenant="t").months[0].values()["closedWonValue"] == 1000


# --- YAML and JSON --------------------------------------------------------------------------


def test_example_plans_read(tmp_path: Path) -> None:
    plans = [read_plan_file(path) for path in sorted(EXAMPLES.glob("*.yaml"))]
    assert {p.plan_type for p in plans} == {"deltas", "targets"}
    assert all(p.tenant == "acme-corp-demo" for p in plans)


def test_schema_key_at_the_top_of_yaml_is_accepted() -> None:
    text = '"$schema": ../plan.schema.json\ntenant: t\nmode: additive\nplanType: deltas\nmonths: []\n'
    assert read_plan_file(text, "yaml").months == []


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("tenant: t\nmode: additive\nplanType: deltas\nmonths: []\nextra: 1\n", "unknown key 'extra'"),
        ("tenant: t\nplanType: deltas\nmonths: []\n", "missing key 'mode'"),
        ("tenant: t\nmode: sideways\nplanType: deltas\nmonths: []\n", "mode: Input should be 'additive' or"),
        (
            "tenant: t\nmode: additive\nplanType: deltas\nmonths:\n- month: 2025-01\n  metrics: {leads: 1}\n",
            "months[0] (2025-01).metrics: unknown key 'leads'",
        ),
        (
            "tenant: t\nmode: additive\nplanType: deltas\nmonths:\n- month: 2025-1\n",
            "expected a month as YYYY-MM from 1900-01 to 2999-12, e.g. 2025-01, got '2025-1'",
        ),
        (
            "tenant: t\nmode: additive\nplanType: deltas\nmonths:\n- month: 2025-01\n  metrics: {leadsCreated: yes}\n",
            "expected a number, got a boolean",
        ),
        ("tenant: t\ntenant: u\n", "key 'tenant' appears twice"),
        ("- 1\n- 2\n", "a plan is a mapping"),
        ("tenant: [\n", "not valid YAML at line"),
        ("when: 2025-13-45\n", "not valid YAML"),
    ],
)
def test_yaml_errors_are_one_clear_line(text: str, fragment: str) -> None:
    error = outcome(parse_plan, text, "yaml")
    assert isinstance(error, PlanFormatError)
    assert fragment in str(error)


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ('{"tenant": ' + "1" * 5000 + "}", "json"),  # beyond Python's int-from-text limit
        ("[" * 100_000, "json"),
        ("[" * 100_000, "yaml"),
        ("a: &x [*x]\n", "yaml"),
        ("\x00\x01", "yaml"),
        ("month,leadsCreated\n2025-01," + "9" * 200_000 + "\n", "csv"),
        ('month,leadsCreated\n2025-01,"unterminated\n', "csv"),
    ],
)
def test_hostile_input_is_a_clear_error(text: str, fmt: str) -> None:
    assert isinstance(outcome(parse_plan, text, fmt, tenant="acme"), DemogenError)


def test_json_reads_and_refuses_duplicate_keys() -> None:
    plan = read_plan_file(FIXTURES / "valid" / "january-2025.json")
    assert plan.tolerances.value_tolerance == 0.005
    error = outcome(parse_plan, '{"tenant": "a", "tenant": "b"}', "json")
    assert isinstance(error, PlanFormatError) and "appears twice" in str(error)


def test_given_options_fill_missing_keys_and_refuse_conflicts() -> None:
    text = '{"mode": "additive", "planType": "deltas", "months": []}'
    assert read_plan_file(text, tenant="acme").tenant == "acme"
    with pytest.raises(UsageError, match="conflicts"):
        read_plan_file(text, plan_type="targets", tenant="acme")


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not found"):
        read_plan_file(tmp_path / "nope.yaml")
    with pytest.raises(UsageError, match="unknown plan format"):
        read_plan_file(tmp_path / "nope.yaml", "xml")


def test_sniffing() -> None:
    assert sniff_format('\ufeff {"a": 1}') == "json"
    assert sniff_format('"month";"leadsCreated"\n') == "csv"
    assert sniff_format("tenant: x\n") == "yaml"


# --- writing --------------------------------------------------------------------------------


def test_yaml_output_round_trips_and_references_the_schema() -> None:
    plan = read_plan_file(FIXTURES / "csv" / "excel-export.csv", tenant="acme-corp-demo")
    text = plan_to_yaml(plan, schema_ref="../plan.schema.json")
    assert text.startswith("# yaml-language-server: $schema=../plan.schema.json\n")
    assert "closedWonValue: 25000\n" in text and "activitiesCount" not in text
    assert read_plan_file(text, "yaml") == plan
    assert read_plan_file(plan_to_json(plan), "json") == plan


# --- properties: any input gives a plan or a one-line DemogenError --------------------------

PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(text=st.text(), fmt=st.sampled_from(["yaml", "json", "csv"]))
def test_any_text_in_any_format(text: str, fmt: str) -> None:
    outcome(parse_plan, text, fmt, tenant="acme")


@PROPERTY
@given(raw=st.binary(max_size=300), suffix=st.sampled_from([".yaml", ".json", ".csv", ".txt"]))
def test_any_bytes_in_any_file(raw: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"plan{suffix}"
        path.write_bytes(raw)
        outcome(read_plan_file, path, tenant="acme")


_cells = st.one_of(
    st.sampled_from(["", " ", "$", "-", "()", "1,23", "#N/A", "2025-01", "Jan 2025", "$ -", "1e400", "nan"]),
    st.integers(-(10**9), 10**9).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(0, 10**9).map(lambda n: f'"${n:,}"'),
    st.integers(0, 10**6).map(lambda n: f'" {n:,} "'),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=8),
)
_columns = st.sampled_from(["month", "Month", *(m.name for m in METRICS), "leads_created", "Closed won value", "x", ""])


@PROPERTY
@given(
    header=st.lists(_columns, min_size=1, max_size=6),
    rows=st.lists(st.lists(_cells, max_size=7), max_size=5),
    delimiter=st.sampled_from([",", ";", "\t"]),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    bom=st.booleans(),
)
def test_any_spreadsheet_csv(header: list[str], rows: list[list[str]], delimiter: str, newline: str, bom: bool) -> None:
    lines = [delimiter.join(header), *(delimiter.join(r) for r in rows)]
    text = ("\ufeff" if bom else "") + newline.join(lines) + newline
    outcome(read_csv_plan, text, tenant="acme")


def _money_cell(value: Decimal, style: int) -> str:
    if style == 0:
        return f"{value}"
    if style == 1:
        return f'"${value:,}"'
    if style == 2:
        return f'" {value:,} "'
    return f"{value:,}".replace(",", " ")


@PROPERTY
@given(
    data=st.lists(
        st.tuples(
            st.integers(0, 10**6),
            st.decimals(min_value=0, max_value=10**9, places=2),
            st.integers(0, 3),
        ),
        min_size=1,
        max_size=12,
        unique_by=lambda t: t[0],
    )
)
def test_formatted_csv_numbers_read_back_exactly(data: list[tuple[int, Decimal, int]]) -> None:
    months = [f"{2000 + i // 12}-{i % 12 + 1:02d}" for i in range(len(data))]
    lines = ["month,leadsCreated,closedWonValue"]
    for month, (count, money, style) in zip(months, data, strict=True):
        lines.append(f'{month},"{count:,}",{_money_cell(money, style)}')
    plan = read_csv_plan("\r\n".join(lines), tenant="acme")
    got = [(m.values()["leadsCreated"], m.values()["closedWonValue"]) for m in plan.months]
    assert got == [(count, money) for count, money, _ in data]


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
_plan_like = st.fixed_dictionaries(
    {},
    optional={
        "tenant": _json_values | st.just("acme"),
        "mode": st.sampled_from(["additive", "ADDITIVE", "reconcile", "x"]) | _json_values,
        "planType": st.sampled_from(["deltas", "targets", "Targets"]) | _json_values,
        "months": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "month": st.sampled_from(["2025-01", "2025-13", "25-01", ""]) | _json_values,
                    "metrics": st.dictionaries(
                        st.sampled_from([m.name for m in METRICS] + ["other"]),
                        _json_values | st.integers() | st.floats(),
                        max_size=4,
                    )
                    | _json_values,
                },
            ),
            max_size=3,
        )
        | _json_values,
        "tolerances": st.fixed_dictionaries(
            {}, optional={"countTolerance": _json_values, "valueTolerance": _json_values}
        )
        | _json_values,
        "seed": _json_values,
        "version": _json_values,
    },
)


@PROPERTY
@given(data=_plan_like | _json_values)
def test_any_json_document(data: Any) -> None:
    outcome(parse_plan, json.dumps(data), "json")


@PROPERTY
@given(data=_plan_like | _json_values)
def test_any_yaml_document(data: Any) -> None:
    outcome(parse_plan, yaml.safe_dump(data), "yaml")


_valid_plans = st.builds(
    lambda months, plan_type, seed, version: PatchPlan.model_validate(
        {
            "tenant": "acme-corp-demo",
            "mode": "additive",
            "planType": plan_type,
            "seed": seed,
            "version": version,
            "months": months,
        }
    ),
    months=st.lists(
        st.fixed_dictionaries(
            {"month": st.sampled_from(["2024-12", "2025-01", "2025-02"])},
            optional={
                "metrics": st.fixed_dictionaries(
                    {},
                    optional={
                        m.name: (
                            st.integers(-5, 10**6)
                            if m.kind == "count"
                            else st.decimals(min_value=-10, max_value=10**9, places=2)
                        )
                        for m in METRICS
                    },
                )
            },
        ),
        max_size=4,
    ),
    plan_type=st.sampled_from(["deltas", "targets"]),
    seed=st.none() | st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20),
    version=st.none() | st.integers(1, 100),
)


@PROPERTY
@given(plan=_valid_plans)
def test_written_plans_read_back_equal(plan: PatchPlan) -> None:
    assert read_plan_file(plan_to_yaml(plan), "yaml") == plan
    assert read_plan_file(plan_to_json(plan), "json") == plan


def test_dash_reads_stdin_and_sniffs_the_format(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    raw = '\ufeffmonth,leadsCreated\r\n2025-01,"1,000"\r\n'.encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    plan = read_plan_file("-", tenant="acme")
    assert plan.months[0].values()["leadsCreated"] == 1000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "month,leadsCreated,bogus\n2025-01,1,2\n",
            "plan.csv: row 1, column 3: unknown column 'bogus' (expected month and any of "
            + ", ".join(m.name for m in METRICS)
            + ")",
        ),
        (
            "month,Leads,leads_created\n2025-01,5,6\n",
            "plan.csv: row 1, column 3: column 'leads_created' appears twice",
        ),
        (
            "month,leadsCreated,pipelineAddedValue\n2025-01,abc,5\n",
            "plan.csv: row 2, column leadsCreated: 'abc' is not a number",
        ),
    ],
)
def test_csv_file_errors_name_the_file_and_the_column(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(text, encoding="utf-8")
    error = outcome(read_plan_file, path, tenant="acme")
    assert isinstance(error, PlanFormatError)
    assert str(error) == message.replace("plan.csv", str(path))


def test_csv_file_that_is_no_valid_plan_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text("month,leadsCreated\n2025-01,5\n", encoding="utf-8")
    error = outcome(read_plan_file, path, tenant="acme", mode="sideways")
    assert isinstance(error, PlanFormatError)
    assert str(error) == f"{path}: not a valid plan: mode: Input should be 'additive' or 'reconcile'"

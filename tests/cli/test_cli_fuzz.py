"""Fuzzing the CLI's arguments on real databases: every outcome is success or one `error:` line, never a crash."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rich.console import Console

from flows.cli import output
from flows.cli.main import main
from flows.store import open_store
from tests.helpers import insert_rows, insert_tenant, table_digest
from tests.plan.fuzzing import any_text, plan_texts

# Few examples per command and backend keep the module well under a minute on both backends.
CLI_FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Values a person or a script passes by mistake; any_text adds the rest (unicode, control characters).
_odd = st.sampled_from(
    [
        "",
        " ",
        "-",
        "x" * 5000,
        "a\x00b",
        "a\nb",
        "\r",
        "\udcff",  # a byte that is not UTF-8, as Python passes it in argv
        "[red]x[/]",
        "[/]",
        "%s%s",
        "{0}",
        "../../../../tmp/evil",
        "/etc/passwd",
        "ZZZZ",
        "é" * 300,
        "acme-corp-demo",
        "00000000-0000-4000-8000-000000000001",
    ]
)
_text = _odd | any_text
_month = (
    st.sampled_from(["2024-01", "2024-06", "2025-01", "2099-01", "0000-01", "1900-01", "2999-12", "9999-12", "2025-13"])
    | st.from_regex(r"\A\d{4}-\d{2}\Z")
    | _text
)
_optional = st.none() | _text

tried = itertools.count()


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in-process, as wide as a real terminal so no line wraps."""
    output.console = Console(width=250)
    output.err_console = Console(width=250, stderr=True)
    next(tried)
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean(code: int, err: str, args: list[str]) -> None:
    """Success, or a one-line error naming no internal error; never a traceback."""
    assert "Traceback" not in err, (args, err)
    if code == 0:
        return
    lines = err.strip().splitlines()
    assert code in (1, 2), (args, code, err)
    assert len(lines) == 1 and lines[0].startswith("error:"), (args, err)
    assert "internal error" not in err, (args, err)


def with_options(args: list[str], options: dict[str, str | None]) -> list[str]:
    for name, value in options.items():
        if value is not None:
            args += [name, value]
    return args


@pytest.fixture
def fuzz_db(database_url: str) -> Iterator[str]:
    """A demo tenant with one lead in 2025-01 (the plans' tenant), and a tenant that is not demo-generated."""
    with open_store(database_url) as store:
        tenant = insert_tenant(store, slug="acme-corp-demo", name="Acme Corp Demo")
        insert_tenant(store, slug="realco", demo_generated=False)
        insert_rows(
            store,
            "contacts",
            [{"tenant_id": tenant.id, "status": "lead", "created_at": datetime(2025, 1, 5, 10, tzinfo=UTC)}],
        )
    yield database_url


def _digest(url: str) -> str:
    with open_store(url) as store:
        return table_digest(store)


@CLI_FUZZ
@given(tenant=_text, first=st.none() | _month, last=st.none() | _month, as_json=st.booleans())
def test_kpis_arguments(
    fuzz_db: str, capsys: pytest.CaptureFixture[str], tenant: str, first: str | None, last: str | None, as_json: bool
) -> None:
    args = with_options(["--database", fuzz_db, "kpis", tenant], {"--from": first, "--to": last})
    code, _, err = run(args + (["--json"] if as_json else []), capsys)
    assert_clean(code, err, args)


@CLI_FUZZ
@given(
    case=plan_texts,
    suffix=st.sampled_from([".yaml", ".json", ".csv", ""]),
    tenant=_optional,
    mode=_optional,
    plan_type=_optional,
    as_json=st.booleans(),
)
def test_validate_arguments(
    fuzz_db: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: tuple[str, str],
    suffix: str,
    tenant: str | None,
    mode: str | None,
    plan_type: str | None,
    as_json: bool,
) -> None:
    plan = tmp_path / f"plan{suffix}"
    plan.write_text(case[1], encoding="utf-8")
    options = {"--tenant": tenant, "--mode": mode, "--plan-type": plan_type}
    args = with_options(["--database", fuzz_db, "validate", str(plan)], options) + (["--json"] if as_json else [])
    code, _, err = run(args, capsys)
    assert_clean(code, err, args)


@CLI_FUZZ
@given(plan=_text, tenant=_optional)
def test_validate_plan_argument(
    fuzz_db: str, capsys: pytest.CaptureFixture[str], plan: str, tenant: str | None
) -> None:
    """PLAN itself fuzzed: a missing path, a directory, plan text, a NUL byte."""
    assume(plan != "-")  # '-' reads the plan from stdin, which pytest holds captured
    args = with_options(["--database", fuzz_db, "validate", plan], {"--tenant": tenant})
    code, _, err = run(args, capsys)
    assert_clean(code, err, args)


@CLI_FUZZ
@given(case=plan_texts, tenant=_text, mode=_optional, plan_type=_optional, to_file=st.booleans())
def test_plan_from_csv_arguments(
    fuzz_db: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: tuple[str, str],
    tenant: str,
    mode: str | None,
    plan_type: str | None,
    to_file: bool,
) -> None:
    plan = tmp_path / "plan.csv"
    plan.write_text(case[1], encoding="utf-8")
    options = {"--tenant": tenant, "--mode": mode, "--plan-type": plan_type}
    options["-o"] = str(tmp_path / "out.yaml") if to_file else None
    args = with_options(["--database", fuzz_db, "plan", "from-csv", str(plan)], options)
    code, _, err = run(args, capsys)
    assert_clean(code, err, args)


@CLI_FUZZ
@given(
    tenant=_text,
    first=_month,
    months=st.integers(-5, 200).map(str) | _text,
    pct=st.sampled_from(["10", "10%", "-100", "1000", "1e999999999", "NaN", "-0"]) | _text,
    base=_optional | _month,
    seed=_optional,
)
def test_plan_grow_arguments(
    fuzz_db: str,
    capsys: pytest.CaptureFixture[str],
    tenant: str,
    first: str,
    months: str,
    pct: str,
    base: str | None,
    seed: str | None,
) -> None:
    options = {"--tenant": tenant, "--from": first, "--months": months, "--pct": pct, "--base": base, "--seed": seed}
    args = with_options(["--database", fuzz_db, "plan", "grow"], options)
    code, _, err = run(args, capsys)
    assert_clean(code, err, args)


@CLI_FUZZ
@given(
    name=_text,
    slug=_optional,
    first=_month,
    last=_month,
    template=st.none() | st.sampled_from(["steady-growth", "seasonal"]) | _text,
    seed=_optional,
    timezone=st.none() | st.sampled_from(["UTC", "America/New_York", "Mars/Base", "../../etc/passwd"]) | _text,
    locale=st.none() | st.sampled_from(["en_US", "de_DE", "xx_XX"]) | _text,
    currency=st.none() | st.sampled_from(["USD", "eur", "ZZZZ", "US", "€€€"]) | _text,
)
def test_tenant_create_arguments(
    fuzz_db: str,
    capsys: pytest.CaptureFixture[str],
    name: str,
    slug: str | None,
    first: str,
    last: str,
    template: str | None,
    seed: str | None,
    timezone: str | None,
    locale: str | None,
    currency: str | None,
) -> None:
    options = {
        "--name": name,
        "--slug": slug,
        "--from": first,
        "--to": last,
        "--template": template,
        "--seed": seed,
        "--timezone": timezone,
        "--locale": locale,
        "--currency": currency,
    }
    before = _digest(fuzz_db)
    args = with_options(["--database", fuzz_db, "tenant", "create", "--json"], options)
    code, _, err = run(args, capsys)
    assert_clean(code, err, args)
    if code == 2:  # a usage error changes nothing
        assert _digest(fuzz_db) == before, args


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["kpis", "acme-corp-demo", "--from", "1900-01", "--to", "2999-12"],
            2,
            "error: --from 1900-01 to --to 2999-12 spans 13,200 months: at most 1,200 months at a time",
        ),
        (
            ["kpis", "acme-corp-demo", "--from", "0000-01", "--to", "2025-01"],
            2,
            "error: Invalid value for '--from': '0000-01' is not a valid month: "
            "expected YYYY-MM from 1900-01 to 2999-12, e.g. 2025-01",
        ),
        (
            ["kpis", "acme\x00corp"],
            1,
            "error: unknown tenant 'acme\\x00corp': no tenant has that id or slug (see `demogen tenants --all`)",
        ),
        (
            ["tenant", "create", "--name", "X", "--from", "2024-01", "--to", "2024-02", "--currency", "ZZZZ"],
            2,
            "error: currency 'ZZZZ' is not valid: use a 3-letter ISO 4217 code such as USD or EUR",
        ),
        (
            ["tenant", "create", "--name", "X\x00", "--from", "2024-01", "--to", "2024-02"],
            2,
            "error: --name 'X\\x00' holds the control character U+0000: use printable characters",
        ),
        (
            ["tenant", "create", "--name", "X", "--from", "2024-01", "--to", "2024-02", "--template", "../../x"],
            2,
            "error: unknown template '../../x': choose one of seasonal, steady-growth",
        ),
    ],
)
def test_refusals_are_the_same_line_on_both_backends(
    fuzz_db: str, capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    before = _digest(fuzz_db)
    exit_code, _, err = run(["--database", fuzz_db, *args], capsys)
    assert exit_code == code
    assert err.strip().splitlines() == [message]
    assert _digest(fuzz_db) == before


def test_zz_the_fuzzing_ran_the_cli_many_times() -> None:
    """Runs last in this module: the commands above really ran, once per example."""
    count = next(tried)
    print(f"CLI invocations fuzzed: {count}")
    assert count >= 6 * 80

"""Creating a demo tenant: any display name, quotes included, on both backends; what a row cannot hold is refused."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.engine.demo_tenants import create_demo_tenant
from flows.plan.templates import TEMPLATES_DIR
from flows.store import Store
from generators.errors import UsageError
from tests.helpers import table_digest


def test_a_name_with_double_quotes_is_stored_whole(store: Store) -> None:
    created = create_demo_tenant(
        store,
        name='Acme "Quoted" Demo',
        first="2024-11",
        last="2024-12",
        seed="q",
        now=datetime(2025, 1, 15, tzinfo=UTC),
    )
    assert created.patch_job.status == "completed"
    assert (created.tenant.name, created.tenant.slug) == ('Acme "Quoted" Demo', "acme-quoted-demo")
    params = store.scalar("SELECT params_json FROM demo_generation_jobs WHERE id = ?", (created.generation_job_id,))
    params = json.loads(params) if isinstance(params, str) else params
    assert params == {"name": 'Acme "Quoted" Demo', "timezone": "UTC", "locale": "en_US", "currency": "USD"}
    status = store.scalar("SELECT status FROM demo_generation_jobs WHERE id = ?", (created.generation_job_id,))
    assert status == "completed"


NOW = datetime(2025, 1, 15, tzinfo=UTC)
LONG = "a" * 39 + "…"
PRINTABLE = "use printable characters"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"currency": "ZZZZ"}, "currency 'ZZZZ' is not valid: use a 3-letter ISO 4217 code such as USD or EUR"),
        ({"currency": "us"}, "currency 'us' is not valid: use a 3-letter ISO 4217 code such as USD or EUR"),
        ({"name": "a" * 5000}, f"--name '{LONG}' is 5,000 characters long: at most 200"),
        ({"slug": "a" * 500}, f"slug '{LONG}' is 500 characters long: at most 100"),
        ({"name": "Acme\x00Demo"}, f"--name 'Acme\\x00Demo' holds the control character U+0000: {PRINTABLE}"),
        ({"name": "Acme\nDemo"}, f"--name 'Acme\\nDemo' holds the control character U+000A: {PRINTABLE}"),
        ({"seed": "s" * 65}, f"--seed '{'s' * 39}…' is 65 characters long: at most 64"),
        ({"timezone": "x" * 65}, f"timezone '{'x' * 39}…' is 65 characters long: at most 64"),
        ({"first": "2014-12"}, "--from 2014-12 to --to 2024-12 spans 121 months: at most 120 at a time"),
        (
            {"template": "../../../../tmp/evil"},
            "unknown template '../../../../tmp/evil': choose one of seasonal, steady-growth",
        ),
    ],
)
def test_arguments_the_tenant_row_cannot_hold_are_refused_alike_and_write_nothing(
    store: Store, arguments: dict[str, str], message: str
) -> None:
    """PostgreSQL would refuse these with its own errors and DuckDB store them: both refuse them first."""
    before = table_digest(store)
    given = {"name": "Acme Demo", "first": "2024-11", "last": "2024-12", "seed": "q"} | arguments
    with pytest.raises(UsageError) as info:
        create_demo_tenant(store, now=NOW, **given)  # type: ignore[arg-type]
    assert str(info.value) == message
    assert table_digest(store) == before


def test_a_template_is_a_name_never_a_path(store: Store, tmp_path: Path) -> None:
    """A yaml file outside plans/templates/ is never read, even where it exists and is a template."""
    outside = tmp_path / "evil.yaml"
    outside.write_text((TEMPLATES_DIR / "steady-growth.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    relative = os.path.relpath(outside.with_suffix(""), TEMPLATES_DIR)
    for name in (relative, str(outside.with_suffix(""))):
        with pytest.raises(UsageError) as info:
            create_demo_tenant(store, name="Evil", first="2024-12", last="2024-12", template=name, now=NOW)
        assert str(info.value) == f"unknown template {name!r}: choose one of seasonal, steady-growth"
    assert store.scalar("SELECT count(*) FROM tenants") == 0


def test_a_long_name_gets_a_slug_that_fits(store: Store) -> None:
    created = create_demo_tenant(store, name="Acme " * 40, first="2024-12", last="2024-12", seed="q", now=NOW)
    assert created.tenant.slug == ("acme-" * 20).strip("-")
    assert created.patch_job.status == "completed"

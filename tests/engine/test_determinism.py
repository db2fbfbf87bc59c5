"""Same arguments and seed on two fresh databases give identical tenants and rows, ids included."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from flows.engine import steps
from flows.engine.demo_tenants import create_demo_tenant
from flows.engine.run import apply_plan
from flows.kpis.reads import monthly_kpis
from flows.plan.templates import load_template, month_metrics
from flows.store import Store, open_store
from flows.store.schema import draft_table
from generators import ENTITIES, SCHEMAS, conform, generate_plan
from generators.errors import DemogenError, UsageError
from tests.conftest import fresh_database_url
from tests.engine.plans import EXAMPLE_MONTHS, NOW, make_plan

TABLES = ("tenants", "users", "pipeline_stages", "companies", "contacts", "deals", "activities")


def _rows(store: Store) -> dict[str, list[dict]]:
    return {
        t: [{k: str(v) for k, v in r.items()} for r in store.query(f"SELECT * FROM {t} ORDER BY id")] for t in TABLES
    }


def _make_tenant(url: str) -> dict[str, list[dict]]:
    with open_store(url) as store:
        created = create_demo_tenant(
            store,
            name="Seeded Demo",
            first="2025-01",
            last="2025-02",
            template="seasonal",
            seed="42",
            timezone="Europe/Berlin",
            locale="de_DE",
            now=NOW,
        )
        assert created.patch_job.status == "completed", created.patch_job.error_message
        plan = make_plan(
            {
                "2025-03": {
                    "leadsCreated": 12,
                    "contactsCreated": 9,
                    "dealsCreated": 4,
                    "closedWonCount": 1,
                    "closedWonValue": 9000,
                    "pipelineAddedValue": 20000,
                }
            },
            tenant="seeded-demo",
            seed="7",
        )
        assert apply_plan(store, plan, as_of=NOW).status == "completed"
        return _rows(store)


def test_same_seed_gives_identical_databases(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    first = _make_tenant(fresh_database_url(backend, request, tmp_path))
    second = _make_tenant(fresh_database_url(backend, request, tmp_path))
    assert all(first[t] for t in TABLES)
    assert first == second


def test_tenant_create_fills_every_month_from_the_template(store: Store) -> None:
    created = create_demo_tenant(
        store, name="Holiday Co", first="2024-10", last="2025-01", template="seasonal", seed="s", now=NOW
    )
    tenant = created.tenant
    assert tenant.demo_generated and tenant.slug == "holiday-co"
    assert tenant.created_at.isoformat().startswith("2024-10-01")
    job = created.patch_job
    assert job.status == "completed" and job.original_job_id == created.generation_job_id
    generation = store.query_one(
        "SELECT status, template, seed FROM demo_generation_jobs WHERE id = ?", (created.generation_job_id,)
    )
    assert generation == {"status": "completed", "template": "seasonal", "seed": "s"}
    template = load_template("seasonal")
    kpis = monthly_kpis(store, tenant, "2024-10", "2025-01")
    for month, metrics in kpis.items():
        for name, value in month_metrics(template, month, "2024-10").items():
            assert metrics[name] == value, (month, name)
    # the Q4 surge and the holiday dip: November above October, December below both
    assert kpis["2024-11"]["leadsCreated"] > kpis["2024-10"]["leadsCreated"] > kpis["2024-12"]["leadsCreated"]
    stages = store.query("SELECT is_won, is_lost FROM pipeline_stages WHERE tenant_id = ?", (tenant.id,))
    assert sum(s["is_won"] for s in stages) == 1 and sum(s["is_lost"] for s in stages) == 1
    assert int(store.scalar("SELECT count(*) FROM users WHERE tenant_id = ?", (tenant.id,))) >= 2
    # later patches link to the generation job
    patch = apply_plan(store, make_plan({"2025-02": {"leadsCreated": 3}}, tenant="holiday-co"), as_of=NOW)
    assert patch.original_job_id == created.generation_job_id


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"timezone": "Mars/Olympus"}, "Mars/Olympus"),
        ({"locale": "xx_YY"}, "xx_YY"),
        ({"template": "nope"}, "nope"),
        ({"first": "2025-03", "last": "2025-01"}, "2025-03"),
        ({"last": "2099-01"}, "2099-01"),
        ({"slug": "Bad Slug"}, "Bad Slug"),
    ],
)
def test_bad_tenant_arguments_name_the_value_and_write_nothing(store: Store, kwargs: dict, named: str) -> None:
    args = {"name": "X Co", "first": "2025-01", "last": "2025-02", "now": NOW} | kwargs
    with pytest.raises(UsageError, match=named):
        create_demo_tenant(store, **args)
    assert store.scalar("SELECT count(*) FROM tenants") == 0


def test_a_taken_slug_is_refused(store: Store) -> None:
    create_demo_tenant(store, name="Twice", first="2025-01", last="2025-01", seed="a", now=NOW)
    with pytest.raises(DemogenError, match="'twice' already exists"):
        create_demo_tenant(store, name="Twice", first="2025-01", last="2025-01", seed="b", now=NOW)


def _job_rows(store: Store, tables: dict[str, str], job_id: str) -> dict[str, pl.DataFrame]:
    return {
        entity: conform(
            entity,
            store.query_frame(
                f"SELECT {', '.join(SCHEMAS[entity])} FROM {table} WHERE demo_job_id = ? ORDER BY id", (job_id,)
            ),
        )
        for entity, table in tables.items()
    }


def test_a_job_writes_and_publishes_the_rows_its_plan_generates_in_one_go(store: Store, tenant) -> None:
    """Months written while the next is generated: the same rows, ids included, as generating them all first.

    The tenant has records already, so generation also asks the store which emails, domains and
    deal names are taken while the writer holds its connection.
    """
    assert apply_plan(store, make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]}), as_of=NOW).status == "completed"
    months = {m: EXAMPLE_MONTHS[m] | {"activitiesCount": 40 + n} for n, m in enumerate(("2025-02", "2025-03"))}
    plan = make_plan(months, seed="s2")
    prepared = steps.prepare(store, plan, as_of=NOW)
    expected = generate_plan(
        [(m, prepared.validation.created[m]) for m in prepared.months],
        steps.generation_context(store, prepared),
        as_of=prepared.as_of,
        job_id=prepared.job_id,
        seed=prepared.seed,
        companies_available=prepared.companies_existing,
    )
    drafted: dict[str, pl.DataFrame] = {}

    def keep_drafts(store: Store, job) -> None:
        drafted.update(_job_rows(store, {e: draft_table(e) for e in ENTITIES}, job.id))

    job = apply_plan(store, plan, as_of=NOW, hooks={"after_write": keep_drafts})

    assert job.status == "completed" and job.id == prepared.job_id
    published = _job_rows(store, {e: e for e in ENTITIES}, job.id)
    for entity, frame in expected:
        assert frame.height > 0
        assert_frame_equal(drafted[entity], frame.sort("id"))
        assert_frame_equal(published[entity], frame.sort("id"))

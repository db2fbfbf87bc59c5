"""Same inputs, same rows; another seed, other rows; ids follow (job, entity, ordinal) across a plan."""

from __future__ import annotations

import uuid

import polars as pl
import pytest

from generators import ENTITIES, generate_month, generate_plan
from tests.generators.checks import AS_OF, EXAMPLE_JANUARY, JOB, existing_tenant, mean, reference_id

PLAN = [("2025-01", EXAMPLE_JANUARY), ("2025-02", {**EXAMPLE_JANUARY, "activitiesCount": 120})]


@pytest.fixture(scope="module")
def ctx():
    return existing_tenant()


def test_identical_inputs_give_identical_frames(ctx):
    first = generate_plan(PLAN, ctx, as_of=AS_OF, job_id=JOB, seed="alpha")
    again = generate_plan(PLAN, ctx, as_of=AS_OF, job_id=JOB, seed="alpha")
    for (entity, a), (_, b) in zip(first, again, strict=True):
        assert a.equals(b), entity


def test_another_seed_gives_other_data(ctx):
    first = generate_plan(PLAN, ctx, as_of=AS_OF, job_id=JOB, seed="alpha")
    other = generate_plan(PLAN, ctx, as_of=AS_OF, job_id=JOB, seed="beta")
    assert first.counts() == other.counts()
    for column in ("email", "first_name", "created_at"):
        same = mean(first.contacts[column] == other.contacts[column])
        assert same < 0.2, column
    assert not first.deals["value"].equals(other.deals["value"])
    assert not first.companies["name"].equals(other.companies["name"])


def test_another_tenant_with_the_same_seed_gets_other_names():
    one = generate_month("2025-01", EXAMPLE_JANUARY, existing_tenant(), as_of=AS_OF, job_id=JOB, seed=1)
    two = generate_month(
        "2025-01", EXAMPLE_JANUARY, existing_tenant(tenant_id=str(uuid.uuid4())), as_of=AS_OF, job_id=JOB, seed=1
    )
    assert mean(one.contacts["last_name"] != two.contacts["last_name"]) > 0.8


def test_ids_come_from_job_entity_and_ordinal_unique_across_the_plan(ctx):
    frames = generate_plan(PLAN, ctx, as_of=AS_OF, job_id=JOB, seed="alpha")
    job = uuid.UUID(JOB)
    for entity, frame in frames:
        expected = {reference_id(job, entity, i) for i in range(frame.height)}
        assert set(frame["id"]) == expected, entity
    # Within a month, ordinals follow creation time.
    january = frames.contacts.filter(pl.col("demo_source_month") == "2025-01")
    ordinals = {reference_id(job, "contacts", i): i for i in range(january.height)}
    assert january.sort("created_at")["id"].replace_strict(ordinals).is_sorted()


def test_ordinal_start_shifts_ids(ctx):
    frames = generate_month(
        "2025-01", EXAMPLE_JANUARY, ctx, as_of=AS_OF, job_id=JOB, seed=1, ordinal_start={"deals": 100}
    )
    job = uuid.UUID(JOB)
    assert set(frames.deals["id"]) == {reference_id(job, "deals", i) for i in range(100, 108)}
    assert set(frames.companies["id"]) == {reference_id(job, "companies", i) for i in range(10)}


def test_entity_frames_iterate_and_count(ctx):
    frames = generate_month("2025-01", EXAMPLE_JANUARY, ctx, as_of=AS_OF, job_id=JOB, seed=1)
    assert [entity for entity, _ in frames] == list(ENTITIES)
    assert frames.counts() == {"companies": 10, "contacts": 90, "deals": 8, "activities": 80}
    assert frames.records == 188

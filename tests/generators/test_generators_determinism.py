"""Same inputs, same rows; another seed, other rows; ids are uuid5(job, entity:ordinal)."""

from __future__ import annotations

import uuid

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generators import ENTITIES, generate_month, generate_plan
from generators.ids import uuid5_range
from tests.generators.checks import AS_OF, EXAMPLE_JANUARY, JOB, existing_tenant, mean

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


def test_ids_are_uuid5_of_job_entity_and_ordinal_unique_across_the_plan(ctx):
    frames = generate_plan(PLAN, ctx, as_of=AS_OF, job_id=JOB, seed="alpha")
    namespace = uuid.UUID(JOB)
    for entity, frame in frames:
        expected = {str(uuid.uuid5(namespace, f"{entity}:{i}")) for i in range(frame.height)}
        assert set(frame["id"]) == expected, entity
    # Within a month, ordinals follow creation time.
    january = frames.contacts.filter(pl.col("demo_source_month") == "2025-01")
    ordinals = {str(uuid.uuid5(namespace, f"contacts:{i}")): i for i in range(january.height)}
    assert january.sort("created_at")["id"].replace_strict(ordinals).is_sorted()


def test_ordinal_start_shifts_ids(ctx):
    frames = generate_month(
        "2025-01", EXAMPLE_JANUARY, ctx, as_of=AS_OF, job_id=JOB, seed=1, ordinal_start={"deals": 100}
    )
    expected = {str(uuid.uuid5(uuid.UUID(JOB), f"deals:{i}")) for i in range(100, 108)}
    assert set(frames.deals["id"]) == expected
    assert set(frames.companies["id"]) == {str(uuid.uuid5(uuid.UUID(JOB), f"companies:{i}")) for i in range(10)}


def test_entity_frames_iterate_and_count(ctx):
    frames = generate_month("2025-01", EXAMPLE_JANUARY, ctx, as_of=AS_OF, job_id=JOB, seed=1)
    assert [entity for entity, _ in frames] == list(ENTITIES)
    assert frames.counts() == {"companies": 10, "contacts": 90, "deals": 8, "activities": 80}
    assert frames.records == 188


@settings(max_examples=30, deadline=None)
@given(start=st.integers(0, 10**9), n=st.integers(0, 3000), entity=st.sampled_from(ENTITIES))
def test_bulk_ids_match_the_uuid_module(start, n, entity):
    namespace = uuid.uuid4()
    ids = uuid5_range(namespace, entity, start, n)
    assert ids.to_list() == [str(uuid.uuid5(namespace, f"{entity}:{i}")) for i in range(start, start + n)]

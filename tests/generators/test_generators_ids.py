"""Record ids: the scheme documented in generators/ids.py, pinned, and unique."""

from __future__ import annotations

import uuid

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generators import ENTITIES
from generators.ids import BLOCK, IdMinter, id_range
from tests.generators.checks import JOB, reference_id

# Published records carry these ids: if one changes, the scheme changed (a library upgrade,
# an edit to generators/ids.py) and a retried job would no longer recognise its own rows.
PINNED = [
    ("companies", 0, "2f370477-6529-8739-85a4-0360d7c4a086"),
    ("contacts", 0, "f2775ff0-bb5f-81a8-bd49-849a064f0047"),
    ("contacts", 1, "76486f87-fb96-82ad-a4ed-726baae22fea"),
    ("contacts", 1023, "bca3bee4-7550-84c2-958a-8cb801e7c0bb"),
    ("contacts", 1024, "80ace126-8dcd-898d-b6ef-6bdac5675e7c"),
    ("deals", 7, "3652deed-583f-81f1-a51b-9dc351e2c34c"),
    ("activities", 1_000_000, "64052c32-ee0d-8d5d-9fcb-8502d917b5ac"),
]


@pytest.mark.parametrize(("entity", "ordinal", "expected"), PINNED)
def test_known_ids_never_change(entity, ordinal, expected):
    assert id_range(uuid.UUID(JOB), entity, ordinal, 1).to_list() == [expected]
    assert reference_id(uuid.UUID(JOB), entity, ordinal) == expected


def test_ids_are_version_8_rfc_variant_canonical_strings():
    ids = id_range(uuid.UUID(JOB), "contacts", 0, 5000)
    parsed = [uuid.UUID(text) for text in ids]
    assert {u.version for u in parsed} == {8}
    assert {u.variant for u in parsed} == {uuid.RFC_4122}
    assert ids.to_list() == [str(u) for u in parsed]
    assert ids.dtype == pl.String


@settings(max_examples=30, deadline=None)
@given(start=st.integers(0, 10**9), n=st.integers(0, 3000), entity=st.sampled_from(ENTITIES))
def test_bulk_ids_follow_the_scheme(start, n, entity):
    job = uuid.uuid4()
    assert id_range(job, entity, start, n).to_list() == [reference_id(job, entity, i) for i in range(start, start + n)]


def test_a_range_is_the_same_slice_of_the_ordinals_wherever_it_starts():
    job = uuid.UUID(JOB)
    whole = id_range(job, "deals", 0, 5 * BLOCK)
    for start, n in ((0, 1), (BLOCK - 3, 7), (BLOCK, BLOCK), (2 * BLOCK + 5, 2 * BLOCK + 1)):
        assert id_range(job, "deals", start, n).equals(whole.slice(start, n)), (start, n)


def test_ids_are_unique_across_entities_ordinals_and_jobs():
    jobs = [uuid.UUID(JOB), uuid.uuid4()]
    ids = pl.concat([id_range(job, entity, 0, 60_000) for job in jobs for entity in ENTITIES])
    assert ids.len() == 480_000
    assert ids.n_unique() == 480_000


def test_the_job_entity_and_ordinal_each_change_the_id():
    job = uuid.UUID(JOB)
    base = reference_id(job, "contacts", 5)
    assert reference_id(uuid.UUID(int=job.int ^ 1), "contacts", 5) != base
    assert reference_id(job, "contact", 5) != base
    assert reference_id(job, "contacts", 5 + BLOCK) != base


def test_a_negative_range_is_refused():
    with pytest.raises(ValueError) as error:
        id_range(uuid.UUID(JOB), "deals", -1, 3)
    assert str(error.value) == "ordinals start at 0: got start -1, count 3"


def test_the_minter_mints_each_entity_once_from_its_start():
    minter = IdMinter(JOB, {"deals": 3, "contacts": 0}, {"deals": 100})
    first = minter.ids("deals")
    assert first.to_list() == [reference_id(uuid.UUID(JOB), "deals", i) for i in (100, 101, 102)]
    assert minter.ids("deals") is first
    assert minter.ids("contacts").to_list() == []

"""Write and publish: generated frames wait in staged_* tables until their audit passes."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from flows.store.base import Store
from generators.frames import ENTITIES, SCHEMAS

# Parents before children, so a published row never points at one not yet there.
PUBLISH_ORDER = ENTITIES


def write_drafts(store: Store, frames: Iterable[tuple[str, pl.DataFrame]]) -> dict[str, int]:
    """Bulk-load each entity frame into its staging table, all in one transaction."""
    counts: dict[str, int] = {}
    with store.transaction():
        for entity, frame in frames:
            counts[entity] = store.load_frame(f"staged_{entity}", frame.select(list(SCHEMAS[entity])))
    return counts


def staged_counts(store: Store, job_id: str) -> dict[str, int]:
    return {
        entity: int(store.scalar(f"SELECT count(*) AS n FROM staged_{entity} WHERE demo_job_id = ?", (job_id,)))
        for entity in ENTITIES
    }


def publish_drafts(store: Store, job_id: str) -> dict[str, int]:
    """Copy a job's staged rows into the CRM tables and drop them from staging (call inside a transaction)."""
    moved: dict[str, int] = {}
    for entity in PUBLISH_ORDER:
        columns = ", ".join(SCHEMAS[entity])
        store.execute(
            f"INSERT INTO {entity} ({columns}) SELECT {columns} FROM staged_{entity} WHERE demo_job_id = ?",
            (job_id,),
        )
        moved[entity] = int(store.scalar(f"SELECT count(*) AS n FROM {entity} WHERE demo_job_id = ?", (job_id,)))
        store.execute(f"DELETE FROM staged_{entity} WHERE demo_job_id = ?", (job_id,))
    return moved


def discard_drafts(store: Store, job_id: str) -> None:
    """Remove whatever a job left in staging (a failed or retried job starts clean)."""
    with store.transaction():
        for entity in reversed(PUBLISH_ORDER):
            store.execute(f"DELETE FROM staged_{entity} WHERE demo_job_id = ?", (job_id,))

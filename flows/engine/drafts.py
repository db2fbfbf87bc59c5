"""Write and publish: a job's generated rows wait in the draft_* tables until their audit passes."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from flows.store.base import Store
from flows.store.schema import draft_table
from generators.frames import ENTITIES, SCHEMAS

# Parents before children, so a published row never points at one not yet there.
PUBLISH_ORDER = ENTITIES


def write_drafts(store: Store, frames: Iterable[tuple[str, pl.DataFrame]]) -> dict[str, int]:
    """Bulk-load each entity frame into its draft table, all in one transaction."""
    counts: dict[str, int] = {}
    with store.transaction():
        for entity, frame in frames:
            counts[entity] = store.load_frame(draft_table(entity), frame.select(list(SCHEMAS[entity])))
    return counts


def publish_drafts(store: Store, job_id: str) -> dict[str, int]:
    """Copy a job's drafts into the CRM tables and delete them from the drafts (call inside a transaction).

    Returns the rows each INSERT reported. Other jobs' drafts may sit in the same tables (another
    tenant's job): only this job's rows move, and a TRUNCATE would take theirs too.
    """
    published: dict[str, int] = {}
    for entity in PUBLISH_ORDER:
        columns = ", ".join(SCHEMAS[entity])
        published[entity] = store.execute(
            f"INSERT INTO {entity} ({columns}) SELECT {columns} FROM {draft_table(entity)} WHERE demo_job_id = ?",
            (job_id,),
        )
        store.execute(f"DELETE FROM {draft_table(entity)} WHERE demo_job_id = ?", (job_id,))
    return published


def discard_drafts(store: Store, job_id: str) -> None:
    """Delete whatever drafts a job left (a failed or retried job starts clean)."""
    with store.transaction():
        for entity in reversed(PUBLISH_ORDER):
            store.execute(f"DELETE FROM {draft_table(entity)} WHERE demo_job_id = ?", (job_id,))

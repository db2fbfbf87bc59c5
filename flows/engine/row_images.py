"""Before-images: what each row a job modifies or soft-deletes looked like, so that its revert restores it exactly."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flows.store.base import Store
from flows.store.schema import ROW_IMAGES
from generators.frames import COLUMNS, ENTITIES

# What a job did to a row it did not create.
MODIFY = "modify"
DELETE = "delete"


def _row_json(store: Store, alias: str) -> str:
    """The whole row of table alias `alias` as JSON (every value as its text or number)."""
    return f"to_json({alias})" if store.backend == "duckdb" else f"to_jsonb({alias})"


def keep_images(store: Store, job_id: str, entity: str, ids: Sequence[str], action: str) -> int:
    """Keep the current version of rows `ids` of `entity` as the job's before-images.

    Call inside the transaction that changes them, before changing them. A row the job imaged
    already keeps its first image: that is the state a revert must return to.
    """
    if not ids:
        return 0
    return store.execute(
        f"INSERT INTO {ROW_IMAGES} (job_id, entity, row_id, action, before_json) "
        f"SELECT ?, ?, e.id, ?, {_row_json(store, 'e')} FROM {entity} AS e "
        "WHERE e.id IN (SELECT unnest(?::UUID[])) "
        f"AND NOT EXISTS (SELECT 1 FROM {ROW_IMAGES} AS i WHERE i.job_id = ? AND i.entity = ? AND i.row_id = e.id)",
        (job_id, entity, action, sorted(ids), job_id, entity),
    )


def restore_images(store: Store, job_id: str, at: datetime) -> dict[str, int]:
    """Put back every row the job modified or soft-deleted as its image says, and mark the images restored.

    Call inside a transaction. Returns the rows restored per entity.
    """
    restored: dict[str, int] = {}
    for entity in ENTITIES:
        assignments = ", ".join(
            f"{c.name} = CAST(i.before_json->>'{c.name}' AS {c.sql})" for c in COLUMNS[entity] if not c.key
        )
        restored[entity] = store.execute(
            f"UPDATE {entity} SET {assignments} FROM {ROW_IMAGES} AS i "
            f"WHERE i.job_id = ? AND i.entity = ? AND i.restored_at IS NULL AND {entity}.id = i.row_id",
            (job_id, entity),
        )
    store.execute(
        f"UPDATE {ROW_IMAGES} SET restored_at = ? WHERE job_id = ? AND restored_at IS NULL",
        (at, job_id),
    )
    return restored


def later_changes(store: Store, job_id: str) -> list[tuple[str, str, int]]:
    """Jobs that changed, after this one, rows it created or changed (and were not reverted): (job, entity, rows)."""
    found: list[tuple[str, str, int]] = []
    for entity in ENTITIES:
        rows = store.query(
            f"SELECT i.job_id AS job, count(*) AS n FROM {ROW_IMAGES} AS i JOIN {entity} AS e ON e.id = i.row_id "
            "WHERE i.entity = ? AND e.demo_job_id = ? AND i.job_id <> ? AND i.restored_at IS NULL "
            "GROUP BY i.job_id ORDER BY i.job_id",
            (entity, job_id, job_id),
        )
        found += [(str(r["job"]), entity, int(r["n"])) for r in rows]
    rows = store.query(
        f"SELECT later.job_id AS job, later.entity AS entity, count(*) AS n FROM {ROW_IMAGES} AS later "
        f"JOIN {ROW_IMAGES} AS mine ON mine.entity = later.entity AND mine.row_id = later.row_id "
        "WHERE mine.job_id = ? AND mine.restored_at IS NULL AND later.job_id <> ? AND later.restored_at IS NULL "
        "AND later.created_at > mine.created_at GROUP BY later.job_id, later.entity ORDER BY later.job_id",
        (job_id, job_id),
    )
    return found + [(str(r["job"]), str(r["entity"]), int(r["n"])) for r in rows]


def email_clashes(store: Store, job_id: str, tenant_id: str) -> list[tuple[str | None, int]]:
    """Live contacts holding the email of a contact this job soft-deleted: (their job, count).

    A soft-deleted contact's email is free for new contacts, so undeleting it could make two.
    """
    rows = store.query(
        f"SELECT c.demo_job_id AS job, count(*) AS n FROM {ROW_IMAGES} AS i "
        "JOIN contacts AS c ON c.tenant_id = ? AND c.deleted_at IS NULL AND c.id <> i.row_id "
        "AND lower(c.email) = lower(i.before_json->>'email') "
        "WHERE i.job_id = ? AND i.entity = 'contacts' AND i.action = ? AND i.restored_at IS NULL "
        "GROUP BY c.demo_job_id ORDER BY c.demo_job_id",
        (tenant_id, job_id, DELETE),
    )
    return [(None if r["job"] is None else str(r["job"]), int(r["n"])) for r in rows]

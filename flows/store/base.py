"""The store interface: one small surface that the DuckDB and PostgreSQL stores implement."""

from __future__ import annotations

import logging
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

import polars as pl

from generators.errors import DemogenError

log = logging.getLogger(__name__)

Row = dict[str, Any]
Backend = Literal["duckdb", "postgres"]
A = TypeVar("A")
H = TypeVar("H")


def normalise(value: Any) -> Any:
    """Database values as plain Python: uuids as strings, the rest unchanged."""
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


class ConnectionLost(DemogenError):
    """The database connection broke: whatever the job held on it (its tenant lock) went with it."""


class Store(ABC):
    """A connection to the CRM database. SQL uses `?` placeholders on both backends."""

    backend: Backend
    url: str

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return the number of affected rows where known."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a query and return its rows as dicts."""

    @abstractmethod
    def query_frame(self, sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
        """Run a query and return its rows as a Polars frame (uuids as strings)."""

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together or not at all."""

    @abstractmethod
    def load_frame(self, table: str, frame: pl.DataFrame) -> int:
        """Bulk-append a frame whose columns match the table's (DuckDB: Arrow, PostgreSQL: COPY)."""

    @abstractmethod
    @contextmanager
    def tenant_lock(self, tenant_id: str, wait_seconds: float = 0.0) -> Iterator[None]:
        """Hold the one-patch-per-tenant lock (docs/ARCHITECTURE.md, Locking), waiting up to wait_seconds for it."""

    @abstractmethod
    def check_tenant_lock(self, tenant_id: str) -> None:
        """Raise unless this connection holds the tenant's lock now (publish checks it in its transaction)."""

    @abstractmethod
    def reconnect(self) -> None:
        """Open a new connection on purpose (after ConnectionLost); locks of the old one are gone."""

    @abstractmethod
    @contextmanager
    def released(self) -> Iterator[None]:
        """Let another client (dbt) use the database for a moment; reconnect afterwards."""

    @abstractmethod
    def count_rows(self, sql: str) -> int:
        """How many rows a query returns, its SQL run as written (no placeholders: dbt-compiled tests)."""

    @abstractmethod
    @contextmanager
    def session_values(self, values: dict[str, str]) -> Iterator[None]:
        """Set named text values on this connection that SQL reads back (the job a compiled test audits)."""

    def lock_tables_nowait(self, tables: Sequence[str], provided: Callable[[], bool] = lambda: True) -> bool:
        """Inside a transaction: lock `tables` against every other transaction until this one ends.

        Only if no other transaction holds any lock on them now (it never waits) and `provided()`,
        asked under the lock, says yes; otherwise nothing stays locked and the answer is False. False
        too outside a transaction, and where the backend has no table locks (DuckDB).
        """
        return False

    def companion(self) -> Store | None:
        """A second connection to the same database, for reads beside this one, or None where there is none.

        It sees what this connection committed, nothing it has not; the caller closes it. DuckDB
        has none: one process holds the file, and DuckDB spreads a query over the cores itself.
        """
        return None

    def side_by_side(self, aside: Callable[[Store], A], here: Callable[[Store], H]) -> tuple[A, H]:
        """Two reads at once: `aside` on a companion connection, on a thread of its own, `here` on this one.

        Where there is no companion, both run on this connection, `aside` first; where `aside` fails
        on the companion (its connection is not the job's), it runs again on this one after `here`.
        Only for reads of what is committed.
        """
        companion = self.companion()
        if companion is None:
            return aside(self), here(self)
        done: list[A] = []
        failed: list[Exception] = []

        def read_aside() -> None:
            try:
                done.append(aside(companion))
            except Exception as exc:  # noqa: BLE001 - read again on this connection, which raises its own errors
                failed.append(exc)

        thread = threading.Thread(target=read_aside, name="read-aside", daemon=True)
        try:
            thread.start()
            read_here = here(self)
        finally:
            if thread.ident is not None:
                thread.join()
            companion.close()
        if failed:  # logged here, not on the thread: a Prefect run's log handler needs the run's context
            log.info("a read beside the job's failed on its companion connection, read again: %s", failed[0])
        return (done[0] if done else aside(self)), read_here

    @abstractmethod
    def dbt_env(self) -> dict[str, str]:
        """Environment variables that point dbt's profiles.yml at this database."""

    @abstractmethod
    def close(self) -> None: ...

    @property
    def json_type(self) -> str:
        """Spell `CAST(? AS {store.json_type})` to write a JSON column on either backend."""
        return "JSON" if self.backend == "duckdb" else "JSONB"

    @property
    def crm_schema(self) -> str:
        return "main" if self.backend == "duckdb" else "public"

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.query_one(sql, params)
        return None if row is None else next(iter(row.values()))

    def table_exists(self, table: str, schema: str | None = None) -> bool:
        return bool(
            self.scalar(
                "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                (schema or self.crm_schema, table),
            )
        )

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

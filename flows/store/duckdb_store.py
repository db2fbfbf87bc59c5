"""The embedded DuckDB store: one file, no server."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from flows.store.base import Row, Store, normalise
from generators.errors import DemogenError

# DuckDB allows one writing process per file; within a process, one patch at a time.
_TENANT_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


class DuckDBStore(Store):
    backend = "duckdb"

    def __init__(self, url: str, path: Path) -> None:
        self.url = url
        self.path = path
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._connect()

    def _connect(self) -> None:
        if str(self.path) != ":memory:" and not self.path.parent.is_dir():
            raise DemogenError(f"cannot open {self.url}: directory {self.path.parent} does not exist")
        try:
            self._conn = duckdb.connect(str(self.path))
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            raise DemogenError(f"cannot open {self.url}: {first}") from exc
        self._conn.execute("SET TimeZone = 'UTC'")

    @property
    def conn(self) -> duckdb.DuckDBPyConnection:
        if self._conn is None:
            self._connect()
        assert self._conn is not None
        return self._conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        rows = self.conn.execute(sql, list(params)).fetchall()
        # DML answers with one row holding the count of rows it touched.
        return int(rows[0][0]) if len(rows) == 1 and len(rows[0]) == 1 and isinstance(rows[0][0], int) else -1

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self.conn.execute(sql, list(params))
        names = [d[0] for d in cursor.description or ()]
        return [{n: normalise(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()]

    def query_frame(self, sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
        # Arrow carries uuids as strings and timestamps as UTC: the shapes the generators use.
        frame = self.conn.sql(sql, params=list(params) or None).pl()
        return frame.with_columns(
            pl.col(name).dt.convert_time_zone("UTC")
            for name, dtype in frame.schema.items()
            if isinstance(dtype, pl.Datetime) and dtype.time_zone
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def load_frame(self, table: str, frame: pl.DataFrame) -> int:
        if frame.height == 0:
            return 0
        arrow = frame.to_arrow()  # noqa: F841 - referenced by name in the SQL below
        columns = ", ".join(frame.columns)
        self.conn.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM arrow")
        return frame.height

    @contextmanager
    def tenant_lock(self, tenant_id: str, wait_seconds: float = 0.0) -> Iterator[None]:
        with _LOCKS_GUARD:
            lock = _TENANT_LOCKS.setdefault(f"{self.path.resolve()}:{tenant_id}", threading.Lock())
        if not lock.acquire(timeout=max(wait_seconds, 0)):
            raise DemogenError(f"tenant {tenant_id} is being patched by another job; try again later")
        try:
            yield
        finally:
            lock.release()

    @contextmanager
    def released(self) -> Iterator[None]:
        # dbt-duckdb opens the file with its own configuration; two differently
        # configured handles on one file in one process are refused.
        self.close()
        try:
            yield
        finally:
            self._connect()

    def dbt_env(self) -> dict[str, str]:
        return {"DEMOGEN_DBT_TARGET": "duckdb", "DEMOGEN_DUCKDB_PATH": str(self.path.resolve())}

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

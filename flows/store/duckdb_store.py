"""The embedded DuckDB store: one file, no server."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from flows.store.base import ConnectionLost, Row, Store, normalise
from generators.errors import DemogenError

log = logging.getLogger(__name__)

# DuckDB allows one writing process per file; within a process, one patch per tenant at a time.
_TENANT_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
# Across processes, a job holds an exclusive flock on `<file>.job-lock` from its tenant lock to its end,
# and keeps it while it hands the file to dbt: another process waits for it rather than grab the file.
_JOB_FILES: dict[str, tuple[int, int]] = {}  # lock file -> (descriptor, jobs of this process holding it)
_POLL_SECONDS = 0.2
# Rows per append of a bulk load: one DuckDB row group, so a load holds one slice in Arrow form at a
# time (a whole 1M-row frame converted at once cost ~200 MB more at its peak) and fills whole groups.
APPEND_ROWS = 122_880


def _identifier(name: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"not a variable name: {name!r}")
    return name


def _job_lock_path(path: Path) -> str:
    return f"{path.resolve()}.job-lock"


def _flock(lock_path: str, mode: int) -> int | None:
    """A descriptor holding the flock, or None if another process holds a conflicting one."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _job_running_elsewhere(path: Path) -> bool:
    """Another process holds the file's job lock (this process's own jobs do not count)."""
    lock_path = _job_lock_path(path)
    with _LOCKS_GUARD:
        if lock_path in _JOB_FILES:
            return False
    fd = _flock(lock_path, fcntl.LOCK_SH)
    if fd is None:
        return True
    os.close(fd)
    return False


def _take_job_file(lock_path: str) -> bool:
    with _LOCKS_GUARD:
        if lock_path in _JOB_FILES:
            fd, count = _JOB_FILES[lock_path]
            _JOB_FILES[lock_path] = (fd, count + 1)
            return True
        fd_or_none = _flock(lock_path, fcntl.LOCK_EX)
        if fd_or_none is None:
            return False
        _JOB_FILES[lock_path] = (fd_or_none, 1)
        return True


def _give_job_file(lock_path: str) -> None:
    with _LOCKS_GUARD:
        fd, count = _JOB_FILES[lock_path]
        if count > 1:
            _JOB_FILES[lock_path] = (fd, count - 1)
            return
        del _JOB_FILES[lock_path]
        os.close(fd)  # closing the descriptor releases the flock


class DuckDBStore(Store):
    backend = "duckdb"

    def __init__(self, url: str, path: Path, wait_seconds: float) -> None:
        self.url = url
        self.path = path
        self.wait_seconds = wait_seconds  # how long to wait for a file another process is using
        self._held_tenants: set[str] = set()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._connect()

    def _connect(self) -> None:
        if str(self.path) != ":memory:" and not self.path.parent.is_dir():
            raise DemogenError(f"cannot open {self.url}: directory {self.path.parent} does not exist")
        deadline = time.monotonic() + self.wait_seconds
        waiting = False
        while True:
            busy = str(self.path) != ":memory:" and _job_running_elsewhere(self.path)
            if not busy:
                try:
                    self._conn = duckdb.connect(str(self.path))
                    break
                except duckdb.IOException as exc:
                    if "lock" not in str(exc).lower():
                        raise DemogenError(f"cannot open {self.url}: {str(exc).strip().splitlines()[0]}") from exc
                except duckdb.Error as exc:
                    raise DemogenError(f"cannot open {self.url}: {str(exc).strip().splitlines()[0]}") from exc
            if time.monotonic() >= deadline:
                raise DemogenError(
                    f"{self.path} is in use by another process (another job is running); "
                    f"gave up after waiting {self.wait_seconds:g} s"
                )
            if not waiting:
                log.warning("waiting for %s (another job is running)", self.path)
                waiting = True
            time.sleep(_POLL_SECONDS)
        self._conn.execute("SET TimeZone = 'UTC'")

    @property
    def conn(self) -> duckdb.DuckDBPyConnection:
        if self._conn is None:
            self._connect()
        assert self._conn is not None
        return self._conn

    def _execute(self, sql: str, params: Sequence[Any]) -> duckdb.DuckDBPyConnection:
        try:
            return self.conn.execute(sql, list(params))
        except duckdb.FatalException as exc:  # e.g. a full disk: DuckDB refuses every later statement
            first = (str(exc).strip().splitlines() or ["fatal error"])[0]
            raise ConnectionLost(f"the database {self.path} stopped working: {first}") from exc

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        rows = self._execute(sql, params).fetchall()
        # DML answers with one row holding the count of rows it touched.
        return int(rows[0][0]) if len(rows) == 1 and len(rows[0]) == 1 and isinstance(rows[0][0], int) else -1

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self._execute(sql, params)
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
        columns = ", ".join(frame.columns)
        for rows in frame.iter_slices(APPEND_ROWS):
            arrow = rows.to_arrow()  # noqa: F841 - referenced by name in the SQL below
            self.conn.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM arrow")
        return frame.height

    @contextmanager
    def tenant_lock(self, tenant_id: str, wait_seconds: float = 0.0) -> Iterator[None]:
        with _LOCKS_GUARD:
            lock = _TENANT_LOCKS.setdefault(f"{self.path.resolve()}:{tenant_id}", threading.Lock())
        if not lock.acquire(timeout=max(wait_seconds, 0)):
            raise DemogenError(f"tenant {tenant_id} is being patched by another job; try again later")
        lock_path = _job_lock_path(self.path)
        try:
            if not _take_job_file(lock_path):
                self._wait_for_job_file(lock_path, wait_seconds)
            self._held_tenants.add(tenant_id)
            try:
                yield
            finally:
                self._held_tenants.discard(tenant_id)
                _give_job_file(lock_path)
        finally:
            lock.release()

    def _wait_for_job_file(self, lock_path: str, wait_seconds: float) -> None:
        """Another process runs a job on this file: let go of the file so it can finish, and wait for it."""
        log.warning("waiting for %s (another job is running)", self.path)
        self.close()
        deadline = time.monotonic() + wait_seconds
        while not _take_job_file(lock_path):
            if time.monotonic() >= deadline:  # the connection stays closed: the caller gives up
                raise DemogenError(
                    f"{self.path} is in use by another process (another job is running); "
                    f"gave up after waiting {wait_seconds:g} s"
                )
            time.sleep(_POLL_SECONDS)
        try:
            self._connect()
        except BaseException:
            _give_job_file(lock_path)
            raise

    def check_tenant_lock(self, tenant_id: str) -> None:
        if tenant_id not in self._held_tenants:
            raise DemogenError(f"this connection does not hold the lock of tenant {tenant_id}: nothing published")

    def reconnect(self) -> None:
        self.close()
        self._connect()

    @contextmanager
    def released(self) -> Iterator[None]:
        # dbt-duckdb opens the file with its own configuration; two differently
        # configured handles on one file in one process are refused.
        self.close()
        try:
            yield
        finally:
            self._connect()

    def count_rows(self, sql: str) -> int:
        row = self._execute(f"SELECT count(*) FROM (\n{sql}\n) AS counted", ()).fetchone()
        return int(row[0]) if row else 0

    @contextmanager
    def session_values(self, values: dict[str, str]) -> Iterator[None]:
        # DuckDB variables (macros/job_value.sql reads them with getvariable). SET VARIABLE takes
        # no parameters: the value goes in as a quoted literal.
        for name, value in values.items():
            literal = value.replace("'", "''")
            self._execute(f"SET VARIABLE demogen_{_identifier(name)} = '{literal}'", ())
        try:
            yield
        finally:
            if self._conn is not None:
                for name in values:
                    self._execute(f"RESET VARIABLE demogen_{_identifier(name)}", ())

    def dbt_env(self) -> dict[str, str]:
        return {"DEMOGEN_DBT_TARGET": "duckdb", "DEMOGEN_DUCKDB_PATH": str(self.path.resolve())}

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

"""The PostgreSQL store: production, and what several Prefect workers share."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

import polars as pl
import psycopg

from flows.store.base import ConnectionLost, Row, Store, normalise
from flows.store.urls import mask_text, mask_url
from generators.errors import DemogenError

_PLACEHOLDER = re.compile(r"\?")
# Rows per slice of a COPY: the CSV text of one slice (a few MB) is all a load holds besides the frame.
COPY_ROWS = 50_000


def _pg_sql(sql: str) -> str:
    return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))


class _NotProvided(Exception):
    """Rolls back a lock whose condition did not hold under it."""


class PostgresStore(Store):
    backend = "postgres"

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: psycopg.Connection | None = None
        # Advisory lock keys this connection holds, by tenant: they live and die with the connection.
        self._held: dict[str, int] = {}
        self._connect()

    def _connect(self) -> None:
        try:
            self._conn = psycopg.connect(
                self.url.replace("postgres://", "postgresql://", 1), autocommit=True, connect_timeout=5
            )
        except psycopg.Error as exc:
            first = (str(exc).strip().splitlines() or ["connection failed"])[0]
            raise DemogenError(f"cannot connect to {mask_url(self.url)}: {mask_text(first, self.url)}") from exc
        self._conn.execute("SET TIME ZONE 'UTC'")
        # demogen's queries are short and indexed: compiling one with JIT took longer than running it.
        self._conn.execute("SET jit = off")

    def _lost(self, cause: BaseException | None = None) -> ConnectionLost:
        first = (str(cause).strip().splitlines() or ["closed"])[0] if cause else "closed"
        held = f"; the lock of tenant {', '.join(self._held)} went with it" if self._held else ""
        return ConnectionLost(f"lost the connection to {mask_url(self.url)} ({mask_text(first, self.url)}){held}")

    @property
    def conn(self) -> psycopg.Connection:
        if self._conn is None:  # closed by us: open again
            self._connect()
        elif self._conn.closed:  # lost: never reconnect behind a job's back, its lock is gone
            raise self._lost()
        assert self._conn is not None
        return self._conn

    def _execute(self, sql: str, params: Sequence[Any]) -> psycopg.Cursor[Any]:
        try:
            return self.conn.execute(_pg_sql(sql), list(params) or None)
        except psycopg.OperationalError as exc:
            if self._conn is not None and (self._conn.closed or self._conn.broken):
                raise self._lost(exc) from exc
            raise

    def reconnect(self) -> None:
        self._held.clear()
        if self._conn is not None and not self._conn.closed:
            self._conn.close()
        self._conn = None
        self._connect()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._execute(sql, params).rowcount

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self._execute(sql, params)
        names = [d.name for d in cursor.description or ()]
        return [{n: normalise(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()]

    def query_frame(self, sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
        cursor = self._execute(sql, params)
        names = [d.name for d in cursor.description or ()]
        rows = [[normalise(v) for v in row] for row in cursor.fetchall()]
        return pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        try:
            with self.conn.transaction():
                yield
        except psycopg.OperationalError as exc:  # BEGIN or COMMIT on a connection the server ended
            if self._conn is not None and (self._conn.closed or self._conn.broken):
                raise self._lost(exc) from exc
            raise

    def lock_tables_nowait(self, tables: Sequence[str], provided: Callable[[], bool] = lambda: True) -> bool:
        if self.conn.info.transaction_status != psycopg.pq.TransactionStatus.INTRANS:
            return False  # a lock taken outside a transaction would end with its statement
        # Under READ COMMITTED each statement after the lock sees every commit made before it;
        # an older snapshot could miss rows that `provided` must see.
        if self.scalar("SELECT current_setting('transaction_isolation') AS level") != "read committed":
            return False
        try:
            with self.conn.transaction():  # a savepoint: rolled back, it lets go of the lock and nothing else
                self._execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE NOWAIT", ())
                if not provided():
                    raise _NotProvided
        except (psycopg.errors.LockNotAvailable, _NotProvided):
            return False
        return True

    def load_frame(self, table: str, frame: pl.DataFrame) -> int:
        if frame.height == 0:
            return 0
        columns = ", ".join(frame.columns)
        # CSV COPY: polars writes the text in bulk, psycopg streams it; one COPY, written slice by slice.
        with (
            self.conn.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy,
        ):
            for rows in frame.iter_slices(COPY_ROWS):
                copy.write(
                    rows.write_csv(include_header=False, null_value="\\N", datetime_format="%Y-%m-%d %H:%M:%S%.f+00")
                )
        return frame.height

    @contextmanager
    def tenant_lock(self, tenant_id: str, wait_seconds: float = 0.0) -> Iterator[None]:
        # Session-level advisory lock: released by PostgreSQL itself if this process dies.
        key = uuid.UUID(tenant_id).int & 0x7FFF_FFFF_FFFF_FFFF
        deadline = time.monotonic() + wait_seconds
        got = self.scalar("SELECT pg_try_advisory_lock(?) AS got", (key,))
        while not got and time.monotonic() < deadline:
            time.sleep(0.2)
            got = self.scalar("SELECT pg_try_advisory_lock(?) AS got", (key,))
        if not got:
            raise DemogenError(f"tenant {tenant_id} is being patched by another job; try again later")
        self._held[tenant_id] = key
        try:
            yield
        finally:
            # after a lost connection the lock is gone already, and the new connection never held it
            if self._held.pop(tenant_id, None) is not None:
                self.scalar("SELECT pg_advisory_unlock(?) AS released", (key,))

    def check_tenant_lock(self, tenant_id: str) -> None:
        key = self._held.get(tenant_id)
        held = key is not None and self.scalar(
            "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted "
            "AND classid::bigint = ? AND objid::bigint = ? AND objsubid = 1",
            (key >> 32, key & 0xFFFF_FFFF),
        )
        if not held:
            raise DemogenError(f"this connection does not hold the lock of tenant {tenant_id}: nothing published")

    @contextmanager
    def released(self) -> Iterator[None]:
        yield  # a server takes many clients: nothing to release

    def count_rows(self, sql: str) -> int:
        try:  # without parameters psycopg sends the text as it is: a % in it stays a %
            row = self.conn.execute(f"SELECT count(*) FROM (\n{sql}\n) AS counted").fetchone()
        except psycopg.OperationalError as exc:
            if self._conn is not None and (self._conn.closed or self._conn.broken):
                raise self._lost(exc) from exc
            raise
        return int(row[0]) if row else 0

    @contextmanager
    def session_values(self, values: dict[str, str]) -> Iterator[None]:
        # Custom settings of this session (macros/job_value.sql reads them with current_setting).
        for name, value in values.items():
            self._execute("SELECT set_config(?, ?, false)", (f"demogen.{name}", value))
        try:
            yield
        finally:
            if self._conn is not None and not self._conn.closed:
                for name in values:
                    self._execute("SELECT set_config(?, '', false)", (f"demogen.{name}",))

    def companion(self) -> PostgresStore | None:
        if self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            return None  # inside a transaction: another connection would not see its rows
        try:
            return PostgresStore(self.url)
        except DemogenError:
            return None  # no second connection to be had (max_connections): this one does

    def dbt_env(self) -> dict[str, str]:
        parts = urlsplit(self.url)
        return {
            "DEMOGEN_DBT_TARGET": "postgres",
            "DEMOGEN_PG_HOST": parts.hostname or "localhost",
            "DEMOGEN_PG_PORT": str(parts.port or 5432),
            "DEMOGEN_PG_USER": unquote(parts.username or "postgres"),
            "DEMOGEN_PG_PASSWORD": unquote(parts.password or ""),
            "DEMOGEN_PG_DATABASE": (parts.path or "/postgres").lstrip("/") or "postgres",
        }

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

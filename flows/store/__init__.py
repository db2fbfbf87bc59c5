"""Opens the CRM store named by a database URL, initialising an empty database on the way."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flows.store.base import Row, Store
from flows.store.migrate import ensure_initialised
from flows.store.urls import mask_url
from generators.errors import UsageError

DEFAULT_URL = "duckdb:///demogen.duckdb"
URL_HELP = "duckdb:///relative.duckdb, duckdb:////absolute/path.duckdb or postgresql://user@host:port/db"
# How long connecting waits for a DuckDB file that another process runs a job on.
DEFAULT_WAIT_SECONDS = 120.0

__all__ = ["DEFAULT_URL", "Row", "Store", "connect", "database_url", "open_store"]


def database_url(url: str | None = None) -> str:
    """The URL in force: the given one, else DEMOGEN_DATABASE_URL, else the DuckDB default."""
    return url or os.environ.get("DEMOGEN_DATABASE_URL") or DEFAULT_URL


def _duckdb_path(url: str) -> Path:
    # SQLAlchemy's convention: duckdb:///rel.duckdb is relative, duckdb:////abs.duckdb absolute.
    rest = url[len("duckdb://") :]
    path = rest[1:] if rest.startswith("/") else rest
    if not path:
        raise UsageError(f"database URL '{url}' names no file: use {URL_HELP}")
    return Path(path)


def _duckdb_store(url: str, path: Path, wait_seconds: float) -> Store:
    from flows.store.duckdb_store import DuckDBStore  # deferred: PostgreSQL runs never need duckdb

    return DuckDBStore(url, path, wait_seconds)


def _postgres_store(url: str) -> Store:
    from flows.store.postgres_store import PostgresStore  # deferred: DuckDB runs never need psycopg

    return PostgresStore(url)


def connect(url: str | None = None, *, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> Store:
    """Connect without touching the schema (migrations use this).

    A DuckDB file another process runs a job on is waited for up to wait_seconds.
    """
    url = database_url(url)
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "duckdb":
        return _duckdb_store(url, _duckdb_path(url), wait_seconds)
    if scheme in ("postgresql", "postgres"):
        return _postgres_store(url)
    if not scheme and url.endswith(".duckdb"):
        return _duckdb_store(f"duckdb:///{url}", Path(url), wait_seconds)
    raise UsageError(f"unknown database URL scheme in '{mask_url(url)}': use {URL_HELP}")


@contextmanager
def open_store(url: str | None = None, *, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> Iterator[Store]:
    """Connect, create or upgrade the schema and the dbt views if needed, and close at the end."""
    store = connect(url, wait_seconds=wait_seconds)
    try:
        ensure_initialised(store)
        yield store
    finally:
        store.close()

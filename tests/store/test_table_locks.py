"""A lock on tables that never waits: taken only when nobody else holds them and its condition holds under it."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from flows.store import Store, connect

TABLES = ["draft_companies", "draft_contacts"]


@pytest.fixture
def other(database_url: str) -> Iterator[Store]:
    """A second connection to the same database, as another job's."""
    opened = connect(database_url)
    yield opened
    opened.close()


def _can_lock(other: Store) -> bool:
    """Whether another transaction could lock the tables at all right now."""
    try:
        with other.transaction():
            other.execute(f"LOCK TABLE {', '.join(TABLES)} IN ACCESS SHARE MODE NOWAIT")
    except psycopg.errors.LockNotAvailable:
        return False
    return True


pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("backend", ["postgres"], indirect=True)]


def test_the_lock_holds_until_the_transaction_ends(store: Store, other: Store) -> None:
    with store.transaction():
        assert store.lock_tables_nowait(TABLES) is True
        assert _can_lock(other) is False
    assert _can_lock(other) is True


def test_a_condition_that_fails_under_the_lock_lets_go_of_it_at_once(store: Store, other: Store) -> None:
    asked: list[bool] = []

    def provided() -> bool:
        asked.append(_can_lock(other))  # under the lock: nobody else can take it
        return False

    with store.transaction():
        assert store.lock_tables_nowait(TABLES, provided) is False
        assert asked == [False]
        assert _can_lock(other) is True  # still in the transaction: the lock is gone already
        assert store.scalar("SELECT 1 AS one") == 1  # and the transaction goes on


def test_tables_another_transaction_holds_are_not_waited_for(store: Store, other: Store) -> None:
    with other.transaction():
        other.execute(f"SELECT count(*) FROM {TABLES[1]}")
        with store.transaction():
            assert store.lock_tables_nowait(TABLES) is False
            assert store.scalar("SELECT 1 AS one") == 1


def test_outside_a_transaction_or_under_an_older_snapshot_there_is_no_lock(store: Store, other: Store) -> None:
    assert store.lock_tables_nowait(TABLES) is False
    with store.transaction():
        store.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        assert store.lock_tables_nowait(TABLES) is False
        assert _can_lock(other) is True

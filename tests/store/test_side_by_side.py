"""Two reads at once: one on a companion connection, one on the store's own; one after the other where
there is no companion, or where the companion's read fails."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from flows.store import Store

WAIT_S = 30


def _backend_pid(store: Store) -> int:
    return int(store.scalar("SELECT pg_backend_pid() AS pid"))


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_the_two_reads_run_at_once_on_two_connections(store: Store) -> None:
    aside_running, here_running = threading.Event(), threading.Event()

    def aside(on: Store) -> int:
        aside_running.set()
        assert here_running.wait(WAIT_S), "the read on this connection never ran beside this one"
        return _backend_pid(on)

    def here(on: Store) -> int:
        here_running.set()
        assert aside_running.wait(WAIT_S), "the read aside never ran beside this one"
        return _backend_pid(on)

    aside_pid, here_pid = store.side_by_side(aside, here)
    assert here_pid == _backend_pid(store) != aside_pid


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_read_that_fails_on_the_companion_is_read_again_on_this_connection(store: Store) -> None:
    tried: list[int] = []

    def aside(on: Store) -> int:
        pid = _backend_pid(on)
        tried.append(pid)
        if on is not store:
            raise RuntimeError("the companion's session ended")
        return pid

    logged: list[str] = []
    logger = logging.getLogger("flows.store.base")

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            logged.append(f"{record.levelname} {record.getMessage()}")

    keep, saved = Keep(), (logger.level, logger.propagate)
    logger.addHandler(keep)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # this test's handler only, whatever others the process attached
    try:
        aside_pid, here_pid = store.side_by_side(aside, _backend_pid)
    finally:
        logger.removeHandler(keep)
        logger.level, logger.propagate = saved
    assert aside_pid == here_pid == _backend_pid(store)
    assert len(tried) == 2 and tried[0] != tried[1] == here_pid
    assert logged == [
        "INFO a read beside the job's failed on its companion connection, read again: the companion's session ended"
    ]


@pytest.mark.parametrize("backend", ["duckdb"], indirect=True)
def test_without_a_companion_both_read_on_this_connection_in_turn(store: Store) -> None:
    order: list[tuple[str, Store]] = []

    def read(name: str):
        def on(store: Store) -> str:
            order.append((name, store))
            return str(store.scalar("SELECT 'read' AS value")) + f" {name}"

        return on

    assert store.side_by_side(read("aside"), read("here")) == ("read aside", "read here")
    assert order == [("aside", store), ("here", store)]


def _alive(store: Store, pid: int) -> bool:
    return bool(store.scalar("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = ?", (pid,)))


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_an_error_of_the_read_on_this_connection_is_raised_and_the_companion_closed(store: Store) -> None:
    companions: list[int] = []

    def aside(on: Store) -> int:
        companions.append(_backend_pid(on))
        return companions[-1]

    def here(on: Store) -> int:
        raise ValueError("refused")

    with pytest.raises(ValueError) as raised:
        store.side_by_side(aside, here)
    assert str(raised.value) == "refused"
    assert len(companions) == 1 and companions[0] != _backend_pid(store)
    deadline = time.monotonic() + WAIT_S  # the server ends a closed connection's session a moment later
    while _alive(store, companions[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(store, companions[0])

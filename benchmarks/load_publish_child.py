"""One load + publish of a patch's rows, timed in a process of its own (bench_engine's publish part runs it).

Run by path, with the demogen tree to time first on PYTHONPATH: the working tree, or a git archive of
an older commit (bench_engine --baseline). So it imports nothing of benchmarks/, and only what every
version of the store and the drafts has: connect, migrate, Store.load_frame, drafts.write_drafts and
drafts.publish_drafts.

    python benchmarks/load_publish_child.py RAW_URL ENGINE_URL FRAMES_DIR JOB_ID raw-first|engine-first [SPLIT_URL]

RAW_URL and ENGINE_URL are two fresh databases: the raw load goes into the CRM tables of the first,
the engine's write + publish into those of the second, so both load into the same empty, indexed tables.
With SPLIT_URL, a third fresh database gets the raw load again on two connections side by side, half
of every table's rows each, each connection in a transaction of its own (last with raw-first, first
with engine-first).
Prints one JSON line: wall seconds of each phase, CPU seconds of this process and (PostgreSQL on this
machine) of its server process, and the peak RSS once the frames were read and at the end.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl

from flows.engine import drafts
from flows.store import Store, connect
from flows.store.migrate import migrate
from generators.frames import ENTITIES


def _server_cpu(store: Store) -> Callable[[], float | None]:
    """CPU seconds of the PostgreSQL process serving this connection, if it runs on this machine.

    DuckDB runs inside this process: its CPU is this process's, and its server's is nil.
    """
    if store.backend != "postgres":
        return lambda: 0.0
    path = Path(f"/proc/{store.scalar('SELECT pg_backend_pid() AS pid')}/stat")
    tick = os.sysconf("SC_CLK_TCK")

    def read() -> float | None:
        try:
            fields = path.read_text().rsplit(")", 1)[1].split()
        except OSError:  # a server elsewhere, or not ours to read
            return None
        return (int(fields[11]) + int(fields[12])) / tick

    return read


def _timed(store: Store, work: Callable[[], Any]) -> dict[str, float | None]:
    server = _server_cpu(store)
    wall, cpu, server_before = time.perf_counter(), time.process_time(), server()
    work()
    server_after = server()
    return {
        "s": round(time.perf_counter() - wall, 3),
        "client_cpu_s": round(time.process_time() - cpu, 3),
        "server_cpu_s": None
        if server_before is None or server_after is None
        else round(server_after - server_before, 3),
    }


def _open(url: str) -> Store:
    store = connect(url)
    migrate(store)
    return store


def main() -> None:
    raw_url, engine_url, frames_dir, job_id, order = sys.argv[1:6]
    split_url = sys.argv[6] if len(sys.argv) > 6 else None
    frames = {entity: pl.read_parquet(Path(frames_dir) / f"{entity}.parquet") for entity in ENTITIES}
    rss_frames = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result: dict[str, Any] = {}

    def raw() -> None:
        store = _open(raw_url)
        try:

            def load() -> None:
                with store.transaction():
                    for entity, frame in frames.items():
                        store.load_frame(entity, frame)

            result["raw"] = _timed(store, load)
        finally:
            store.close()

    def engine() -> None:
        store = _open(engine_url)
        try:
            written: dict[str, int] = {}

            def write() -> None:
                written.update(drafts.write_drafts(store, frames.items()))

            def publish() -> None:
                with store.transaction():
                    moved = drafts.publish_drafts(store, job_id)
                if moved != written:
                    raise SystemExit(f"publish moved {moved}, wrote {written}")

            result["write"] = _timed(store, write)
            result["publish"] = _timed(store, publish)
        finally:
            store.close()

    def raw_split() -> None:
        assert split_url is not None

        def load(store: Store, half: int) -> None:
            with store.transaction():
                for entity, frame in frames.items():
                    middle = frame.height // 2
                    store.load_frame(entity, frame.head(middle) if half == 0 else frame.slice(middle))

        stores: list[Store] = []
        try:
            stores += [_open(split_url), connect(split_url)]
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=2) as pool:
                for done in [pool.submit(load, store, half) for half, store in enumerate(stores)]:
                    done.result()
            result["raw_split"] = {"s": round(time.perf_counter() - started, 3)}
        finally:
            for store in stores:
                store.close()

    phases = [raw, engine, *([raw_split] if split_url else [])]
    for phase in phases if order == "raw-first" else reversed(phases):
        phase()
    result["records"] = sum(frame.height for frame in frames.values())
    result["tree"] = str(Path(drafts.__file__).resolve().parents[2])  # whose code ran
    result["rss_frames_mb"] = round(rss_frames / 1024)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

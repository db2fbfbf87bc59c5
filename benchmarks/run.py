"""Run every benchmarks/bench_*.py in turn: one command for all benchmarks, from the project root.

    .venv/bin/python -m benchmarks.run            # full sizes; each records its results
    .venv/bin/python -m benchmarks.run --quick    # small sizes, a smoke test; records nothing
    .venv/bin/python -m benchmarks.run --only engine preview

--quick is passed to every benchmark that declares it; one that does not is skipped in a
quick run (its full run is the only one it has). Exit status: 1 if any benchmark failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def benchmarks() -> list[Path]:
    return sorted(HERE.glob("bench_*.py"))


def name_of(path: Path) -> str:
    return path.stem.removeprefix("bench_")


def supports_quick(path: Path) -> bool:
    return '"--quick"' in path.read_text()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; benchmarks record nothing")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="e.g. engine preview (bench_NAME.py)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args()

    chosen = [p for p in benchmarks() if not args.only or name_of(p) in args.only]
    if args.list or not chosen:
        for path in benchmarks():
            print(f"{name_of(path):12s} {path.name}{'' if supports_quick(path) else '  (no --quick)'}")
        return 0 if chosen or args.list else 2
    outcomes: list[tuple[str, str, float]] = []
    for path in chosen:
        if args.quick and not supports_quick(path):
            outcomes.append((name_of(path), "skipped (no --quick)", 0.0))
            continue
        # As a module from the project root, so `benchmarks`, `flows` and `tests` import as packages.
        command = [sys.executable, "-m", f"benchmarks.{path.stem}", *(["--quick"] if args.quick else [])]
        print(f"\n=== {path.name}: {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        code = subprocess.run(command, cwd=ROOT).returncode
        outcomes.append((name_of(path), "ok" if code == 0 else f"FAILED (exit {code})", time.perf_counter() - started))
    print("\n=== summary")
    for name, status, seconds in outcomes:
        print(f"{name:12s} {status:24s} {seconds:7.1f} s")
    return 1 if any(status.startswith("FAILED") for _, status, _ in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: what a new `demogen` process spends around the work, each command in a fresh process.

    .venv/bin/python -m benchmarks.bench_startup [--runs 7] [--baseline GIT_REF] [--quick]

Per run, in this order, each a new process of this interpreter with the tree first on the path:
the sum of `python -X importtime -c "import flows.cli.main"` (self times), `demogen --help`,
`demogen validate PLAN --json`, and `demogen -v apply PLAN --json` on a fresh copy of a DuckDB
file holding only the demo tenant (so the apply creates the whole example plan). The apply is
also cut at its step log lines: from the process's start to the first step's line (`prepare:`),
and from the last step's line (`report:`) to the process's exit.

Each tree runs from a fresh copy: the working tree's tracked files ("current"), and with
--baseline REF `git archive REF` beside it, interleaved run by run, both printed with their
ratio (current / baseline). Prints a Markdown table; records nothing (the figures go into
RESULTS.md, "Start-up", by hand).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLAN = "plans/examples/first-quarter-2025.yaml"
TENANT = ["tenant", "create", "--name", "Acme Corp Demo", "--from", "2024-01", "--to", "2024-12", "--json"]
FIRST_STEP, LAST_STEP = "prepare:", "report:"


@dataclass
class Tree:
    name: str
    root: Path
    work: Path  # its database file and the copy of the tenant's database
    samples: dict[str, list[float]] = field(default_factory=dict)

    @property
    def database(self) -> Path:
        return self.work / "apply.duckdb"

    @property
    def template(self) -> Path:
        return self.work / "tenant.duckdb.template"

    def env(self) -> dict[str, str]:
        # Bytecode is written and reused as in an installed package: compiling every module
        # again in each process (PYTHONDONTWRITEBYTECODE) would add ~0.3 s to every command.
        skip = ("DEMOGEN_", "PREFECT_", "PYTHONDONTWRITEBYTECODE")
        env = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
        return env | {"PYTHONPATH": str(self.root), "COLUMNS": "100"}

    def demogen(self, *args: str, verbose: bool = False) -> list[str]:
        group = ["-v"] if verbose else []
        return [sys.executable, "-m", "flows.cli.main", *group, "--database", f"duckdb:///{self.database}", *args]

    def add(self, key: str, seconds: float) -> None:
        self.samples.setdefault(key, []).append(seconds)


def run(tree: Tree, command: list[str], *, timed_lines: bool = False) -> tuple[float, list[tuple[float, str]]]:
    """Wall seconds of the command, and its stderr lines with the second each arrived (if asked)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=tree.work, env=tree.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    lines = [(time.perf_counter() - started, line.rstrip()) for line in process.stderr] if timed_lines else []
    if not timed_lines:
        errors = process.stderr.read()
    code = process.wait()
    wall = time.perf_counter() - started
    if code != 0:
        shown = "\n".join(text for _, text in lines) if timed_lines else errors
        raise SystemExit(f"{tree.name}: {' '.join(command[2:])} exited {code}:\n{shown}")
    return wall, lines


def import_total(tree: Tree) -> float:
    """Seconds: the self times of every module `import flows.cli.main` loads, as -X importtime reports them."""
    command = [sys.executable, "-X", "importtime", "-c", "import flows.cli.main"]
    done = subprocess.run(command, cwd=tree.work, env=tree.env(), capture_output=True, text=True, check=True)
    micros = [line.split("|")[0].split(":")[1] for line in done.stderr.splitlines() if line.startswith("import time:")]
    return sum(int(m) for m in micros if m.strip().isdigit()) / 1e6


def measure(tree: Tree) -> None:
    tree.add("import_total", import_total(tree))
    tree.add("help", run(tree, [sys.executable, "-m", "flows.cli.main", "--help"])[0])
    shutil.copyfile(tree.template, tree.database)
    tree.add("validate", run(tree, tree.demogen("validate", str(tree.root / PLAN), "--json"))[0])
    shutil.copyfile(tree.template, tree.database)
    wall, lines = run(tree, tree.demogen("apply", str(tree.root / PLAN), "--json", verbose=True), timed_lines=True)
    tree.add("apply", wall)
    first = next(at for at, text in lines if FIRST_STEP in text)
    last = next(at for at, text in reversed(lines) if LAST_STEP in text)
    tree.add("to_first_step", first)
    tree.add("after_last_step", wall - last)


def prepare_tree(name: str, root: Path, work: Path) -> Tree:
    """The tree with its DuckDB file holding the demo tenant alone, kept as the template of every apply."""
    work.mkdir(parents=True)
    tree = Tree(name, root, work)
    run(tree, tree.demogen(*TENANT))  # also compiles the tree's bytecode before anything is timed
    shutil.move(tree.database, tree.template)  # same path for every run: dbt's target folder stays warm
    return tree


def extract(ref: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def copy_working_tree(into: Path) -> Path:
    """The tracked files as they are now, changes included, without dbt's target folders or bytecode.

    Both trees then start alike: the dbt project's fingerprint, for one, walks dbt_project/
    and would take longer in a checkout that ran many databases.
    """
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        if (ROOT / name).is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, into / name)
    return into


ROWS: tuple[tuple[str, str, Callable[[float], str]], ...] = (
    ("import_total", "`-X importtime` total of `import flows.cli.main`", lambda s: f"{s:.3f} s"),
    ("help", "`demogen --help`", lambda s: f"{s:.2f} s"),
    ("validate", "`demogen validate PLAN --json`", lambda s: f"{s:.2f} s"),
    ("apply", "`demogen -v apply PLAN --json`, fresh tenant", lambda s: f"{s:.2f} s"),
    ("to_first_step", "… process start → first step line (`prepare:`)", lambda s: f"{s:.2f} s"),
    ("after_last_step", "… last step line (`report:`) → process exit", lambda s: f"{s:.2f} s"),
)


def table(trees: list[Tree]) -> str:
    current, baseline = trees[0], (trees[1] if len(trees) > 1 else None)
    head = "| median of {} | {} |".format(len(current.samples["help"]), " | ".join(t.name for t in trees))
    head += " ratio |" if baseline else ""
    lines = [head, "|---|" + "---:|" * (len(trees) + (1 if baseline else 0))]
    for key, label, shown in ROWS:
        medians = [statistics.median(t.samples[key]) for t in trees]
        cells = " | ".join(shown(m) for m in medians)
        ratio = f" {medians[0] / medians[1]:.2f}× |" if baseline and medians[1] else ""
        lines.append(f"| {label} | {cells} |{ratio}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each command per tree [7]")
    parser.add_argument("--baseline", metavar="GIT_REF", help="also time the tree of this git ref, interleaved")
    parser.add_argument("--quick", action="store_true", help="one run: a smoke test")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    with tempfile.TemporaryDirectory(prefix="demogen-startup-") as tmp:
        current = copy_working_tree(Path(tmp) / "current-tree")
        trees = [prepare_tree("current", current, Path(tmp) / "current")]
        if args.baseline:
            root = extract(args.baseline, Path(tmp) / "baseline-tree")
            trees.append(prepare_tree(f"baseline {args.baseline}", root, Path(tmp) / "baseline"))
        for n in range(runs):
            for tree in trees if n % 2 == 0 else reversed(trees):
                measure(tree)
            print(f"run {n + 1}/{runs} done, load average {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
    print(f"nproc={os.cpu_count()} python={sys.version.split()[0]} load_avg={os.getloadavg()}")
    print(table(trees))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The one door to dbt: every in-process dbt call goes through `invoke` (dbt's runner is not thread-safe)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flows.store.base import ConnectionLost, Store
from flows.store.paths import DBT_PROJECT_DIR
from flows.store.urls import mask_text
from generators.clock import BUSINESS_HOURS
from generators.errors import DemogenError
from generators.metrics import METRICS
from generators.pipeline import CYCLE_DAYS
from generators.story import LAST_OPEN_LEVEL, LOST_LEVEL, SUBJECT_STEPS, WON_LEVEL

PROJECT_DIR = DBT_PROJECT_DIR
# Where dbt builds its views (profiles.yml `schema:`); the CRM tables stay in main/public.
MODELS_SCHEMA = "analytics"
# The project's facts that live in Python, given to every dbt command: dbt_project.yml holds
# the same values as defaults for running dbt by hand, and tests/dbt holds them equal.
PROJECT_VARS: dict[str, Any] = {
    "business_hours": list(BUSINESS_HOURS),
    "kpi_columns": [m.column for m in METRICS],
    "sales_cycle_days": list(CYCLE_DAYS),
    "story": {
        "subject_steps": SUBJECT_STEPS,
        "last_open_level": LAST_OPEN_LEVEL,
        "won_level": WON_LEVEL,
        "lost_level": LOST_LEVEL,
    },
}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class NodeResult:
    """One model build or test outcome."""

    name: str
    resource_type: str  # model | test | unit_test
    status: str  # success | pass | fail | error | warn | skipped
    failures: int | None
    message: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status in {"success", "pass"}


@dataclass(frozen=True)
class DbtRun:
    command: str
    success: bool
    results: tuple[NodeResult, ...]
    compiled: tuple[CompiledTest, ...] = ()

    @property
    def failed(self) -> tuple[NodeResult, ...]:
        return tuple(r for r in self.results if not r.ok and r.status != "skipped")

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "success": self.success,
            "results": [r.__dict__ for r in self.results],
        }


# The project's own files: dbt writes only into target/ and logs/, which are never read here.
_SOURCE_FOLDERS = ("models", "macros", "tests")
_SOURCE_FILES = ("dbt_project.yml", "profiles.yml")


def models_fingerprint(project_dir: Path) -> str:
    """A hash of the dbt project's files: when it changes, the views are rebuilt and the tests compiled."""
    paths = [project_dir / name for name in _SOURCE_FILES]
    for folder in _SOURCE_FOLDERS:
        paths += (project_dir / folder).rglob("*")
    digest = hashlib.sha256()
    for path in sorted(p for p in paths if p.suffix in {".sql", ".yml"} and p.is_file()):
        digest.update(str(path.relative_to(project_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _database_identity(url: str) -> str:
    """The URL's scheme, user, host, port and database: everything but the password and options."""
    parts = urlsplit(url)
    user = parts.netloc.rpartition("@")[0].partition(":")[0]
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{user}@{host}{parts.path}"


def work_dir_path(url: str, backend: str) -> Path:
    """Where dbt's target and log folder of a database lives: named by a hash of its URL without the password.

    Two databases never share compiled SQL or run results, and the name gives nothing away.
    """
    digest = hashlib.sha256(_database_identity(url).encode()).hexdigest()[:12]
    return PROJECT_DIR / "target" / f"{backend}-{digest}"


def work_dir(store: Store) -> Path:
    """dbt's target and log folder for this store's database, private to it and to this checkout (mode 0700)."""
    folder = work_dir_path(store.url, store.backend)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)  # mkdir's mode is masked by the umask, and an older folder may be wider
    return folder


@contextmanager
def _masked_argv(url: str) -> Iterator[None]:
    """dbt records this process's command line in run_results.json: a database URL on it loses its password."""
    saved = sys.argv
    sys.argv = [mask_text(arg, url) for arg in saved]
    try:
        yield
    finally:
        sys.argv = saved


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _node_results(result: Any) -> tuple[NodeResult, ...]:
    nodes = []
    for item in getattr(result, "results", None) or ():
        node = item.node
        nodes.append(
            NodeResult(
                name=node.name,
                resource_type=str(node.resource_type),
                status=str(item.status),
                failures=item.failures,
                message=item.message,
                seconds=round(float(item.execution_time or 0), 3),
            )
        )
    return tuple(nodes)


def invoke(store: Store, args: Sequence[str], variables: Mapping[str, Any] | None = None) -> DbtRun:
    """Run one dbt command in-process against the store's database."""
    from dbt.cli.main import dbtRunner

    workdir = work_dir(store)
    env = store.dbt_env() | {
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",  # no network here, nor need for it
        "DO_NOT_TRACK": "1",
        "DEMOGEN_CRM_SCHEMA": store.crm_schema,
    }
    options = [
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target",
        env["DEMOGEN_DBT_TARGET"],
        "--target-path",
        str(workdir / "target"),
        "--log-path",
        str(workdir / "logs"),
        # Nothing on our stdout (it carries --json); the details land in the log file.
        "--log-level",
        "none",
        "--log-level-file",
        "info",
        "--no-use-colors",
    ]
    argv = [*args, *options, "--vars", json.dumps(PROJECT_VARS | dict(variables or {}), default=str)]
    with _LOCK, _environment(env), _masked_argv(store.url), store.released():
        outcome = dbtRunner().invoke(argv)
    if outcome.exception is not None:
        raise DemogenError(f"dbt {args[0]} could not run: {str(outcome.exception).splitlines()[0]}")
    return DbtRun(args[0], bool(outcome.success), _node_results(outcome.result), _compiled(outcome.result))


def _compiled(result: Any) -> tuple[CompiledTest, ...]:
    tests = []
    for item in getattr(result, "results", None) or ():
        node = item.node
        if str(node.resource_type) == "test" and getattr(node, "compiled_code", None):
            tests.append(CompiledTest(node.name, tuple(sorted(node.tags)), node.compiled_code))
    return tuple(tests)


# --- the job's audit and verification: dbt's tests, compiled once, run on the store's connection ---


@dataclass(frozen=True)
class CompiledTest:
    """A dbt data test as dbt compiled it: it fails when its SQL returns rows."""

    name: str
    tags: tuple[str, ...]
    sql: str


JOB_TAGS = ("audit", "verification")
_COMPILED_FILE = "job_tests.json"
_COMPILED: dict[Path, tuple[str, tuple[CompiledTest, ...]]] = {}


def _compiled_key(store: Store) -> str:
    """What the compiled SQL depends on: the project's files, dbt's version, the project's vars, and
    the database's name, which dbt writes into every relation (a DuckDB file's name, copied or moved)."""
    from importlib.metadata import version

    database = str(store.scalar("SELECT current_database() AS name"))
    return hashlib.sha256(
        "\n".join([models_fingerprint(PROJECT_DIR), version("dbt-core"), json.dumps(PROJECT_VARS), database]).encode()
    ).hexdigest()


def compile_job_tests(store: Store) -> tuple[CompiledTest, ...]:
    """`dbt compile` the audit and verification tests, without job values, and keep their SQL.

    The tests read the job they check from the connection (macros/job_value.sql), so one compiled
    SQL per test serves every job: kept in the database's work folder, a new process runs a job's
    tests without starting dbt at all.
    """
    key = _compiled_key(store)
    run = invoke(store, ["compile", "--select", *(f"tag:{t}" for t in JOB_TAGS)])
    tests = tuple(t for t in run.compiled if set(t.tags) & set(JOB_TAGS))
    if not run.success or not tests:
        detail = "; ".join(f"{r.name}: {r.message}" for r in run.failed) or "no test compiled"
        raise DemogenError(f"dbt could not compile the audit and verification tests: {detail}")
    folder = work_dir(store)
    path = folder / _COMPILED_FILE
    temporary = folder / f".{_COMPILED_FILE}.{os.getpid()}.{threading.get_ident()}"
    temporary.write_text(json.dumps({"key": key, "tests": [t.__dict__ | {"tags": list(t.tags)} for t in tests]}))
    temporary.replace(path)  # atomic: a process reading it sees the old file or the new one
    _COMPILED[path] = (key, tests)
    return tests


def job_tests(store: Store, tag: str) -> tuple[CompiledTest, ...]:
    """The compiled tests of one tag (audit or verification): from memory, the work folder, or a compile."""
    path = work_dir_path(store.url, store.backend) / _COMPILED_FILE
    key = _compiled_key(store)
    cached = _COMPILED.get(path)
    if cached is None or cached[0] != key:
        cached = _read_compiled(path)
        if cached is not None:
            _COMPILED[path] = cached
    tests = cached[1] if cached is not None and cached[0] == key else compile_job_tests(store)
    return tuple(t for t in tests if tag in t.tags)


def _read_compiled(path: Path) -> tuple[str, tuple[CompiledTest, ...]] | None:
    try:
        data = json.loads(path.read_text())
        tests = tuple(CompiledTest(t["name"], tuple(t["tags"]), t["sql"]) for t in data["tests"])
        return str(data["key"]), tests
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent or unreadable: compile again


def run_job_tests(store: Store, tag: str, job: Mapping[str, str]) -> DbtRun:
    """Run the compiled tests of a tag for one job (job_id, tenant_id, as_of) on the store's connection.

    A test passes when its SQL returns no rows, as under `dbt test`; a test whose SQL the database
    refuses is an error, never a pass. Where the store has a companion connection (PostgreSQL), the
    tests are shared between the two, each taking the longest one left: they only read, and each
    keeps a core busy. Results come in the tests' order either way.
    """
    tests = job_tests(store, tag)
    # pop() takes the longest SQL first (the projected KPIs): the two connections finish together
    queue = sorted(tests, key=lambda t: len(t.sql))
    taken = threading.Lock()
    results: dict[str, NodeResult] = {}

    def next_test() -> CompiledTest | None:
        with taken:
            return queue.pop() if queue else None

    def work(on: Store) -> None:
        with on.session_values(dict(job)):
            while (test := next_test()) is not None:
                try:
                    results[test.name] = _run_test(on, test)
                except ConnectionLost:
                    with taken:
                        queue.append(test)
                    raise

    def beside(on: Store) -> None:
        with suppress(ConnectionLost):  # the companion's loss is not the job's: its test went back
            work(on)

    companion = store.companion() if len(tests) > 1 else None
    helper = None
    if companion is not None:
        helper = threading.Thread(target=beside, args=(companion,), name="job-tests", daemon=True)
        helper.start()
    try:
        work(store)
    except BaseException:
        with taken:
            queue.clear()  # the job's own connection is gone: the companion stops too
        raise
    finally:
        if helper is not None and companion is not None:
            helper.join()
            companion.close()
    if queue:  # given back by a companion that lost its connection after this one finished
        work(store)
    ordered = tuple(results[t.name] for t in tests)
    return DbtRun("test", all(r.ok for r in ordered), ordered)


def _run_test(store: Store, test: CompiledTest) -> NodeResult:
    started = time.perf_counter()
    try:
        failures: int | None = store.count_rows(test.sql)
        status, message = ("pass", None) if failures == 0 else ("fail", f"Got {failures} results")
    except ConnectionLost:
        raise
    except Exception as exc:  # noqa: BLE001 - the database's refusal becomes the test's error
        failures, status = None, "error"
        message = mask_text((str(exc).strip().splitlines() or [type(exc).__name__])[0], store.url)
    seconds = round(time.perf_counter() - started, 3)
    return NodeResult(test.name, "test", status, failures, message, seconds)


def run_models(store: Store) -> DbtRun:
    """(Re)build the staging and KPI views."""
    run = invoke(store, ["run"])
    if not run.success:
        detail = "; ".join(f"{r.name}: {r.message}" for r in run.failed) or "see dbt logs"
        raise DemogenError(f"dbt run failed: {detail}")
    return run


def build(store: Store, select: str | None = None) -> DbtRun:
    """`dbt build`: models, data tests and unit tests."""
    return invoke(store, ["build", *(["--select", select] if select else [])])

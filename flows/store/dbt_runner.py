"""The one door to dbt: every in-process dbt call goes through `invoke` (dbt's runner is not thread-safe)."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flows.store.base import Store
from flows.store.paths import DBT_PROJECT_DIR
from flows.store.urls import mask_text
from generators.errors import DemogenError

PROJECT_DIR = DBT_PROJECT_DIR
# Where dbt builds its views (profiles.yml `schema:`); the CRM tables stay in main/public.
MODELS_SCHEMA = "analytics"
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

    @property
    def failed(self) -> tuple[NodeResult, ...]:
        return tuple(r for r in self.results if not r.ok and r.status != "skipped")

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "success": self.success,
            "results": [r.__dict__ for r in self.results],
        }


def models_fingerprint(project_dir: Path) -> str:
    """A hash of the dbt project's models and macros: when it changes, the views are rebuilt."""
    digest = hashlib.sha256()
    for path in sorted(project_dir.rglob("*")):
        relative = path.relative_to(project_dir)
        if path.suffix in {".sql", ".yml"} and not {"target", "logs"} & set(relative.parts) and path.is_file():
            digest.update(str(relative).encode())
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
    argv = [*args, *options]
    if variables:
        argv += ["--vars", json.dumps(dict(variables), default=str)]
    with _LOCK, _environment(env), _masked_argv(store.url), store.released():
        manifest = _parsed_manifest(options, env) if args[0] == "test" else None
        outcome = dbtRunner(manifest=manifest).invoke(argv)
    if outcome.exception is not None:
        raise DemogenError(f"dbt {args[0]} could not run: {str(outcome.exception).splitlines()[0]}")
    return DbtRun(args[0], bool(outcome.success), _node_results(outcome.result))


# Parsing the project is most of a small dbt test run, and any change of --vars
# forces a full re-parse. Job values only matter when tests are compiled, so one
# parse per process serves every job: each run gets a fresh copy, because a run
# writes compiled SQL into the manifest it is given.
_MANIFESTS: dict[tuple[str, ...], Any] = {}


def _parsed_manifest(options: list[str], env: Mapping[str, str]) -> Any:
    from dbt.cli.main import dbtRunner

    key = (models_fingerprint(PROJECT_DIR), *sorted(f"{k}={v}" for k, v in env.items()))
    if key not in _MANIFESTS:
        parsed = dbtRunner().invoke(["parse", *options])
        if not parsed.success or parsed.result is None:
            return None  # let the real command parse and report the problem
        _MANIFESTS[key] = parsed.result
    return copy.deepcopy(_MANIFESTS[key])


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

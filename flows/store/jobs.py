"""Job history: the `demo_patch_jobs` record of each patch — create, progress, logs, finish, read."""

from __future__ import annotations

import json
import os
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flows.store.base import Store
from generators.errors import DemogenError

# Job ids and revert-job ids are uuid5 in this namespace: the same plan is the same job on every database.
JOB_NAMESPACE = uuid.UUID("3f1b8f0a-77a4-4c8e-9f55-8d1c3a6b2e90")
_JSON_COLUMNS = (
    "patch_plan_json",
    "tolerance_config",
    "before_kpis_json",
    "after_kpis_json",
    "diff_report_json",
    "logs",
    "metrics_json",
)


# A running job's owner renews its lease at every step boundary; a lease that ran out means the
# owner stopped (killed, crashed, lost its machine) and the job is interrupted.
LEASE_SECONDS_ENV = "DEMOGEN_JOB_LEASE_SECONDS"
DEFAULT_LEASE_SECONDS = 900.0

# The job state machine: every status change is one of these moves, made by a conditional update.
# A completed job is final (revert records a job of its own); a failed one may run again, at once
# or after waiting in a server's queue. A pending job waits in that queue; it fails without running
# when the plan no longer holds by its turn or the server stops first.
TRANSITIONS = frozenset(
    {
        ("pending", "running"),
        ("pending", "failed"),
        ("running", "completed"),
        ("running", "failed"),
        ("failed", "running"),
        ("failed", "pending"),
    }
)


class JobStateError(DemogenError):
    """A job is not in the state (or not held by the run) a write expected: another run moved it."""

    def __init__(self, job_id: str, message: str, actual: PatchJob | None = None) -> None:
        self.job_id = job_id
        self.actual = actual
        super().__init__(message)


def lease_seconds() -> float:
    """How long a running job's lease lasts without renewal (DEMOGEN_JOB_LEASE_SECONDS, default 900)."""
    raw = os.environ.get(LEASE_SECONDS_ENV)
    if not raw:
        return DEFAULT_LEASE_SECONDS
    try:
        value = float(raw)
    except ValueError as exc:
        raise DemogenError(f"{LEASE_SECONDS_ENV}='{raw}' is not a number of seconds") from exc
    if value <= 0:
        raise DemogenError(f"{LEASE_SECONDS_ENV}='{raw}' must be more than 0 seconds")
    return value


def now_utc() -> datetime:
    return datetime.now(UTC)


def _json(value: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    return json.loads(value)


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str)


@dataclass
class PatchJob:
    id: str
    tenant_id: str
    created_by_id: str
    mode: str
    plan_type: str
    patch_plan_json: dict[str, Any]
    seed: str
    range_start_month: str
    range_end_month: str
    status: str = "pending"
    original_job_id: str | None = None
    tolerance_config: dict[str, Any] | None = None
    before_kpis_json: list[dict[str, Any]] | None = None
    after_kpis_json: list[dict[str, Any]] | None = None
    diff_report_json: dict[str, Any] | None = None
    progress: int = 0
    current_step: str | None = None
    logs: list[dict[str, Any]] = field(default_factory=list)
    metrics_json: dict[str, Any] | None = None
    error_message: str | None = None
    error_stack: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.completed_at:
            return round((self.completed_at - self.started_at).total_seconds(), 2)
        return None

    def to_response(self) -> dict[str, Any]:
        """The job as the API and `--json` show it (camelCase), plus a few history fields."""
        metrics = self.metrics_json or {"recordsCreated": 0, "recordsModified": 0, "recordsDeleted": 0}
        return {
            "id": self.id,
            "tenantId": self.tenant_id,
            "status": self.status,
            "mode": self.mode,
            "planType": self.plan_type,
            "patchPlan": self.patch_plan_json,
            "seed": self.seed,
            "rangeStartMonth": self.range_start_month,
            "rangeEndMonth": self.range_end_month,
            "tolerances": self.tolerance_config,
            "originalJobId": self.original_job_id,
            "createdById": self.created_by_id,
            "beforeKpis": self.before_kpis_json or [],
            "afterKpis": self.after_kpis_json or [],
            "diffReport": self.diff_report_json or {},
            "metrics": metrics,
            "progress": self.progress,
            "currentStep": self.current_step,
            "logs": self.logs,
            "createdAt": _iso(self.created_at),
            "startedAt": _iso(self.started_at),
            "completedAt": _iso(self.completed_at),
            "durationSeconds": self.duration_seconds,
            "errorMessage": self.error_message,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


_COLUMNS = tuple(PatchJob.__dataclass_fields__)


def _from_row(row: dict[str, Any]) -> PatchJob:
    values = {k: (_json(row[k]) if k in _JSON_COLUMNS else row[k]) for k in _COLUMNS}
    values["logs"] = values["logs"] or []
    return PatchJob(**values)


def get_job(store: Store, job_id: str) -> PatchJob | None:
    try:
        row = store.query_one(f"SELECT {', '.join(_COLUMNS)} FROM demo_patch_jobs WHERE id = ?", (job_id,))
    except Exception as exc:  # a malformed uuid is a user's typo, not a crash
        if "uuid" in str(exc).lower():
            raise DemogenError(f"'{job_id}' is not a job id (a UUID)") from exc
        raise
    return _from_row(row) if row else None


def require_job(store: Store, job_id: str) -> PatchJob:
    job = get_job(store, job_id)
    if job is None:
        raise DemogenError(f"unknown job '{job_id}' (see `demogen jobs`)")
    return job


def list_jobs(store: Store, tenant_id: str | None = None, limit: int = 100) -> list[PatchJob]:
    where, params = ("WHERE tenant_id = ?", (tenant_id,)) if tenant_id else ("", ())
    rows = store.query(
        f"SELECT {', '.join(_COLUMNS)} FROM demo_patch_jobs {where} ORDER BY created_at DESC, id LIMIT {int(limit)}",
        params,
    )
    return [_from_row(r) for r in rows]


def insert_job(store: Store, job: PatchJob) -> bool:
    """Insert a pending job; False when a job with this id already exists (idempotency, races)."""
    j = store.json_type
    inserted = store.query(
        "INSERT INTO demo_patch_jobs (id, tenant_id, original_job_id, created_by_id, mode, plan_type, "
        "patch_plan_json, seed, range_start_month, range_end_month, tolerance_config, status, progress, logs, "
        f"created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, CAST(? AS {j}), ?, ?, ?, CAST(? AS {j}), 'pending', 0, "
        f"CAST(? AS {j}), ?, ?) ON CONFLICT (id) DO NOTHING RETURNING id",
        (
            job.id,
            job.tenant_id,
            job.original_job_id,
            job.created_by_id,
            job.mode,
            job.plan_type,
            _dump(job.patch_plan_json),
            job.seed,
            job.range_start_month,
            job.range_end_month,
            _dump(job.tolerance_config),
            _dump(job.logs),
            now_utc(),
            now_utc(),
        ),
    )
    return bool(inserted)


def _where_current(job: PatchJob) -> tuple[str, tuple[Any, ...]]:
    """The row as this run last wrote it: same status, same lease owner."""
    return "id = ? AND status = ? AND lease_owner IS NOT DISTINCT FROM ?", (job.id, job.status, job.lease_owner)


def _refused(store: Store, job: PatchJob, wanted: str) -> JobStateError:
    actual = get_job(store, job.id)
    if actual is None:
        return JobStateError(job.id, f"job {job.id} no longer exists; cannot {wanted}")
    if actual.status != job.status:
        why = f"it is {actual.status} now, not {job.status} (another run moved it)"
    else:
        why = f"another run holds it now (its lease was taken over after {job.lease_owner or 'none'})"
    return JobStateError(job.id, f"job {job.id} cannot {wanted}: {why}", actual)


def _write(store: Store, job: PatchJob, changes: dict[str, Any], wanted: str) -> PatchJob:
    """One conditional UPDATE: applied only if the row is still as this run last saw it."""
    changes["updated_at"] = now_utc()
    status = changes.get("status", job.status)
    if status == "running":  # every write of the owner renews its lease
        changes["lease_expires_at"] = changes["updated_at"] + timedelta(seconds=lease_seconds())
    elif "status" in changes:
        changes["lease_expires_at"] = None
    sets = ", ".join(f"{k} = CAST(? AS {store.json_type})" if k in _JSON_COLUMNS else f"{k} = ?" for k in changes)
    values = [(_dump(v) if k in _JSON_COLUMNS else v) for k, v in changes.items()]
    where, params = _where_current(job)
    if store.execute(f"UPDATE demo_patch_jobs SET {sets} WHERE {where}", (*values, *params)) != 1:
        raise _refused(store, job, wanted)
    for key, value in changes.items():
        setattr(job, key, value)
    return job


def update_job(store: Store, job: PatchJob, **changes: Any) -> PatchJob:
    """Write fields of the job (not its status: see `transition`) if no other run moved it meanwhile."""
    if "status" in changes or "lease_owner" in changes:
        raise ValueError("a job's status and lease change only through transition()")
    return _write(store, job, changes, "be updated")


def transition(store: Store, job: PatchJob, to: str, **changes: Any) -> PatchJob:
    """Move the job to status `to` if that is a legal move from the status it is still in; else JobStateError.

    Moving to running takes the job's lease under a new owner (this run).
    """
    if (job.status, to) not in TRANSITIONS:
        raise JobStateError(job.id, f"job {job.id} is {job.status}: it cannot become {to}")
    changes["status"] = to
    if to == "running":
        changes["lease_owner"] = str(uuid.uuid4())
    return _write(store, job, changes, f"go from {job.status} to {to}")


def interrupted_jobs(store: Store, tenant_id: str) -> list[PatchJob]:
    """Running jobs of the tenant whose lease ran out: their owner stopped without finishing."""
    rows = store.query(
        f"SELECT {', '.join(_COLUMNS)} FROM demo_patch_jobs WHERE tenant_id = ? AND status = 'running' "
        "AND (lease_expires_at IS NULL OR lease_expires_at < ?) ORDER BY created_at",
        (tenant_id, now_utc()),
    )
    return [_from_row(r) for r in rows]


def mark_interrupted(store: Store, job: PatchJob) -> PatchJob:
    """Fail a running job whose lease ran out: its owner stopped during its current step."""
    lease = f"ran out at {_iso(job.lease_expires_at)}" if job.lease_expires_at else "was never taken"
    message = f"interrupted: its run stopped after step {job.current_step or 'start'} and its lease {lease}"
    entry = {"at": now_utc().isoformat(), "level": "error", "step": job.current_step or "start", "message": message}
    return transition(
        store, job, "failed", logs=[*job.logs, entry], error_message=message, error_stack=None, completed_at=now_utc()
    )


def log_step(
    store: Store, job: PatchJob, step: str, message: str, progress: int | None = None, level: str = "info"
) -> PatchJob:
    """Append a timestamped entry to the job's logs and move its current step and progress."""
    entry = {"at": now_utc().isoformat(), "level": level, "step": step, "message": message}
    changes: dict[str, Any] = {"logs": [*job.logs, entry], "current_step": step}
    if progress is not None:
        changes["progress"] = max(job.progress, min(100, progress))
    return update_job(store, job, **changes)


def fail_job(store: Store, job: PatchJob, error: BaseException, step: str) -> PatchJob:
    """Running (or pending) → failed: the error's first line, its stack and a log entry, in one conditional write."""
    message = (str(error).strip().splitlines() or [type(error).__name__])[0]
    stack = "".join(traceback.format_exception(error))
    entry = {"at": now_utc().isoformat(), "level": "error", "step": step, "message": f"failed: {message}"}
    return transition(
        store,
        job,
        "failed",
        logs=[*job.logs, entry],
        current_step=step,
        error_message=message,
        error_stack=stack,
        completed_at=now_utc(),
    )

"""The server's background jobs: a bounded pool of worker threads, one running job per tenant.

A plan accepted by the API becomes a pending job row and a submission here. A tenant's
submissions run one after the other (the rest wait, pending); different tenants run side by
side, up to `workers` at once. Each run is `apply_plan`, exactly as the CLI runs it, on a
connection of its own, so a job's progress, steps and logs are on its row for anyone to read.

When the server stops, jobs still waiting fail with a sentence saying so (apply the plan again
to run them), and running jobs stop at their next step boundary before publishing: their
drafts are discarded and the job fails. A job past that point, or one that does not reach a
boundary within the grace period, is left to the interrupted-job recovery: publishing is one
transaction, so nothing is ever half-published.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass

from flows.engine.run import apply_plan
from flows.plan.model import PatchPlan
from flows.store import connect
from flows.store.base import Store
from flows.store.jobs import JobStateError, fail_job, get_job
from generators.errors import DemogenError

log = logging.getLogger(__name__)

# Steps after which a stopping server interrupts a job: each runs inside the job's failure handling,
# and nothing of the job is live before publish.
_INTERRUPTIBLE = frozenset({"generate", "write", "audit"})


class ServerStopping(DemogenError):
    """The server is stopping: the job stops at a step boundary before publishing anything."""


@dataclass(frozen=True)
class Submission:
    job_id: str
    tenant_id: str
    plan: PatchPlan
    actor_id: str


class JobRunner:
    """Runs submitted jobs on `workers` daemon threads, one job per tenant at a time."""

    def __init__(self, database_url: str, workers: int) -> None:
        self.database_url = database_url
        self._guard = threading.Lock()
        self._running: dict[str, str] = {}  # tenant id -> job id
        self._waiting: dict[str, deque[Submission]] = {}
        self._known: set[str] = set()
        self._ready: queue.Queue[Submission | None] = queue.Queue()
        self._stopping = threading.Event()
        self._idle = threading.Condition(self._guard)
        self._threads = [
            threading.Thread(target=self._work, name=f"demogen-job-{i + 1}", daemon=True) for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def knows(self, job_id: str) -> bool:
        """The job waits or runs here."""
        with self._guard:
            return job_id in self._known

    def busy(self, tenant_id: str) -> bool:
        with self._guard:
            return tenant_id in self._running

    def submit(self, submission: Submission) -> None:
        """Run the job when its tenant is free (at once if it is); a job already here is not added twice."""
        with self._guard:
            if self._stopping.is_set():
                raise DemogenError("the server is stopping: apply the plan again once it is back")
            if submission.job_id in self._known:
                return
            self._known.add(submission.job_id)
            if submission.tenant_id in self._running:
                self._waiting.setdefault(submission.tenant_id, deque()).append(submission)
                log.info("job %s waits for tenant %s", submission.job_id, submission.tenant_id)
                return
            self._running[submission.tenant_id] = submission.job_id
        self._ready.put(submission)

    def _work(self) -> None:
        while True:
            submission = self._ready.get()
            if submission is None:
                return
            try:
                self._run(submission)
            finally:
                self._next(submission)

    def _next(self, done: Submission) -> None:
        """The tenant's next waiting job, if any, takes the freed turn."""
        with self._guard:
            self._known.discard(done.job_id)
            waiting = self._waiting.get(done.tenant_id)
            following = waiting.popleft() if waiting else None
            if following is None:
                self._running.pop(done.tenant_id, None)
                self._waiting.pop(done.tenant_id, None)
                self._idle.notify_all()
                return
            self._running[done.tenant_id] = following.job_id
        self._ready.put(following)

    def _run(self, submission: Submission) -> None:
        started = time.monotonic()
        store = connect(self.database_url)
        try:
            if self._stopping.is_set():
                self._fail_pending(store, submission.job_id, ServerStopping(_NOT_RUN))
                return
            job = apply_plan(
                store,
                submission.plan,
                job_id=submission.job_id,
                source="web",
                actor_id=submission.actor_id,
                progress=self._progress,
            )
            log.info("job %s %s in %.1f s", job.id, job.status, time.monotonic() - started)
        except Exception as exc:  # refused before it ran (the plan no longer holds, the tenant stayed locked…)
            log.warning("job %s did not run: %s", submission.job_id, exc)
            self._fail_pending(store, submission.job_id, exc)
        finally:
            store.close()

    def _progress(self, step: str, pct: int, message: str) -> None:
        if self._stopping.is_set() and step in _INTERRUPTIBLE:
            raise ServerStopping("the server stopped before the job published anything: apply the plan again")

    @staticmethod
    def _fail_pending(store: Store, job_id: str, error: BaseException) -> None:
        """A job that never started fails with the reason, so nobody waits for it; any other state stands."""
        job = get_job(store, job_id)
        if job is None or job.status != "pending":
            return
        with contextlib.suppress(JobStateError):  # another run started or failed it meanwhile: its record stands
            fail_job(store, job, error, "prepare")

    def stop(self, grace_seconds: float) -> None:
        """Fail the waiting jobs, ask running ones to stop before publishing, and wait up to the grace period."""
        self._stopping.set()
        with self._guard:
            waiting = [s for queued in self._waiting.values() for s in queued]
            for s in waiting:
                self._known.discard(s.job_id)
            self._waiting.clear()
        if waiting:
            store = connect(self.database_url)
            try:
                for s in waiting:
                    self._fail_pending(store, s.job_id, ServerStopping(_NOT_RUN))
            finally:
                store.close()
        deadline = time.monotonic() + grace_seconds
        with self._guard:
            while self._running and time.monotonic() < deadline:
                self._idle.wait(timeout=max(0.0, deadline - time.monotonic()))
            left = dict(self._running)
        for _ in self._threads:
            self._ready.put(None)
        for job_id in left.values():
            log.warning("job %s is still running as the server stops: its lease will mark it interrupted", job_id)


_NOT_RUN = "the server stopped before this job ran: apply the plan again"

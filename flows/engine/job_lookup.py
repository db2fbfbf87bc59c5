"""Finding patch jobs as people name them: by an id prefix, with their tenant and creator by name."""

from __future__ import annotations

import re

from flows.kpis.reports import JobNames
from flows.store.base import Store
from flows.store.jobs import PatchJob, list_jobs, require_job
from flows.store.tenants import find_tenant
from generators.errors import DemogenError

MIN_PREFIX = 8
WHOLE_ID = 36
_PREFIX = re.compile(r"[0-9a-fA-F-]+")


def resolve_job_id(store: Store, ref: str) -> str:
    """The full id of the one job whose id is `ref` or starts with it (8 characters or more)."""
    if len(ref) >= WHOLE_ID or not _PREFIX.fullmatch(ref):
        return ref  # a whole id, or not an id at all: require_job names it when no job has it
    if len(ref) < MIN_PREFIX:
        raise DemogenError(f"job id prefix '{ref}' is too short: give at least {MIN_PREFIX} characters")
    rows = store.query(
        "SELECT id FROM demo_patch_jobs WHERE CAST(id AS VARCHAR) LIKE ? ORDER BY id LIMIT 3",
        (ref.lower() + "%",),
    )
    if not rows:
        raise DemogenError(f"no job id starts with '{ref}' (see `demogen jobs`)")
    if len(rows) > 1:
        starts = ", ".join(str(r["id"]) for r in rows[:2]) + (", …" if len(rows) > 2 else "")
        raise DemogenError(f"job id prefix '{ref}' is ambiguous ({starts}): give more characters")
    return str(rows[0]["id"])


def require_job_ref(store: Store, ref: str) -> PatchJob:
    """The job `ref` names by its id or an unambiguous prefix of 8+ characters."""
    return require_job(store, resolve_job_id(store, ref))


def job_names(store: Store, job: PatchJob) -> JobNames:
    """The job's tenant as 'Name (slug)' and its creator as 'Name <email>'; the ids where a row is gone."""
    tenant = find_tenant(store, job.tenant_id)
    user = store.query_one("SELECT name, email FROM users WHERE id = ?", (job.created_by_id,))
    return JobNames(
        tenant=f"{tenant.name} ({tenant.slug})" if tenant else job.tenant_id,
        created_by=f"{user['name']} <{user['email']}>" if user else job.created_by_id,
    )


def jobs_with_tenant_slugs(store: Store, tenant_id: str | None = None) -> list[tuple[PatchJob, str]]:
    """Jobs newest first, each with its tenant's slug (its id if the tenant is gone)."""
    slugs = {r["id"]: r["slug"] for r in store.query("SELECT id, slug FROM tenants")}
    return [(job, slugs.get(job.tenant_id, job.tenant_id)) for job in list_jobs(store, tenant_id)]

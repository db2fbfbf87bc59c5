"""Creating a demo tenant: tenant row, users, pipeline stages, a generation job, then its data as a patch."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flows.engine.jobs import PatchJob, now_utc
from flows.engine.run import apply_plan
from flows.engine.steps import Progress
from flows.plan.model import PatchPlan
from flows.plan.templates import load_template, month_metrics
from flows.store.base import Store
from flows.store.migrate import NAMESPACE, current_actor
from flows.store.tenants import Tenant, find_tenant, resolve_tenant
from generators.calendar import month_index, month_of, month_range, month_start
from generators.errors import DemogenError, UsageError

# Open stages in pipeline order, then one won and one lost stage (is_won / is_lost).
STAGES: tuple[tuple[str, bool, bool], ...] = (
    ("Lead In", False, False),
    ("Qualified", False, False),
    ("Proposal Sent", False, False),
    ("Negotiation", False, False),
    ("Closed Won", True, False),
    ("Closed Lost", False, True),
)
SALES_REPS = 4


@dataclass(frozen=True)
class CreatedTenant:
    tenant: Tenant
    generation_job_id: str
    patch_job: PatchJob

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.tenant.id,
            "slug": self.tenant.slug,
            "name": self.tenant.name,
            "generationJobId": self.generation_job_id,
            "patchJobId": self.patch_job.id,
            "status": self.patch_job.status,
            "recordsCreated": (self.patch_job.metrics_json or {}).get("recordsCreated", 0),
        }


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _check_args(name: str, slug: str, first: str, last: str, timezone: str, locale: str, now: datetime) -> None:
    if not name.strip():
        raise UsageError("--name must not be empty")
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug):
        raise UsageError(f"slug '{slug}' is not valid: use lowercase letters, digits and dashes")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown timezone '{timezone}': use an IANA name such as America/New_York") from None
    from faker.config import AVAILABLE_LOCALES

    if locale not in AVAILABLE_LOCALES:
        raise UsageError(f"unknown locale '{locale}': use a Faker locale such as en_US, de_DE or fr_FR")
    month_range(first, last)
    if month_index(last) > month_index(month_of(now, timezone)):
        raise UsageError(f"--to {last} is in the future")


def _users(tenant_id: str, slug: str, locale: str, seed: str) -> list[tuple[str, str, str, str]]:
    from faker import Faker

    fake = Faker(locale)
    fake.seed_instance(f"{seed}:users")
    users = []
    for n in range(SALES_REPS):
        first, last = fake.first_name(), fake.last_name()
        local = re.sub(r"[^a-z]", "", f"{first}.{last}".lower().encode("ascii", "ignore").decode()) or f"rep{n}"
        email = f"{local}{n}@{slug}.demo"
        role = "admin" if n == 0 else "sales_rep"
        users.append((str(uuid.uuid5(uuid.UUID(tenant_id), f"user:{n}")), email, f"{first} {last}", role))
    return users


def create_demo_tenant(
    store: Store,
    *,
    name: str,
    first: str,
    last: str,
    slug: str | None = None,
    template: str = "steady-growth",
    seed: str | None = None,
    timezone: str = "UTC",
    locale: str = "en_US",
    currency: str = "USD",
    now: datetime | None = None,
    progress: Progress | None = None,
) -> CreatedTenant:
    """Create a demo tenant whose months first..last are filled from a template, through the patch engine.

    With a seed, the same arguments give the same tenant, ids and rows on any database.
    Re-running after a failed generation resumes it; a finished tenant's slug is refused.
    """
    now = now or now_utc()
    slug = slug or slugify(name)
    _check_args(name, slug, first, last, timezone, locale, now)
    tmpl = load_template(template)
    seed = seed or uuid.uuid4().hex[:16]
    tenant_id = str(uuid.uuid5(NAMESPACE, f"tenant:{slug}:{seed}"))
    generation_id = str(uuid.uuid5(uuid.UUID(tenant_id), "generation"))

    existing = find_tenant(store, slug)
    if existing is not None:
        status = store.scalar("SELECT status FROM demo_generation_jobs WHERE tenant_id = ?", (existing.id,))
        if status == "completed" or existing.id != tenant_id:
            raise DemogenError(f"a tenant with slug '{slug}' already exists ({existing.id})")
    else:
        created_at = month_start(first, timezone)
        actor = current_actor(store)
        with store.transaction():
            store.execute(
                "INSERT INTO tenants (id, name, slug, demo_generated, timezone, locale, currency, created_at, "
                "updated_at) VALUES (?, ?, ?, TRUE, ?, ?, ?, ?, ?)",
                (tenant_id, name, slug, timezone, locale, currency, created_at, created_at),
            )
            for user_id, email, full_name, role in _users(tenant_id, slug, locale, seed):
                store.execute(
                    "INSERT INTO users (id, tenant_id, email, name, role, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (user_id, tenant_id, email, full_name, role, created_at),
                )
            for position, (stage, won, lost) in enumerate(STAGES):
                store.execute(
                    "INSERT INTO pipeline_stages (id, tenant_id, name, position, is_won, is_lost, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        str(uuid.uuid5(uuid.UUID(tenant_id), f"stage:{stage}")),
                        tenant_id,
                        stage,
                        position,
                        won,
                        lost,
                        created_at,
                    ),
                )
            store.execute(
                "INSERT INTO demo_generation_jobs (id, tenant_id, created_by_id, template, seed, range_start_month, "
                f"range_end_month, params_json, status) VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS {store.json_type}), "
                "'running')",
                (
                    generation_id,
                    tenant_id,
                    actor,
                    template,
                    seed,
                    first,
                    last,
                    f'{{"name": "{name}", "timezone": "{timezone}", "locale": "{locale}", "currency": "{currency}"}}',
                ),
            )
    tenant = resolve_tenant(store, tenant_id)
    plan = PatchPlan.model_validate(
        {
            "tenant": tenant_id,
            "mode": "additive",
            "planType": "deltas",
            "seed": seed,
            "months": [{"month": m, "metrics": month_metrics(tmpl, m, first)} for m in month_range(first, last)],
        }
    )
    job = apply_plan(
        store, plan, as_of=now, original_job_id=generation_id, source=f"template {template}", progress=progress
    )
    store.execute(
        "UPDATE demo_generation_jobs SET status = ?, error_message = ?, completed_at = ?, updated_at = ? WHERE id = ?",
        (job.status, job.error_message, job.completed_at, datetime.now(UTC), generation_id),
    )
    return CreatedTenant(tenant, generation_id, job)

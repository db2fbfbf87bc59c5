"""Creating a demo tenant: tenant row, users, pipeline stages, a generation job, then its data as a patch."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flows.engine.run import apply_plan
from flows.engine.steps import Progress
from flows.plan.limits import MAX_PLAN_MONTHS, check_text
from flows.plan.model import PatchPlan
from flows.plan.readers import read_plan_file
from flows.plan.templates import Template, load_template, month_metrics
from flows.store.base import Store
from flows.store.jobs import PatchJob, now_utc
from flows.store.migrate import NAMESPACE, current_actor
from flows.store.paths import PLANS_DIR
from flows.store.schema import (
    CURRENCY_LENGTH,
    LOCALE_LENGTH,
    SEED_LENGTH,
    SLUG_LENGTH,
    TENANT_NAME_LENGTH,
    TIMEZONE_LENGTH,
)
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
    """The name as a slug: lowercase letters, digits and dashes, as long as a slug may be."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower())[:SLUG_LENGTH].strip("-")


def _check_args(
    name: str, slug: str, first: str, last: str, timezone: str, locale: str, currency: str, now: datetime
) -> None:
    """Refuse what the tenant row could not hold, before the database does (the same way on every backend)."""
    if not name.strip():
        raise UsageError("--name must not be empty")
    check_text(name, "--name", TENANT_NAME_LENGTH)
    check_text(slug, "slug", SLUG_LENGTH)
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug):
        raise UsageError(f"slug {slug!r} is not valid: use lowercase letters, digits and dashes")
    if len(currency) != CURRENCY_LENGTH or not re.fullmatch(r"[A-Z]+", currency):
        raise UsageError(f"currency {currency!r} is not valid: use a 3-letter ISO 4217 code such as USD or EUR")
    check_text(timezone, "timezone", TIMEZONE_LENGTH)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UsageError(f"unknown timezone {timezone!r}: use an IANA name such as America/New_York") from None
    from faker.config import AVAILABLE_LOCALES  # Faker is slow to import; only tenant creation needs it

    if locale not in AVAILABLE_LOCALES or len(locale) > LOCALE_LENGTH:
        raise UsageError(f"unknown locale {locale!r}: use a Faker locale such as en_US, de_DE or fr_FR")
    months = len(month_range(first, last))
    if months > MAX_PLAN_MONTHS:
        raise UsageError(f"--from {first} to --to {last} spans {months:,} months: at most {MAX_PLAN_MONTHS} at a time")
    if month_index(last) > month_index(month_of(now, timezone)):
        raise UsageError(f"--to {last} is in the future")


def _users(tenant_id: str, slug: str, locale: str, seed: str) -> list[tuple[str, str, str, str]]:
    from faker import Faker  # Faker is slow to import; only tenant creation needs it

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
    _check_args(name, slug, first, last, timezone, locale, currency, now)
    if seed is not None:
        check_text(seed, "--seed", SEED_LENGTH)
    tmpl = load_template(template)
    seed = seed or uuid.uuid4().hex[:16]
    tenant_id = str(uuid.uuid5(NAMESPACE, f"tenant:{slug}:{seed}"))
    generation_id = str(uuid.uuid5(uuid.UUID(tenant_id), "generation"))
    if not _resuming(store, slug, tenant_id):
        new = NewTenant(tenant_id, name, slug, timezone, locale, currency)
        actor = current_actor(store)
        with store.transaction():
            _insert_tenant(store, new, first, seed)
            _insert_generation_job(store, new, actor, generation_id, template, seed, first, last)
    tenant = resolve_tenant(store, tenant_id)
    plan = _template_plan(tenant_id, tmpl, seed, first, last)
    job = apply_plan(
        store, plan, as_of=now, original_job_id=generation_id, source=f"template {template}", progress=progress
    )
    _finish_generation_job(store, generation_id, job)
    return CreatedTenant(tenant, generation_id, job)


@dataclass(frozen=True)
class NewTenant:
    """The tenant row of a demo tenant about to be created."""

    id: str
    name: str
    slug: str
    timezone: str
    locale: str
    currency: str


def _resuming(store: Store, slug: str, tenant_id: str) -> bool:
    """True when this very tenant exists with an unfinished generation; refuses any other tenant with the slug."""
    existing = find_tenant(store, slug)
    if existing is None:
        return False
    status = store.scalar("SELECT status FROM demo_generation_jobs WHERE tenant_id = ?", (existing.id,))
    if status == "completed" or existing.id != tenant_id:
        raise DemogenError(f"a tenant with slug '{slug}' already exists ({existing.id})")
    return True


def _insert_tenant(store: Store, tenant: NewTenant, first: str, seed: str) -> None:
    """The tenant, its sales team and its pipeline, all created at the start of its first month."""
    created_at = month_start(first, tenant.timezone)
    store.execute(
        "INSERT INTO tenants (id, name, slug, demo_generated, timezone, locale, currency, created_at, "
        "updated_at) VALUES (?, ?, ?, TRUE, ?, ?, ?, ?, ?)",
        (tenant.id, tenant.name, tenant.slug, tenant.timezone, tenant.locale, tenant.currency, created_at, created_at),
    )
    _insert_users(store, tenant, seed, created_at)
    _insert_stages(store, tenant.id, created_at)


def _insert_users(store: Store, tenant: NewTenant, seed: str, created_at: datetime) -> None:
    for user_id, email, full_name, role in _users(tenant.id, tenant.slug, tenant.locale, seed):
        store.execute(
            "INSERT INTO users (id, tenant_id, email, name, role, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (user_id, tenant.id, email, full_name, role, created_at),
        )


def _insert_stages(store: Store, tenant_id: str, created_at: datetime) -> None:
    for position, (stage, won, lost) in enumerate(STAGES):
        stage_id = str(uuid.uuid5(uuid.UUID(tenant_id), f"stage:{stage}"))
        store.execute(
            "INSERT INTO pipeline_stages (id, tenant_id, name, position, is_won, is_lost, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (stage_id, tenant_id, stage, position, won, lost, created_at),
        )


def _insert_generation_job(
    store: Store, tenant: NewTenant, actor: str, generation_id: str, template: str, seed: str, first: str, last: str
) -> None:
    """The running demo_generation_jobs row; its params are JSON (json.dumps: names may hold quotes)."""
    params = {"name": tenant.name, "timezone": tenant.timezone, "locale": tenant.locale, "currency": tenant.currency}
    store.execute(
        "INSERT INTO demo_generation_jobs (id, tenant_id, created_by_id, template, seed, range_start_month, "
        f"range_end_month, params_json, status) VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS {store.json_type}), "
        "'running')",
        (generation_id, tenant.id, actor, template, seed, first, last, json.dumps(params)),
    )


def _template_plan(tenant_id: str, template: Template, seed: str, first: str, last: str) -> PatchPlan:
    """An ADDITIVE DELTAS plan filling months first..last from the template."""
    return PatchPlan.model_validate(
        {
            "tenant": tenant_id,
            "mode": "additive",
            "planType": "deltas",
            "seed": seed,
            "months": [{"month": m, "metrics": month_metrics(template, m, first)} for m in month_range(first, last)],
        }
    )


def _finish_generation_job(store: Store, generation_id: str, job: PatchJob) -> None:
    store.execute(
        "UPDATE demo_generation_jobs SET status = ?, error_message = ?, completed_at = ?, updated_at = ? WHERE id = ?",
        (job.status, job.error_message, job.completed_at, datetime.now(UTC), generation_id),
    )


# --- the README's main job: `demogen demo` -------------------------------------------------------

DEMO_NAME = "Acme Corp Demo"
DEMO_SLUG = "acme-corp-demo"
DEMO_FIRST, DEMO_LAST = "2024-01", "2024-12"
DEMO_TEMPLATE = "steady-growth"
DEMO_PLAN = PLANS_DIR / "examples" / "first-quarter-2025.yaml"


def demo_tenant_exists(store: Store) -> bool:
    return find_tenant(store, DEMO_SLUG) is not None


def create_demo_acme(store: Store, progress: Progress | None = None) -> CreatedTenant:
    """Create 'Acme Corp Demo' with 2024 from the steady-growth template; fails if its generation failed."""
    created = create_demo_tenant(
        store,
        name=DEMO_NAME,
        slug=DEMO_SLUG,
        first=DEMO_FIRST,
        last=DEMO_LAST,
        template=DEMO_TEMPLATE,
        seed="acme",
        timezone="America/New_York",
        progress=progress,
    )
    require_completed(created)
    return created


def require_completed(created: CreatedTenant) -> CreatedTenant:
    """The created tenant, or an error naming it when generating its data failed."""
    if created.patch_job.status != "completed":
        raise DemogenError(f"generating {created.tenant.slug} failed: {created.patch_job.error_message}")
    return created


def demo_plan() -> PatchPlan:
    """The example plan the demo applies to Acme Corp Demo (DELTAS, 2025-01 … 2025-03)."""
    return read_plan_file(str(DEMO_PLAN))


def apply_demo_plan(store: Store, progress: Progress | None = None) -> PatchJob:
    """Apply the example plan to Acme Corp Demo (idempotent: a completed job is returned unchanged)."""
    return apply_plan(store, demo_plan(), source=f"demo: {DEMO_PLAN.name}", progress=progress)

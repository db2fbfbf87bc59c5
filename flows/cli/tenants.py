"""`demogen tenant create | demo`: demo tenants generated from a template, and the README's main job."""

from __future__ import annotations

import click

from flows.cli import output
from flows.cli.group import cli
from flows.cli.options import MONTH, database_option, json_option
from flows.cli.output import applied_json, print_json, progress_bar, show_already_applied, show_job
from flows.engine.demo_tenants import (
    DEMO_FIRST,
    DEMO_LAST,
    DEMO_NAME,
    DEMO_PLAN,
    DEMO_TEMPLATE,
    apply_demo_plan,
    create_demo_acme,
    create_demo_tenant,
    demo_plan,
    demo_tenant_exists,
    require_completed,
)
from flows.engine.run import completed_job
from flows.engine.steps import job_id_for
from flows.store import open_store
from generators.errors import DemogenError


@cli.group()
def tenant() -> None:
    """Create demo tenants."""


@tenant.command("create")
@click.option("--name", required=True, help="Display name, e.g. 'Acme Corp Demo'.")
@click.option("--slug", help="URL-safe id (default: from the name).")
@click.option("--from", "first", type=MONTH, required=True, help="First month of data (tenant created then).")
@click.option("--to", "last", type=MONTH, required=True, help="Last month of data.")
@click.option("--template", default="steady-growth", show_default=True, help="A growth template of plans/templates/.")
@click.option("--seed", help="Same seed and arguments → identical tenant, ids and rows.")
@click.option("--timezone", default="UTC", show_default=True, help="IANA timezone of the tenant.")
@click.option("--locale", default="en_US", show_default=True, help="Faker locale of names, phones and titles.")
@click.option("--currency", default="USD", show_default=True, help="ISO 4217 currency of deal values.")
@database_option
@json_option
def tenant_create(
    name: str,
    slug: str | None,
    first: str,
    last: str,
    template: str,
    seed: str | None,
    timezone: str,
    locale: str,
    currency: str,
    database: str | None,
    as_json: bool,
) -> None:
    """Create a demo tenant and generate every month's data from a template."""
    with open_store(database) as store, progress_bar(not as_json) as report:
        created = create_demo_tenant(
            store,
            name=name,
            slug=slug,
            first=first,
            last=last,
            template=template,
            seed=seed,
            timezone=timezone,
            locale=locale,
            currency=currency.upper(),
            progress=report,
        )
    if as_json:
        print_json(created.as_dict())
    else:
        output.console.print(
            f"Created demo tenant [bold]{created.tenant.name}[/] ({created.tenant.slug}, "
            f"{created.tenant.id}); generation job {created.generation_job_id}"
        )
        show_job(created.patch_job)
    require_completed(created)


@cli.command()
@database_option
@json_option
def demo(database: str | None, as_json: bool) -> None:
    """The main job: create 'Acme Corp Demo' (2024) if absent, apply the example plan, compare."""
    with open_store(database) as store:
        if not demo_tenant_exists(store):
            if not as_json:
                output.console.print(
                    f"Creating demo tenant {DEMO_NAME} ({DEMO_FIRST} … {DEMO_LAST}, template {DEMO_TEMPLATE})"
                )
            with progress_bar(not as_json) as report:
                create_demo_acme(store, progress=report)
        if not as_json:
            output.console.print(f"Applying {DEMO_PLAN.relative_to(DEMO_PLAN.parents[2])} (DELTAS, 2025-01 … 2025-03)")
        result = completed_job(store, demo_plan(), job_id_for(store, demo_plan()))
        was_applied = result is not None
        if result is None:
            with progress_bar(not as_json) as report:
                result = apply_demo_plan(store, progress=report)
    if as_json:
        print_json(applied_json(result, was_applied=was_applied))
    elif was_applied:
        show_already_applied(result)
    else:
        show_job(result)
        output.console.print(f"\nExport the report: demogen job export {result.id[:8]} --format html -o report.html")
    if result.status != "completed":
        raise DemogenError(f"job {result.id} failed: {result.error_message}")

"""Prefect artifacts of demogen runs, with stable keys per tenant so the UI keeps their history.

The builders are plain functions (tests call them without Prefect); `publish_*` send them.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)

from flows.kpis.numbers import format_value
from flows.kpis.reads import MonthKpis
from flows.kpis.reports import already_applied, comparison_rows, records_created
from flows.store.jobs import PatchJob
from flows.store.tenants import Tenant, TenantSummary
from generators.metrics import METRICS

_NOT_KEY = re.compile(r"[^a-z0-9-]+")


def artifact_key(prefix: str, slug: str) -> str:
    """`prefix-slug` as Prefect wants keys: lowercase letters, digits and dashes only."""
    key = _NOT_KEY.sub("-", f"{prefix}-{slug}".lower())
    return re.sub(r"-{2,}", "-", key).strip("-")


# --- builders -----------------------------------------------------------------------------


def comparison_table(job: PatchJob) -> list[dict[str, str]]:
    """The KPI comparison: month, metric, before, after, delta, % change, target and pass, as the CLI shows them."""
    return [
        {
            "Month": r["month"],
            "Metric": r["metric"],
            "Before": r["before"],
            "After": r["after"],
            "Delta": r["delta"],
            "%": r["pct"],
            "Target": r["target"],
            "Pass": r["pass"],
        }
        for r in comparison_rows(job)
    ]


_PHASES = (("audit", "audit: published ∪ drafts"), ("verification", "verification: live tables"))


def dbt_tests_table(job: PatchJob) -> list[dict[str, Any]]:
    """Each dbt test of the job's audit (before publishing) and verification (after), in run order."""
    report = job.diff_report_json or {}
    rows = [
        {
            "Phase": label,
            "Test": test["name"],
            "Status": test["status"],
            "Failures": test.get("failures"),
            "Seconds": test.get("seconds"),
        }
        for phase, label in _PHASES
        for test in (report.get(phase) or {}).get("tests", [])
    ]
    if not rows:  # a failed audit stores no results: its message names the failed tests
        reason = job.error_message or "no dbt tests ran (the job was already complete)"
        rows = [
            {"Phase": job.current_step or "", "Test": reason, "Status": job.status, "Failures": None, "Seconds": None}
        ]
    return rows


def _dbt_line(job: PatchJob) -> str:
    report = job.diff_report_json or {}
    parts = []
    for phase, label in _PHASES:
        tests = (report.get(phase) or {}).get("tests", [])
        if tests:
            passed = sum(t["status"] == "pass" for t in tests)
            parts.append(f"{label.split(':')[0]} {passed}/{len(tests)} passed")
    return "; ".join(parts) or "—"


def applied_summary_markdown(job: PatchJob, tenant: Tenant, source: str, flow_seconds: float | None = None) -> str:
    """A run whose plan was applied before: it created nothing, and says which job holds what was created."""
    earlier = (job.metrics_json or {}).get("recordsCreated", 0)
    rows = [
        ("Status", "✓ Already applied: nothing created"),
        ("Job id", f"`{job.id}`"),
        ("Tenant", f"{tenant.name} (`{tenant.slug}`)"),
        ("Plan source", source),
        ("Mode / plan type", f"{job.mode} / {job.plan_type}"),
        ("Months", f"{job.range_start_month} … {job.range_end_month}"),
        ("Flow run duration", "—" if flow_seconds is None else f"{flow_seconds:.1f} s"),
        ("Records created", "0"),
        ("Records the job created when it ran", f"{earlier:,}"),
    ]
    lines = [f"# Patch job {job.id}", "", f"**{already_applied(job)}**", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    lines += ["", f"What the job created: `demogen job show {job.id}`"]
    return "\n".join(lines) + "\n"


def summary_markdown(job: PatchJob, tenant: Tenant, source: str, flow_seconds: float | None = None) -> str:
    """The job at a glance: status, tenant, plan source, duration, records created per entity."""
    mark = {"completed": "✓ Completed", "failed": "✗ Failed"}.get(job.status, job.status)
    created = records_created(job)
    total = (job.metrics_json or {}).get("recordsCreated", 0)
    met = (job.diff_report_json or {}).get("allTargetsMet")
    rows = [
        ("Status", mark),
        ("Job id", f"`{job.id}`"),
        ("Tenant", f"{tenant.name} (`{tenant.slug}`)"),
        ("Plan source", source),
        ("Mode / plan type", f"{job.mode} / {job.plan_type}"),
        ("Months", f"{job.range_start_month} … {job.range_end_month}"),
        ("Duration", "—" if job.duration_seconds is None else f"{job.duration_seconds} s"),
        ("Records created", f"{total:,}"),
        ("All KPI targets met", {True: "yes", False: "**no**", None: "—"}[met]),
        ("dbt tests", _dbt_line(job)),
    ]
    if flow_seconds is not None:
        rows.insert(7, ("Flow run duration", f"{flow_seconds:.1f} s"))
    if job.error_message:
        rows.append(("Error", job.error_message.replace("|", "\\|")))
    lines = [f"# Patch job {job.id}", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    if created:
        lines += ["", "## Records created", "", "| Entity | Records |", "|---|---:|"]
        lines += [f"| {entity.title()} | {n:,} |" for entity, n in created.items()]
    lines += ["", f"Full report: `demogen job show {job.id}` or `demogen job export {job.id} --format html`"]
    return "\n".join(lines) + "\n"


def preview_markdown(result: dict[str, Any], tenant: Tenant, source: str) -> str:
    """A validation ({valid, errors, warnings, preview}) for people: what applying would create."""
    lines = [f"# Plan preview: {tenant.name} (`{tenant.slug}`)", "", f"Plan source: {source}", ""]
    if result.get("alreadyApplied"):
        lines += [f"✓ {result['message']}", "", "Applying it again creates nothing: there is nothing to preview."]
        return "\n".join(lines) + "\n"
    lines.append(
        "✓ All metrics valid: nothing was written" if result["valid"] else "✗ **Invalid**: nothing can be applied"
    )
    for title, issues in (("Errors", result["errors"]), ("Warnings", result["warnings"])):
        if issues:
            lines += ["", f"## {title}", ""]
            lines += [f"- `{i['code']}` {i['message']}" for i in issues]
    total = ((result.get("preview") or {}).get("total")) or {}
    records = total.get("records") or {}
    if records:
        lines += ["", "## Estimated records to create", "", "| Entity | Records |", "|---|---:|"]
        lines += [f"| {name} | {n:,} |" for name, n in records.items()]
        if "closedWonValueAdded" in total:
            lines += ["", f"Closed-won value added: {total['closedWonValueAdded']:,}"]
    return "\n".join(lines) + "\n"


def tenants_table(summaries: list[TenantSummary]) -> list[dict[str, Any]]:
    """Demo tenants with their data range and record counts."""
    return [
        {
            "Slug": s.tenant.slug,
            "Name": s.tenant.name,
            "Id": s.tenant.id,
            "Timezone": s.tenant.timezone,
            "Data range": f"{s.first_month} … {s.last_month}" if s.first_month else "no data",
            **{entity.title(): n for entity, n in s.counts.items()},
        }
        for s in summaries
    ]


def kpi_summary_table(kpis: dict[str, MonthKpis]) -> list[dict[str, Any]]:
    """One row per month, one column per KPI."""
    return [
        {"Month": month, **{m.label: format_value(values[m.name], m.name) for m in METRICS}}
        for month, values in kpis.items()
    ]


# --- publishing ----------------------------------------------------------------------------


def create_job_artifacts(
    job: PatchJob, tenant: Tenant, source: str, flow_seconds: float | None = None, *, already_applied: bool = False
) -> dict[str, str]:
    """The KPI comparison, summary and dbt test artifacts of a job; returns their keys.

    A run that found the job already applied did nothing: its one artifact is a summary saying so
    (the comparison and the tests belong to the run that applied it, and the history keeps them).
    """
    if already_applied:
        key = artifact_key("patch-summary", tenant.slug)
        text = applied_summary_markdown(job, tenant, source, flow_seconds)
        create_markdown_artifact(text, key=key, description=f"Already applied: job {job.id}")
        return {"summary": key}
    keys = {
        "comparison": artifact_key("kpi-comparison", tenant.slug),
        "summary": artifact_key("patch-summary", tenant.slug),
        "dbt": artifact_key("dbt-tests", tenant.slug),
    }
    table = comparison_table(job)
    if table:
        create_table_artifact(table, key=keys["comparison"], description=f"KPI comparison of job {job.id}")
    create_markdown_artifact(
        summary_markdown(job, tenant, source, flow_seconds), key=keys["summary"], description=f"Patch job {job.id}"
    )
    create_table_artifact(dbt_tests_table(job), key=keys["dbt"], description=f"dbt audit and verification, {job.id}")
    return keys


def create_preview_artifact(result: dict[str, Any], tenant: Tenant, source: str, prefix: str = "plan-preview") -> str:
    """A validation result as a markdown artifact; returns its key."""
    key = artifact_key(prefix, tenant.slug)
    verdict = "valid" if result["valid"] else "invalid: nothing was written"
    create_markdown_artifact(preview_markdown(result, tenant, source), key=key, description=f"Plan {verdict}")
    return key


class ProgressArtifact:
    """A progress artifact kept current by the engine's progress callback (step, pct, message)."""

    def __init__(self, tenant: Tenant) -> None:
        self.key = artifact_key("patch-progress", tenant.slug)
        created = create_progress_artifact(0.0, key=self.key, description=f"Patching {tenant.name}: starting")
        if not isinstance(created, UUID):  # called from a flow's own thread, Prefect answers synchronously
            raise TypeError("the progress artifact was created asynchronously; call this from a synchronous flow")
        self.id = created

    def __call__(self, step: str, pct: int, message: str) -> None:
        update_progress_artifact(self.id, float(pct), description=f"{step}: {message}")

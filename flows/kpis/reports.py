"""KPI snapshots, the before/after diff report and its exports: Markdown, CSV, JSON, HTML with a chart."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from flows.kpis.numbers import format_delta, format_pct, format_value, to_decimal, to_plain_number
from flows.kpis.reads import MonthKpis, kpis_json
from flows.kpis.realism import stage_rows, summary_rows
from flows.store.jobs import PatchJob
from generators.metrics import METRICS


@dataclass(frozen=True)
class JobNames:
    """Who a job's report is about and who ran it, by name rather than by id."""

    tenant: str
    created_by: str

    @classmethod
    def unknown(cls, job: PatchJob) -> JobNames:
        """The ids themselves, for a report made without a database at hand."""
        return cls(tenant=job.tenant_id, created_by=job.created_by_id)


def snapshot(kpis: Mapping[str, MonthKpis]) -> list[dict[str, Any]]:
    """MonthlyKpiSnapshot[]: [{"month": "2025-01", "metrics": {...}}] with JSON numbers."""
    return kpis_json(dict(kpis))["months"]


def diff_report(
    before: Mapping[str, MonthKpis],
    after: Mapping[str, MonthKpis],
    targets: list[dict[str, Any]],
) -> dict[str, Any]:
    """Per month and metric: before, after, delta, % change, target (or none) and pass."""
    by_key = {(t["month"], t["name"]): t for t in targets}
    months = []
    all_pass = True
    for month in sorted(after):
        rows = []
        for metric in METRICS:
            b, a = to_decimal(before[month][metric.name]), to_decimal(after[month][metric.name])
            target = by_key.get((month, metric.name))
            passed = None
            if target is not None:
                passed = abs(a - to_decimal(target["expected"])) <= to_decimal(target["tolerance"])
                all_pass = all_pass and passed
            rows.append(
                {
                    "metric": metric.name,
                    "label": metric.label,
                    "before": to_plain_number(b),
                    "after": to_plain_number(a),
                    "delta": to_plain_number(a - b),
                    "pctChange": None if b == 0 else round(float((a - b) / b * 100), 2),
                    "target": None if target is None else to_plain_number(to_decimal(target["expected"])),
                    "pass": passed,
                }
            )
        months.append({"month": month, "metrics": rows})
    return {"months": months, "allTargetsMet": all_pass}


def comparison_rows(job: PatchJob) -> list[dict[str, str]]:
    """The comparison rows — month, metric, before, after, delta, %, target, pass — as text."""
    rows = []
    for month in (job.diff_report_json or {}).get("months", []):
        for m in month["metrics"]:
            rows.append(
                {
                    "month": month["month"],
                    "metric": m["label"],
                    "before": format_value(m["before"], m["metric"]),
                    "after": format_value(m["after"], m["metric"]),
                    "delta": format_delta(m["delta"], m["metric"]),
                    "pct": format_pct(m["pctChange"], m["delta"]),
                    "target": format_value(m["target"], m["metric"]),
                    "pass": {True: "✓", False: "✗", None: "—"}[m["pass"]],
                }
            )
    return rows


def records_created(job: PatchJob) -> dict[str, int]:
    """Records per kind — leads apart from other contacts, as the job's result view shows them."""
    metrics = job.metrics_json or {}
    return dict(metrics.get("byRecordType") or metrics.get("byEntity", {}))


CHANGED_TITLE = "Demo-generated records changed"
CHANGED_COLUMNS = ("Month", "Entity", "Modified", "Soft-deleted")


def records_changed(job: PatchJob) -> list[tuple[str, str, int, int]]:
    """RECONCILE's existing rows per month and entity: (month, entity, modified, soft-deleted).

    Every export shows them under `CHANGED_TITLE`, and only when there are some: a job that
    changed no existing row (every ADDITIVE job) shows no such section at all."""
    changes = (job.diff_report_json or {}).get("changes") or {}
    rows = []
    for month, counts in sorted(changes.items()):
        for entity in sorted(set(counts["modified"]) | set(counts["deleted"])):
            rows.append((month, entity, counts["modified"].get(entity, 0), counts["deleted"].get(entity, 0)))
    return rows


def already_applied(job: PatchJob) -> str:
    """What applying a completed job's plan again does: nothing. Said wherever such a no-op is shown."""
    when = job.completed_at or job.created_at
    if when is None:
        return f"already applied as job {job.id}; nothing created"
    utc = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    return f"already applied as job {job.id} on {utc:%Y-%m-%d %H:%M} UTC; nothing created"


def applied_validation(job: PatchJob) -> dict[str, Any]:
    """The validation of a plan whose job is complete: applying it again is accepted and creates nothing."""
    return {
        "valid": True,
        "errors": [],
        "warnings": [],
        "preview": None,
        "alreadyApplied": True,
        "message": already_applied(job),
        "job": job.to_response(),
    }


def to_json(job: PatchJob, names: JobNames | None = None) -> str:
    """The job as the API shows it, with names; `recordsChanged` lists the existing rows a RECONCILE job changed."""
    names = names or JobNames.unknown(job)
    response = job.to_response() | {"tenantName": names.tenant, "createdByName": names.created_by}
    changed = records_changed(job)
    if changed:
        response["recordsChanged"] = [
            {"month": month, "entity": entity, "modified": m, "softDeleted": d} for month, entity, m, d in changed
        ]
    return json.dumps(response, indent=2, default=str)


def to_csv(job: PatchJob, names: JobNames | None = None) -> str:
    """One row per month and metric; the tenant and creator by name close each row, for spreadsheets that filter.

    A job that changed existing rows adds, after a blank line, a second table of its own header:
    one row per month and entity with the rows modified and soft-deleted."""
    names = names or JobNames.unknown(job)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["month", "metric", "before", "after", "delta", "pct_change", "target", "pass", "tenant", "created_by"]
    )
    for month in (job.diff_report_json or {}).get("months", []):
        for m in month["metrics"]:
            writer.writerow(
                [
                    month["month"],
                    m["metric"],
                    m["before"],
                    m["after"],
                    m["delta"],
                    "" if m["pctChange"] is None else m["pctChange"],
                    "" if m["target"] is None else m["target"],
                    "" if m["pass"] is None else str(m["pass"]).lower(),
                    names.tenant,
                    names.created_by,
                ]
            )
    changed = records_changed(job)
    if changed:
        writer.writerow([])
        writer.writerow(["month", "entity", "modified", "soft_deleted", "tenant", "created_by"])
        writer.writerows([*row, names.tenant, names.created_by] for row in changed)
    return out.getvalue()


def _header(job: PatchJob, names: JobNames) -> list[tuple[str, str]]:
    return [
        ("Job", job.id),
        ("Tenant", names.tenant),
        ("Status", job.status),
        ("Mode / plan type", f"{job.mode} / {job.plan_type}"),
        ("Months", f"{job.range_start_month} … {job.range_end_month}"),
        ("Seed", job.seed),
        ("Duration", "—" if job.duration_seconds is None else f"{job.duration_seconds} s"),
        ("Created by", names.created_by),
    ]


def to_markdown(job: PatchJob, names: JobNames | None = None) -> str:
    lines = [f"# Patch job {job.id}", ""]
    lines += [f"- **{k}**: {v}" for k, v in _header(job, names or JobNames.unknown(job))]
    if job.error_message:
        lines += [f"- **Error**: {job.error_message}"]
    lines += [
        "",
        "## KPI comparison",
        "",
        "| Month | Metric | Before | After | Delta | % | Target | Pass |",
        "|---|---|---:|---:|---:|---:|---:|:-:|",
    ]
    lines += [
        f"| {r['month']} | {r['metric']} | {r['before']} | {r['after']} | {r['delta']} | {r['pct']} "
        f"| {r['target']} | {r['pass']} |"
        for r in comparison_rows(job)
    ]
    created = records_created(job)
    if created:
        lines += ["", "## Records created", ""]
        lines += [f"- {entity.title()}: {n:,}" for entity, n in created.items()]
    changed = records_changed(job)
    if changed:
        lines += ["", f"## {CHANGED_TITLE}", "", "| " + " | ".join(CHANGED_COLUMNS) + " |", "|---|---|---:|---:|"]
        lines += [f"| {month} | {entity} | {m:,} | {d:,} |" for month, entity, m, d in changed]
    verification = (job.diff_report_json or {}).get("verification")
    if verification:
        ok = "passed" if verification["success"] else "FAILED"
        lines += ["", f"## KPI verification (dbt tests on live tables): {ok}", ""]
        lines += [f"- {t['name']}: {t['status']}" for t in verification["tests"]]
    figures = (job.diff_report_json or {}).get("realism")
    if figures:
        lines += ["", "## Realism of the records created", ""]
        lines += [f"- {label}: {value}" for label, value in summary_rows(figures)]
        header, rows = stage_rows(figures)
        if rows:
            lines += ["", "| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
            lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


_CHART_W, _CHART_H, _PAD = 300, 140, 24


def _chart(metric: str, label: str, months: list[dict[str, Any]]) -> str:
    """One small SVG bar chart: before (grey) and after (blue) per month, target as a tick."""
    values = []
    for month in months:
        row = next(m for m in month["metrics"] if m["metric"] == metric)
        values.append((month["month"], float(row["before"]), float(row["after"]), row["target"]))
    top = max([v for _, b, a, t in values for v in (b, a, float(t) if t is not None else 0)] + [1])
    slot = (_CHART_W - _PAD) / max(len(values), 1)
    bar = max(slot / 3, 2)
    parts = [f'<svg width="{_CHART_W}" height="{_CHART_H + 30}" role="img" aria-label="{html.escape(label)}">']
    parts.append(f'<text x="0" y="12" font-size="12" font-weight="bold">{html.escape(label)}</text>')
    parts.append(
        f'<text x="{_CHART_W}" y="12" font-size="10" text-anchor="end" fill="#5c6470">max {top:,.0f}</text>'
        f'<line x1="{_PAD}" x2="{_CHART_W}" y1="{_CHART_H}" y2="{_CHART_H}" stroke="#d5dae1"/>'
    )
    for i, (month, before, after, target) in enumerate(values):
        x = _PAD + i * slot
        for j, (value, colour) in enumerate(((before, "#b0b7c3"), (after, "#2f6fdb"))):
            h = (_CHART_H - 20) * value / top
            parts.append(
                f'<rect x="{x + j * bar:.1f}" y="{_CHART_H - h:.1f}" width="{bar - 1:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{month} {"before" if j == 0 else "after"}: {value:,.2f}</title></rect>'
            )
        if target is not None:
            ty = _CHART_H - (_CHART_H - 20) * float(target) / top
            parts.append(
                f'<line x1="{x:.1f}" x2="{x + 2 * bar:.1f}" y1="{ty:.1f}" y2="{ty:.1f}" '
                f'stroke="#d9480f" stroke-width="2"><title>{month} target: {target}</title></line>'
            )
        parts.append(f'<text x="{x:.1f}" y="{_CHART_H + 14}" font-size="10">{month}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _realism_html(figures: Mapping[str, Any]) -> str:
    """The realism figures and the open deals by stage and age, as two small tables."""
    summary = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>" for label, value in summary_rows(figures)
    )
    header, rows = stage_rows(figures)
    stages = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    heads = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    return f"<table>{summary}</table>" + (f"<table><tr>{heads}</tr>{stages}</table>" if rows else "")


def _changed_html(changed: list[tuple[str, str, int, int]]) -> str:
    """The existing rows a job modified and soft-deleted, per month and entity; nothing when it changed none."""
    if not changed:
        return ""
    heads = "".join(f"<th>{c}</th>" for c in CHANGED_COLUMNS)
    rows = "".join(
        f"<tr><td>{html.escape(month)}</td><td>{html.escape(entity)}</td><td>{m:,}</td><td>{d:,}</td></tr>"
        for month, entity, m, d in changed
    )
    return f"<h2>{CHANGED_TITLE}</h2>\n<table><tr>{heads}</tr>\n{rows}</table>\n"


def to_html(job: PatchJob, names: JobNames | None = None) -> str:
    months = (job.diff_report_json or {}).get("months", [])
    charts = "".join(f"<figure>{_chart(m.name, m.label, months)}</figure>" for m in METRICS) if months else ""
    header = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in _header(job, names or JobNames.unknown(job))
    )
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(r[k]))}</td>"
            for k in ("month", "metric", "before", "after", "delta", "pct", "target", "pass")
        )
        + "</tr>"
        for r in comparison_rows(job)
    )
    created = "".join(f"<li>{html.escape(e.title())}: {n:,}</li>" for e, n in records_created(job).items())
    changed = _changed_html(records_changed(job))
    figures = (job.diff_report_json or {}).get("realism")
    realism = f"<h2>Realism of the records created</h2>{_realism_html(figures)}" if figures else ""
    error = f"<p class=error>Error: {html.escape(job.error_message)}</p>" if job.error_message else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Patch job {job.id}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #1d2430; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
td, th {{ border: 1px solid #d5dae1; padding: 4px 8px; text-align: right; }}
th {{ text-align: left; background: #f3f5f8; }}
figure {{ display: inline-block; margin: 0 1rem 1rem 0; }}
.legend span {{ display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 12px; }}
.error {{ color: #c92a2a; }}
</style></head><body>
<h1>Patch job {html.escape(job.id)}</h1>
<table>{header}</table>{error}
<h2>Before and after, by month</h2>
<p class="legend"><span style="background:#b0b7c3"></span>before<span style="background:#2f6fdb"></span>after
<span style="background:#d9480f;height:2px"></span>target</p>
{charts}
<h2>KPI comparison</h2>
<table><tr><th>Month</th><th>Metric</th><th>Before</th><th>After</th><th>Delta</th><th>%</th><th>Target</th><th>Pass</th></tr>
{rows}</table>
<h2>Records created</h2><ul>{created}</ul>
{changed}{realism}
</body></html>
"""


Exporter = Callable[[PatchJob, JobNames | None], str]
EXPORTERS: dict[str, Exporter] = {"md": to_markdown, "csv": to_csv, "json": to_json, "html": to_html}

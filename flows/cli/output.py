"""What demogen prints: the consoles, JSON, tables that fit the terminal, the job view and the progress bar."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import click
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from flows.engine.job_lookup import MIN_PREFIX
from flows.engine.steps import Progress as ProgressReport
from flows.kpis.numbers import format_count
from flows.kpis.reports import JobNames, already_applied, comparison_rows, records_created
from flows.plan.rules import Issue
from flows.store.jobs import PatchJob

# Module attributes, not imports by value: tests swap them for consoles of a fixed width.
console = Console()
err_console = Console(stderr=True)


def print_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# --- tables that fit the terminal ----------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A table column. `whole` cells (numbers, ids) never wrap nor shrink; `drop` ranks the columns to leave out."""

    header: str
    justify: Literal["left", "right", "center"] = "left"
    whole: bool = False
    drop: int | None = None  # 1 goes first; None: always shown


def fits(columns: Sequence[Column], rows: Sequence[Sequence[str]], target: Console) -> bool:
    """Whether one table of these columns shows every number whole and every word unbroken on `target`."""
    return _min_width(columns, rows) <= target.width


def fitted_tables(
    title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]], target: Console, *, key: int = 1
) -> list[Table]:
    """The table as it fits `target`: text wraps, numbers stay whole.

    Too wide, it leaves out the `drop` columns (lowest rank first); still too wide, it splits
    into tables side by side in reading order, each repeating the first `key` columns.
    """
    keep = list(range(len(columns)))
    droppable = sorted((c.drop, i) for i, c in enumerate(columns) if c.drop is not None)
    while droppable and not fits([columns[i] for i in keep], _pick(rows, keep), target):
        keep.remove(droppable.pop(0)[1])
    groups = _split(columns, rows, keep, key, target)
    return [
        _table(title if n == 0 else f"{title} (continued)", [columns[i] for i in g], _pick(rows, g))
        for n, g in enumerate(groups)
    ]


def _split(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], keep: list[int], key: int, target: Console
) -> list[list[int]]:
    """Column groups, each fitting `target` and starting with the key columns."""
    keys, rest = keep[:key], keep[key:]
    groups: list[list[int]] = []
    current = list(keys)
    for i in rest:
        if len(current) > len(keys) and not fits(
            [columns[j] for j in [*current, i]], _pick(rows, [*current, i]), target
        ):
            groups.append(current)
            current = list(keys)
        current.append(i)
    groups.append(current)
    return groups


def _pick(rows: Sequence[Sequence[str]], indexes: list[int]) -> list[list[str]]:
    return [[row[i] for i in indexes] for row in rows]


def _plain(cell: str) -> str:
    return Text.from_markup(cell).plain


def _whole_width(column: Column, cells: Sequence[str]) -> int:
    """A whole column is as wide as its widest value, or its header's longest word."""
    return max([cell_len(_plain(c)) for c in cells] + [_longest_word(column.header)])


def _longest_word(text: str) -> int:
    return max((cell_len(word) for word in _plain(text).split()), default=0)


def _min_width(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> int:
    """The narrowest the table gets without cutting a number or a word: its cells and 2 between columns."""
    total = 2 * (len(columns) - 1)
    for i, column in enumerate(columns):
        cells = [row[i] for row in rows]
        if column.whole:
            width = _whole_width(column, cells)
        else:
            width = max([_longest_word(c) for c in cells] + [_longest_word(column.header)])
        total += width
    return total


def _table(title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for i, c in enumerate(columns):
        if c.whole:  # a fixed width: rich shrinks only the other columns to fit
            table.add_column(c.header, justify=c.justify, width=_whole_width(c, [row[i] for row in rows]))
        else:
            table.add_column(c.header, justify=c.justify, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def issues_table(issues: list[Issue], title: str) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in ("code", "month", "metric", "message"):
        table.add_column(column, overflow="fold")
    for issue in issues:
        table.add_row(issue.code, issue.month or "", issue.metric or "", issue.message)
    return table


# --- a patch job ---------------------------------------------------------------------------

_COMPARISON = (
    ("Month", "left"),
    ("Metric", "left"),
    ("Before", "right"),
    ("After", "right"),
    ("Delta", "right"),
    ("%", "right"),
    ("Target", "right"),
    ("Pass", "center"),
)


def show_job(job: PatchJob, *, names: JobNames | None = None, logs: bool = False) -> None:
    """The result view: status, duration, KPI comparison, records created (and the log)."""
    mark = {"completed": "[green]✓ Completed[/]", "failed": "[red]✗ Failed[/]"}.get(job.status, job.status)
    console.print(f"[bold]Patch job[/] {job.id}")
    if names is not None:
        console.print(f"Tenant: {names.tenant}", highlight=False)
        console.print(f"Created by: {names.created_by}", highlight=False)
    console.print(
        f"Status: {mark}   Mode: {job.mode} / {job.plan_type}   Months: {job.range_start_month} … {job.range_end_month}"
    )
    if job.duration_seconds is not None:
        console.print(f"Duration: {job.duration_seconds} s")
    if job.error_message:
        console.print(f"[red]Error:[/] {job.error_message}")
    rows = comparison_rows(job)
    if rows:
        console.print(_comparison_table(rows))
    created = records_created(job)
    if created:
        console.print(
            "Records "
            + ("deleted" if job.mode == "revert" else "created")
            + ": "
            + "  │  ".join(f"{e.title()}: {format_count(n)}" for e, n in created.items())
        )
    verification = (job.diff_report_json or {}).get("verification")
    if verification:
        tests = verification["tests"]
        ok = sum(t["status"] == "pass" for t in tests)
        colour = "green" if verification["success"] else "red"
        console.print(f"KPI verification (dbt tests on live tables): [{colour}]{ok}/{len(tests)} passed[/]")
    if logs:
        console.print(_log_table(job))


def applied_json(job: PatchJob, *, was_applied: bool) -> dict[str, Any]:
    """A job `apply` or `demo` returns, as JSON: `alreadyApplied` says whether this run created nothing."""
    return job.to_response() | {"alreadyApplied": was_applied}


def show_already_applied(job: PatchJob) -> None:
    """A plan applied before: say so instead of showing the old result as if it had just run."""
    console.print(already_applied(job), highlight=False)
    console.print(f"What it created: demogen job show {job.id[:MIN_PREFIX]}", highlight=False)


def _comparison_table(rows: list[dict[str, str]]) -> Table:
    table = Table(title="KPI comparison")
    for column, justify in _COMPARISON:
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for n, r in enumerate(rows):
        colour = {"✓": "green", "✗": "red"}.get(r["pass"], "dim")
        last_of_month = n + 1 == len(rows) or rows[n + 1]["month"] != r["month"]
        table.add_row(
            r["month"] if n == 0 or rows[n - 1]["month"] != r["month"] else "",
            r["metric"],
            r["before"],
            r["after"],
            r["delta"],
            r["pct"],
            r["target"],
            f"[{colour}]{r['pass']}[/]",
            end_section=last_of_month,
        )
    return table


def _log_table(job: PatchJob) -> Table:
    table = Table(title="Log")
    for column in ("at", "step", "message"):
        table.add_column(column)
    for entry in job.logs:
        style = "red" if entry.get("level") == "error" else None
        table.add_row(entry["at"][11:19], entry["step"], entry["message"], style=style)
    return table


@contextmanager
def progress_bar(enabled: bool) -> Iterator[ProgressReport | None]:
    """A progress bar on stderr while a job runs (silent for --json).

    The bar starts with the job's first report, which the engine sends only once the plan
    passed validation: a refused plan draws no bar.
    """
    if not enabled:
        yield None
        return
    bar = Progress(
        TextColumn("[bold]{task.fields[step]:<9}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=False,
    )
    tasks: list[TaskID] = []

    def report(step: str, pct: int, message: str) -> None:
        if not tasks:
            bar.start()
            tasks.append(bar.add_task("starting", total=100, step="start"))
        bar.update(tasks[0], completed=pct, step=step, description=message[:70])

    try:
        yield report
    finally:
        if tasks:
            bar.stop()

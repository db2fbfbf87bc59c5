"""Reads a plan from CSV as spreadsheets export it: one row per month, one column per metric."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flows.plan.model import PatchPlan
from flows.plan.parsing import MAX_LISTED, PlanFormatError, plan_from_data, short
from generators.calendar import MONTH_FORMAT, is_month
from generators.errors import UsageError
from generators.metrics import BY_NAME, METRICS


@dataclass(frozen=True)
class CsvProblem:
    """One thing wrong in a CSV plan, where a person finds it: the line, and the column as the header names it."""

    row: int
    column: str | None  # the header's text, else the column's position from 1; None for the whole row
    message: str

    def __str__(self) -> str:
        return (
            f"row {self.row}, column {self.column}: {self.message}"
            if self.column
            else f"row {self.row}: {self.message}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class CsvPlanError(PlanFormatError):
    """A CSV that is not a plan, with each problem by row and column (the first few in the message)."""

    def __init__(self, name: str, problems: list[CsvProblem]) -> None:
        self.problems = problems
        more = f"; and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        super().__init__(f"{name}: " + "; ".join(map(str, problems[:MAX_LISTED])) + more)


def _norm(header: str) -> str:
    return re.sub(r"[^0-9a-z]", "", header.lower())


# A column may be named as in plans, as the dbt column or by its label.
_COLUMNS: dict[str, str] = {}
for _m in METRICS:
    for _alias in (_m.name, _m.column, _m.label):
        _COLUMNS[_norm(_alias)] = _m.name
_COLUMNS["month"] = "month"

_MONTH_NAMES = {
    name: i + 1
    for i, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"),
            ("apr", "april"), ("may",), ("jun", "june"),
            ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
            ("oct", "october"), ("nov", "november"), ("dec", "december"),
        )
    )
    for name in names
}  # fmt: skip
_CURRENCIES = "$€£¥₹"
_GROUPED = re.compile(r"\d{1,3}(?:([,\u00a0\u202f' ])\d{3})(?:\1\d{3})*(?:\.\d+)?")
_PLAIN = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def read_csv_plan(
    text: str,
    *,
    tenant: str | None,
    mode: str = "additive",
    plan_type: str = "deltas",
    name: str = "CSV plan",
) -> PatchPlan:
    """A plan from CSV: a `month` column and one column per metric.

    Spreadsheet exports parse: BOM, CRLF, spaces, quoted cells, `;` or tab separators,
    thousands separators, currency symbols on money, empty cells = not set.
    """
    if not tenant:
        raise UsageError("a CSV plan names no tenant: pass --tenant ID_OR_SLUG")
    text = text.lstrip("\ufeff")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), skipinitialspace=True))
    except csv.Error as exc:
        raise PlanFormatError(f"{name}: not readable as CSV: {short(exc, 80)}") from None
    numbered = [(i + 1, [c.strip().lstrip("\ufeff") for c in r]) for i, r in enumerate(records)]
    numbered = [(n, cells) for n, cells in numbered if any(cells)]
    if not numbered:
        raise PlanFormatError(f"{name}: empty; expected a header row with month and metric columns")
    (header_row, header), rows = numbered[0], numbered[1:]
    columns = _header(header_row, header, name)
    problems: list[CsvProblem] = []
    months: list[dict[str, Any]] = []
    at_month = columns.index("month")
    for row_number, cells in rows:
        month_text = cells[at_month] if at_month < len(cells) else ""
        month = _month_cell(month_text)
        if not month_text:
            problems.append(CsvProblem(row_number, "month", "empty; every row needs a month"))
        elif month is None:
            shown = short(month_text)
            problems.append(CsvProblem(row_number, "month", f"'{shown}' is not a month: expected {MONTH_FORMAT}"))
        metrics: dict[str, Decimal] = {}
        for index, cell in enumerate(cells):
            column = columns[index] if index < len(columns) else None
            if column is None:
                if cell:
                    problems.append(CsvProblem(row_number, str(index + 1), f"'{short(cell)}' is under no named column"))
            elif column != "month" and cell:
                try:
                    metrics[column] = _number_cell(cell, money=BY_NAME[column].kind == "money")
                except ValueError as exc:
                    problems.append(CsvProblem(row_number, header[index], str(exc)))
        months.append({"month": month or "", "metrics": metrics})
    if problems:
        raise CsvPlanError(name, problems)
    data = {"tenant": tenant, "mode": mode, "planType": plan_type, "months": months}
    return plan_from_data(data, name)


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _header(row_number: int, header: list[str], name: str) -> list[str | None]:
    columns: list[str | None] = []
    for index, cell in enumerate(header):
        if not cell:
            columns.append(None)
            continue
        column = _COLUMNS.get(_norm(cell))
        if column is None:
            known = ", ".join(m.name for m in METRICS)
            message = f"unknown column '{short(cell)}' (expected month and any of {known})"
            raise CsvPlanError(name, [CsvProblem(row_number, str(index + 1), message)])
        if column in columns:
            raise CsvPlanError(name, [CsvProblem(row_number, str(index + 1), f"column '{short(cell)}' appears twice")])
        columns.append(column)
    if "month" not in columns:
        raise CsvPlanError(name, [CsvProblem(row_number, None, "no 'month' column in the header")])
    return columns


def _month_cell(cell: str) -> str | None:
    """YYYY-MM, and what spreadsheets turn it into: 2025/01, 2025-01-01, Jan 2025, Jan-25."""
    match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})(?:[-/.]0?1(?:[ T]00:00(?::00)?)?)?", cell)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
    else:
        match = re.fullmatch(r"([A-Za-z]{3,9})\.?[ \-/']*(\d{4}|\d{2})", cell)
        if not match or match.group(1).lower() not in _MONTH_NAMES:
            return None
        year, month = int(match.group(2)), _MONTH_NAMES[match.group(1).lower()]
        year += 2000 if year < 100 else 0
    text = f"{year:04d}-{month:02d}"
    return text if is_month(text) else None


def _number_cell(cell: str, *, money: bool) -> Decimal:
    """A number as spreadsheets write it; fractions and signs are kept for validation to judge."""
    text, negative = cell, False
    if text.startswith("(") and text.endswith(")"):  # accounting negative
        text, negative = text[1:-1].strip(), True
    if text[:1] in "-−":
        text, negative = text[1:].strip(), not negative
    symbol = ""
    if text[:1] and text[:1] in _CURRENCIES:
        symbol, text = text[:1], text[1:].strip()
    elif text[-1:] and text[-1:] in _CURRENCIES:
        symbol, text = text[-1:], text[:-1].strip()
    if symbol and not money:
        raise ValueError(f"'{short(cell)}' is a sum of money, but this column counts records")
    if symbol and text[:1] in "-−":
        text, negative = text[1:].strip(), not negative
    if symbol and text == "" and cell.strip(_CURRENCIES + " ") == "-":
        return Decimal(0)  # the accounting format writes zero as "$ -"
    if _GROUPED.fullmatch(text):
        text = re.sub(r"[,\u00a0\u202f' ]", "", text)
    elif not _PLAIN.fullmatch(text):
        raise ValueError(f"'{short(cell)}' is not a number")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"'{short(cell)}' is not a number") from None
    return number.copy_negate() if negative else number  # unary minus rounds, and overflows on 1e999999

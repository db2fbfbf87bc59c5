"""Reads patch plans from YAML, JSON or spreadsheet CSV, and writes them back as YAML or JSON."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Literal

import yaml

from flows.plan.csv_reader import read_csv_plan
from flows.plan.limits import MAX_PLAN_BYTES
from flows.plan.model import PatchPlan, plan_to_dict, to_plain_number
from flows.plan.parsing import PlanFormatError, plan_from_data, short
from generators.errors import UsageError

Format = Literal["yaml", "json", "csv"]
FORMATS: tuple[Format, ...] = ("yaml", "json", "csv")
_SUFFIXES: dict[str, Format] = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "csv",
}
# --- entry points -------------------------------------------------------------------------


def read_plan_file(
    source: str | Path,
    format: str | None = None,
    *,
    tenant: str | None = None,
    mode: str | None = None,
    plan_type: str | None = None,
) -> PatchPlan:
    """Read a plan from a file (a Path, a path string, or "-" for stdin) or from plan text.

    A str holding a newline, or starting with "{", is plan text; any other str is a path.
    `format` is yaml, json or csv (default: from the file suffix, else sniffed).
    `tenant`, `mode` and `plan_type` supply what a CSV lacks; for YAML and JSON they fill
    missing keys and must agree with keys present.
    """
    if format is not None and format not in FORMATS:
        raise UsageError(f"unknown plan format '{format}': use one of {', '.join(FORMATS)}")
    if isinstance(source, str) and ("\n" in source or source.lstrip().startswith("{")):
        text, name = source, "plan text"
    elif str(source) == "-":
        text, name = _decode(_read_capped(sys.stdin.buffer, "stdin"), "stdin", format), "stdin"
    else:
        path = Path(source)
        format = format or _SUFFIXES.get(path.suffix.lower())
        text, name = _decode(_read_bytes(path), str(path), format), str(path)
    return parse_plan(text, format or sniff_format(text), tenant=tenant, mode=mode, plan_type=plan_type, name=name)


def parse_plan(
    text: str,
    format: str,
    *,
    tenant: str | None = None,
    mode: str | None = None,
    plan_type: str | None = None,
    name: str = "plan text",
) -> PatchPlan:
    """Parse plan text of the given format; any failure is a one-line DemogenError."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_PLAN_BYTES:
        raise PlanFormatError(f"{name}: {_too_big(size)}")
    if format == "csv":
        return read_csv_plan(text, tenant=tenant, mode=mode or "additive", plan_type=plan_type or "deltas", name=name)
    if format == "json":
        data = _load_json(text, name)
    elif format == "yaml":
        data = _load_yaml(text, name)
    else:
        raise UsageError(f"unknown plan format '{format}': use one of {', '.join(FORMATS)}")
    if not isinstance(data, dict):
        got = "nothing" if data is None else f"a {_kind(data)}"
        raise PlanFormatError(f"{name}: a plan is a mapping with tenant, mode, planType and months; got {got}")
    for key, given in (("tenant", tenant), ("mode", mode), ("planType", plan_type)):
        if given is None:
            continue
        if key not in data:
            data[key] = given
        elif str(data[key]).strip().lower() != given.strip().lower():
            raise UsageError(f"{name}: has {key} '{short(data[key])}', which conflicts with the given '{given}'")
    return plan_from_data(data, name)


def sniff_format(text: str) -> Format:
    """JSON if it opens with a brace, CSV if its first line is a month,... header, else YAML."""
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith(("{", "[")):
        return "json"
    first = head.split("\n", 1)[0].strip().strip('"').lower()
    if first.startswith("month") and any(d in first for d in ",;\t"):
        return "csv"
    return "yaml"


# --- files and text ------------------------------------------------------------------------


def _too_big(size: int) -> str:
    return f"{size:,} bytes is larger than a plan may be (at most {MAX_PLAN_BYTES:,} bytes)"


def _read_capped(stream: BinaryIO, name: str) -> bytes:
    """At most MAX_PLAN_BYTES of a stream: a larger one is refused without being read whole."""
    raw = stream.read(MAX_PLAN_BYTES + 1)
    if len(raw) > MAX_PLAN_BYTES:
        raise PlanFormatError(f"{name}: larger than a plan may be (at most {MAX_PLAN_BYTES:,} bytes)")
    return raw


def _read_bytes(path: Path) -> bytes:
    try:
        if path.is_file() and path.stat().st_size > MAX_PLAN_BYTES:
            raise PlanFormatError(f"{path}: {_too_big(path.stat().st_size)}")
        with path.open("rb") as stream:
            return _read_capped(stream, str(path))
    except FileNotFoundError:
        raise UsageError(f"plan file '{path}' not found") from None
    except IsADirectoryError:
        raise UsageError(f"'{path}' is a directory, not a plan file") from None
    except OSError as exc:
        raise UsageError(f"cannot read plan file '{path}': {exc.strerror or exc}") from None
    except ValueError as exc:  # a path holding a NUL byte
        raise UsageError(f"cannot read plan file {str(path)!r}: {exc}") from None


def _decode(raw: bytes, name: str, format: str | None) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if format != "yaml" and format != "json":
            # Excel's plain "CSV" export on Windows writes cp1252, not UTF-8.
            try:
                return raw.decode("cp1252")
            except UnicodeDecodeError:
                pass
        raise PlanFormatError(f"{name}: not UTF-8 text (bad byte at offset {exc.start})") from None


def _kind(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader refusing a key written twice in one mapping (PyYAML keeps the last)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            ) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"key '{short(key)}' appears twice", key_node.start_mark
            )
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _load_yaml(text: str, name: str) -> Any:
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PlanFormatError(f"{name}: not valid YAML{where}: {short(exc.problem or exc.context, 80)}") from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        # PyYAML lets a few constructor errors through (e.g. a date like 2025-13-45).
        raise PlanFormatError(f"{name}: not valid YAML: {short(exc, 80)}") from None


def _load_json(text: str, name: str) -> Any:
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise PlanFormatError(f"{name}: not a valid plan: key '{short(key)}' appears twice")
            result[key] = value
        return result

    try:
        return json.loads(text, object_pairs_hook=unique)
    except json.JSONDecodeError as exc:
        raise PlanFormatError(f"{name}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4300 digits
        raise PlanFormatError(f"{name}: not valid JSON: {short(exc, 80)}") from None


# --- writing -------------------------------------------------------------------------------


class _PlanDumper(yaml.SafeDumper):
    """Writes Decimals as plain YAML numbers."""


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
    number = to_plain_number(value)
    if isinstance(number, int):
        return dumper.represent_int(number)
    if value.is_finite() and abs(value) < 10**15:
        return dumper.represent_scalar("tag:yaml.org,2002:float", format(value.normalize(), "f"))
    return dumper.represent_float(number)


_PlanDumper.add_representer(Decimal, _represent_decimal)


def plan_to_yaml(plan: PatchPlan, *, schema_ref: str | None = None) -> str:
    """The plan as a YAML file, keys in reading order; `schema_ref` adds the editor schema line."""
    data = plan.model_dump(mode="python", by_alias=True, exclude_none=True, exclude={"schema_"})
    order = ("tenant", "version", "mode", "planType", "seed", "tolerances", "months")
    ordered = {key: data[key] for key in order if key in data}
    # Default allow_unicode=False escapes non-ASCII text: a raw NEL (U+0085) would not survive.
    body = yaml.dump(ordered, Dumper=_PlanDumper, sort_keys=False, width=100)
    head = f"# yaml-language-server: $schema={schema_ref}\n" if schema_ref else ""
    return head + body


def plan_to_json(plan: PatchPlan) -> str:
    """The plan as pretty JSON (camelCase keys)."""
    return json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False)

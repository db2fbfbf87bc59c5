"""The three ways a flow run receives a plan: a file in the project, an inline plan (the UI form), pasted CSV."""

from __future__ import annotations

from pathlib import Path

from flows.plan.model import PatchPlan
from flows.plan.readers import parse_plan, read_plan_file
from flows.store.paths import PROJECT_ROOT
from generators.errors import UsageError


def project_path(relative: str) -> Path:
    """A path inside the project (the git checkout a worker pulled), refusing anything outside it."""
    candidate = Path(relative)
    if candidate.is_absolute():
        raise UsageError(f"plan path '{relative}' must be relative to the project root, e.g. plans/examples/x.yaml")
    resolved = (PROJECT_ROOT / candidate).resolve()
    if not resolved.is_relative_to(PROJECT_ROOT):
        raise UsageError(f"plan path '{relative}' leaves the project root")
    return resolved


def _agree(plan: PatchPlan, tenant: str | None, mode: str | None, plan_type: str | None) -> PatchPlan:
    """An inline plan already names tenant, mode and plan type: given ones must match, as for plan files."""
    checks = (("tenant", tenant, plan.tenant), ("mode", mode, plan.mode), ("planType", plan_type, plan.plan_type))
    for key, given, has in checks:
        if given is not None and given.strip().lower() != str(has).strip().lower():
            raise UsageError(f"inline plan: has {key} '{has}', which conflicts with the given '{given}'")
    return plan


def resolve_plan(
    plan_path: str | None = None,
    plan: PatchPlan | None = None,
    csv_text: str | None = None,
    *,
    tenant: str | None = None,
    mode: str | None = None,
    plan_type: str | None = None,
) -> tuple[PatchPlan, str]:
    """Exactly one of the three sources, read into a plan; returns it with a label of where it came from."""
    given = [name for name, value in (("plan_path", plan_path), ("plan", plan), ("csv_text", csv_text)) if value]
    if len(given) != 1:
        which = ", ".join(given) if given else "none"
        raise UsageError(f"give exactly one of plan_path, plan or csv_text (got {which})")
    if plan_path:
        return read_plan_file(project_path(plan_path), tenant=tenant, mode=mode, plan_type=plan_type), plan_path
    if plan is not None:
        return _agree(plan, tenant, mode, plan_type), "inline plan"
    assert csv_text is not None
    text = csv_text if csv_text.endswith("\n") else csv_text + "\n"
    return parse_plan(text, "csv", tenant=tenant, mode=mode, plan_type=plan_type, name="pasted CSV"), "pasted CSV"

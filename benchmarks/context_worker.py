"""Worker of bench_context: times prepare, load_context and generation of one plan, in its own process.

bench_context runs it as a script with PYTHONPATH set to the code under test — the working
tree, or a git ref exported beside it — so one benchmark run compares two versions of the
code on the same database. It imports only flows and generators, which both versions have.

    python benchmarks/context_worker.py URL PLAN_JSON AS_OF REPEAT

One untimed run warms up (Faker pools, database caches), then REPEAT timed runs. Prints
one JSON object: per run the seconds of each step, the rows the context held and a digest
of the generated rows. Writes nothing to the database.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from flows.engine import steps
from flows.engine.context import load_context
from flows.plan.model import PatchPlan
from flows.store import Store, connect
from generators import EntityFrames, TenantContext, generate_plan

JOB_ID = "00000000-0000-4000-8000-00000000c0de"


def _context(store: Store, prepared: steps.Prepared) -> TenantContext:
    # The baseline's load_context takes no months: it loads every live record of the tenant.
    if "months" not in inspect.signature(load_context).parameters:
        return load_context(store, prepared.tenant, prepared.typical_deal_size)  # type: ignore[call-arg]
    preview = prepared.validation.preview
    allocations = {m.month: m.allocation for m in preview.months} if preview else {}
    return load_context(store, prepared.tenant, prepared.typical_deal_size, allocations)


def _generate(prepared: steps.Prepared, ctx: TenantContext) -> EntityFrames:
    # As the engine's generation step calls it in each version (all months at once here).
    extra: dict[str, Any] = {}
    if hasattr(prepared, "companies_existing"):
        extra["companies_available"] = prepared.companies_existing
    months = [(m, prepared.validation.deltas[m]) for m in prepared.months]
    return generate_plan(months, ctx, as_of=prepared.as_of, job_id=JOB_ID, seed=prepared.seed, **extra)


def _digest(frames: EntityFrames) -> str:
    digest = hashlib.sha256()
    for entity, frame in frames:
        digest.update(entity.encode())
        digest.update(frame.write_csv().encode())
    return digest.hexdigest()[:16]


def one_run(store: Store, plan: PatchPlan, as_of: datetime) -> dict[str, Any]:
    clock = time.perf_counter()
    prepared = steps.prepare(store, plan, as_of=as_of)
    if not prepared.validation.valid:
        raise SystemExit(f"benchmark plan is invalid: {prepared.validation.errors[:3]}")
    prepare_s = time.perf_counter() - clock
    clock = time.perf_counter()
    ctx = _context(store, prepared)
    context_s = time.perf_counter() - clock
    clock = time.perf_counter()
    frames = _generate(prepared, ctx)
    generate_s = time.perf_counter() - clock
    return {
        "prepare_s": round(prepare_s, 4),
        "load_context_s": round(context_s, 4),
        "generate_s": round(generate_s, 4),
        "context_rows": {"companies": ctx.companies.height, "contacts": ctx.contacts.height, "deals": ctx.deals.height},
        "records": frames.records,
        "digest": _digest(frames),
    }


def main() -> None:
    url, plan_path, as_of, repeat = sys.argv[1:5]
    plan = PatchPlan.model_validate(json.loads(Path(plan_path).read_text()))
    store = connect(url)
    try:
        one_run(store, plan, datetime.fromisoformat(as_of))  # warm-up
        runs = [one_run(store, plan, datetime.fromisoformat(as_of)) for _ in range(int(repeat))]
    finally:
        store.close()
    print(json.dumps({"runs": runs}))


if __name__ == "__main__":
    main()

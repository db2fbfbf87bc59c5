"""Scale-out on one PostgreSQL: concurrent flow runs patch different tenants at once; one tenant, one at a time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypedDict, Unpack

import pytest

from flows.kpis.reads import monthly_kpis
from flows.patch import apply_patch, observe_progress
from flows.plan.model import PatchPlan
from flows.store import open_store
from flows.store.jobs import list_jobs
from flows.store.tenants import resolve_tenant
from generators.errors import DemogenError
from tests.prefect.conftest import SLUG, add_demo_tenant

# Threads stand in for workers: each flow run has its own connection, so the advisory lock
# is contended exactly as between processes.
pytestmark = [pytest.mark.usefixtures("prefect_api"), pytest.mark.parametrize("backend", ["postgres"])]

TARGETS = {"leadsCreated": 12, "contactsCreated": 8, "companiesCreated": 3, "dealsCreated": 4, "closedWonCount": 2,
           "closedWonValue": 18000, "pipelineAddedValue": 30000}  # fmt: skip


def plan(tenant: str, seed: str) -> PatchPlan:
    return PatchPlan.model_validate({"tenant": tenant, "mode": "additive", "planType": "targets", "seed": seed,
                                     "months": [{"month": "2025-01", "metrics": TARGETS}]})  # fmt: skip


class PatchOptions(TypedDict, total=False):
    """The flow parameters a test varies per run."""

    lock_wait_seconds: float


def in_thread(
    database_url: str, tenant: str, seed: str, **options: Unpack[PatchOptions]
) -> Callable[[], dict[str, Any]]:
    return lambda: apply_patch(plan=plan(tenant, seed), database_url=database_url, **options)


def test_two_runs_on_one_tenant_never_both_publish(database_url: str) -> None:
    add_demo_tenant(database_url)
    holding = threading.Event()
    second_done = threading.Event()

    def hold_the_lock(step: str, pct: int, message: str) -> None:
        if step == "generate":  # under the tenant lock, before anything is published
            holding.set()
            assert second_done.wait(120)

    def first() -> dict[str, Any]:
        with observe_progress(hold_the_lock):
            return in_thread(database_url, SLUG, "first")()

    def second() -> dict[str, Any]:
        assert holding.wait(120)
        try:
            return in_thread(database_url, SLUG, "second", lock_wait_seconds=0)()
        finally:
            second_done.set()

    with ThreadPoolExecutor(2) as pool:
        a, b = pool.submit(first), pool.submit(second)
        with pytest.raises(DemogenError, match="is being patched by another job"):
            b.result(timeout=300)
        job = a.result(timeout=300)

    assert job["status"] == "completed"
    with open_store(database_url) as store:
        assert [j.id for j in list_jobs(store)] == [job["id"]]  # the refused run wrote no job
        assert store.scalar("SELECT count(*) AS n FROM contacts") == job["metrics"]["byEntity"]["contacts"]


def test_concurrent_runs_patch_several_tenants_and_serialise_on_one(database_url: str) -> None:
    add_demo_tenant(database_url)
    add_demo_tenant(database_url, slug="globex-demo", name="Globex Demo")

    with ThreadPoolExecutor(3) as pool:
        runs = [
            pool.submit(in_thread(database_url, SLUG, "a")),
            pool.submit(in_thread(database_url, SLUG, "b")),  # waits for the lock, then finds the targets met
            pool.submit(in_thread(database_url, "globex-demo", "c")),
        ]
        jobs = [run.result(timeout=600) for run in runs]

    assert [j["status"] for j in jobs] == ["completed"] * 3
    created = sorted(j["metrics"]["recordsCreated"] for j in jobs[:2])
    assert created[0] == 0 and created[1] > 0  # one of the two runs on acme published, the other added nothing
    with open_store(database_url) as store:
        for slug in (SLUG, "globex-demo"):
            month = monthly_kpis(store, resolve_tenant(store, slug), "2025-01", "2025-01")["2025-01"]
            assert {n: month[n] for n in TARGETS} == TARGETS, slug  # met once, not twice

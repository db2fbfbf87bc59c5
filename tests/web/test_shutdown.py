"""Stopping the server never half-publishes: running jobs stop before publish, waiting ones fail with a reason."""

from __future__ import annotations

import time

import pytest

from flows.store import connect
from tests.web.api_client import wait_for_job
from tests.web.conftest import API, LiveServer, start_server

pytestmark = pytest.mark.web


def _plan(month: str, leads: int, seed: str) -> dict[str, object]:
    return {
        "mode": "additive",
        "planType": "deltas",
        "seed": seed,
        "months": [{"month": month, "metrics": {"leadsCreated": leads}}],
    }


def test_sigterm_stops_jobs_before_they_publish(live_server: LiveServer) -> None:
    with live_server.client() as api:
        big = api.post(f"{API}/tenants/acme-corp-demo/patch/apply", json=_plan("2025-01", 60_000, "big")).json()
        small = api.post(f"{API}/tenants/acme-corp-demo/patch/apply", json=_plan("2025-02", 5, "small")).json()
        assert small["status"] == "pending"
        deadline = time.monotonic() + 120
        while api.get(f"{API}/patch-jobs/{big['jobId']}").json()["job"]["status"] == "pending":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    live_server.stop()
    log = live_server.log()
    assert "Application shutdown complete." in log

    store = connect(live_server.database_url)
    try:
        rows = store.scalar("SELECT count(*) AS n FROM contacts WHERE demo_job_id = ?", (big["jobId"],))
        drafts = store.scalar("SELECT count(*) AS n FROM draft_contacts WHERE demo_job_id = ?", (big["jobId"],))
        statuses = {
            r["id"]: (r["status"], r["error_message"])
            for r in store.query(
                "SELECT id, status, error_message FROM demo_patch_jobs WHERE id IN (?, ?)",
                (big["jobId"], small["jobId"]),
            )
        }
    finally:
        store.close()
    assert statuses[small["jobId"]] == ("failed", "the server stopped before this job ran: apply the plan again")
    big_status = statuses[big["jobId"]]
    if big_status[0] == "completed":  # it published before the stop reached it: then all of it is live
        assert rows == 60_000
    elif big_status[0] == "running":  # still inside a step when the grace period ended: its lease runs out
        assert rows == 0  # later, and the next run on the tenant fails it and discards its drafts
    else:
        assert big_status == ("failed", "the server stopped before the job published anything: apply the plan again")
        assert (rows, drafts) == (0, 0)

    process, base_url = start_server(live_server.database_url, live_server.log_path)
    try:
        live_server.base_url = base_url
        with live_server.client() as api:
            again = api.post(f"{API}/tenants/acme-corp-demo/patch/apply", json=_plan("2025-02", 5, "small"))
            assert (again.status_code, again.json()["jobId"]) == (202, small["jobId"])
            done = wait_for_job(api, small["jobId"])["job"]
            assert (done["status"], done["metrics"]["recordsCreated"]) == ("completed", 5)
            assert [e["step"] for e in done["logs"]].count("retry") == 1
    finally:
        process.terminate()
        process.wait(60)

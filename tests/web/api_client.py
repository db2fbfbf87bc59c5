"""What the web tests share: the example plan as an API body, waiting for a job, signing in as a browser does."""

from __future__ import annotations

import time
from typing import Any

import httpx

from flows.engine.demo_tenants import DEMO_PLAN
from flows.plan.model import plan_to_dict
from flows.plan.readers import read_plan_file
from tests.web.conftest import API

EXAMPLE_CSV = (
    "month,leadsCreated,contactsCreated,companiesCreated,dealsCreated,closedWonCount,closedWonValue,pipelineAddedValue\n"
    """2025-01,50,40,10,8,3,25000,75000
2025-02,60,48,12,10,4,32000,96000
2025-03,70,56,14,12,5,40000,120000
"""
)


def example_body() -> dict[str, Any]:
    """The example plan kept in git, as a request body (the path names the tenant)."""
    body = plan_to_dict(read_plan_file(DEMO_PLAN))
    body.pop("tenant")
    return body


def wait_for_job(client: httpx.Client, job_id: str, timeout: float = 240) -> dict[str, Any]:
    """The job's details once it failed, or completed and reported (its status reads completed from publish on)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        details: dict[str, Any] = client.get(f"{API}/patch-jobs/{job_id}").json()
        job = details["job"]
        if job["status"] == "failed" or (job["status"] == "completed" and job["progress"] == 100):
            return details
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish within {timeout} s")


def sign_in(base_url: str, email: str, password: str) -> httpx.Client:
    """A browser-like client signed in through the form: GET /login for its CSRF cookie, then POST (close it)."""
    client = httpx.Client(base_url=base_url, timeout=60)
    form = client.get("/login")
    assert form.status_code == 200
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": client.cookies["demogen_csrf"], "next": "/"}
    )
    assert response.status_code == 303, response.text
    return client

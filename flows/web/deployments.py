"""Jobs handed to a Prefect deployment instead of the server's own workers, so several workers share the load."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from flows.plan.model import PatchPlan, plan_to_dict
from flows.store.urls import has_password

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun


def submit_flow_run(deployment: str, plan: PatchPlan, job_id: str, database_url: str) -> str:
    """Start a flow run of the deployment (e.g. apply-patch/apply-plan-local) for the pending job; its id.

    The run applies the plan under the job's id, so it picks up the job the API created and
    its progress lands on the same row. A database URL holding a password is not passed: flow
    parameters show in the Prefect UI, and the workers read it from their environment.
    """
    from prefect.deployments import run_deployment  # deferred: importing Prefect takes seconds

    parameters: dict[str, object] = {"plan": plan_to_dict(plan), "job_id": job_id, "source": "web"}
    if not has_password(database_url):
        parameters["database_url"] = database_url
    # One flow run per job, however often the same plan is posted. Called outside an event loop,
    # Prefect's sync-compatible run_deployment returns the flow run itself, not a coroutine.
    run = run_deployment(deployment, parameters=parameters, timeout=0, idempotency_key=f"demogen-job-{job_id}")
    return str(cast("FlowRun", run).id)

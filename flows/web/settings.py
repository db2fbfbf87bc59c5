"""What a running server is configured with: its store, cookie policy, sign-in limits and job workers."""

from __future__ import annotations

from dataclasses import dataclass

from flows.plan.limits import MAX_PLAN_BYTES

API_PREFIX = "/api/master/demo-generator"


@dataclass(frozen=True)
class WebSettings:
    database_url: str
    # Cookies carry `Secure` (sent only over HTTPS): set when the server is reached over HTTPS, e.g. behind a proxy.
    https_only: bool = False
    # Jobs that run at once, each on its own tenant; more wait in their tenant's queue as pending.
    workers: int = 2
    # A browser session ends after this long without a request.
    session_idle_seconds: float = 30 * 60
    # Failed sign-ins for one email within the window that lock it out, and for how long.
    signin_failures: int = 5
    signin_window_seconds: float = 60
    signin_lockout_seconds: float = 5 * 60
    # A request body beyond this is refused unread (413): a plan is at most MAX_PLAN_BYTES of text.
    max_body_bytes: int = MAX_PLAN_BYTES + 64 * 1024
    # A Prefect deployment that runs the jobs instead of this server's workers (name "flow/deployment").
    prefect_deployment: str | None = None
    # How long a stopping server waits for running jobs to reach a step boundary.
    shutdown_grace_seconds: float = 20.0

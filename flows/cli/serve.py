"""`demogen serve`: the HTTP API and the pages, signed in, with jobs running in the background."""

from __future__ import annotations

import click

from flows.cli.group import cli, show_logs
from flows.cli.options import database_option
from flows.store import database_url
from flows.store.urls import mask_url


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 32), help="Jobs that run at once.")
@click.option(
    "--https-only",
    is_flag=True,
    help="Mark cookies Secure: set when browsers reach the server over HTTPS (e.g. behind a TLS proxy).",
)
@click.option(
    "--session-idle-minutes",
    default=30,
    show_default=True,
    type=click.IntRange(1, 24 * 60),
    help="Sign browsers out after this long without a request.",
)
@click.option(
    "--prefect-deployment",
    envvar="DEMOGEN_PREFECT_DEPLOYMENT",
    metavar="FLOW/DEPLOYMENT",
    default=None,
    help="Run jobs as flow runs of this deployment (e.g. apply-patch/apply-plan-local) on PREFECT_API_URL's workers.",
)
@database_option
def serve(
    host: str,
    port: int,
    workers: int,
    https_only: bool,
    session_idle_minutes: int,
    prefect_deployment: str | None,
    database: str | None,
) -> None:
    """Serve the API (docs at /api/docs) and the pages; Ctrl-C or SIGTERM stops it cleanly.

    Master Admins sign in with `demogen admin create`; programs use `demogen admin token`.
    Sessions survive restarts: the signing key is DEMOGEN_SECRET_KEY, else one kept in the store.
    """
    import uvicorn  # deferred: the server's libraries stay off every other command's start-up

    from flows.web.app import create_app
    from flows.web.settings import WebSettings

    show_logs(True)
    url = database_url(database)
    settings = WebSettings(
        database_url=url,
        https_only=https_only,
        workers=workers,
        session_idle_seconds=session_idle_minutes * 60,
        prefect_deployment=prefect_deployment,
    )
    click.echo(f"demogen: serving {mask_url(url)} on http://{host}:{port} (API docs at /api/docs)", err=True)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        access_log=False,  # the app logs one line per request, with its user
        log_level="info",
        proxy_headers=https_only,
        timeout_graceful_shutdown=5,
    )

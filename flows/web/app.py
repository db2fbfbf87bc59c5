"""The ASGI app: API, sign-in and pages on one store, request logging, body limits and the job runner."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flows.store import connect
from flows.store.accounts import secret_key
from flows.store.migrate import ensure_initialised
from flows.web import api, pages, signin
from flows.web.errors import ApiError, error_response, install_error_handlers, malformed
from flows.web.runner import JobRunner
from flows.web.security import SignInRequired, api_admin, login_url, page_admin
from flows.web.settings import WebSettings
from flows.web.templating import STATIC_DIR

log = logging.getLogger(__name__)
SWAGGER_UI = "/static/vendor/swagger-ui-dist-5.17.14"


class BodyLimit:
    """Counts the bytes of every request body as it arrives: a chunked upload cannot dodge the limit.

    Past the limit the app reads the end of the body, and whatever it answers is replaced by a 413.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received, over, answered = 0, False, False

        async def limited() -> Message:
            nonlocal received, over
            if over:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                over = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def answer(message: Message) -> None:
            nonlocal answered
            if not over:
                await send(message)
            elif not answered:
                answered = True
                await _over_limit(self.limit)(scope, receive, send)

        await self.app(scope, limited, answer)


def create_app(settings: WebSettings) -> FastAPI:
    """The app on `settings.database_url`: the store is initialised and the runner started at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = connect(settings.database_url)
        try:
            ensure_initialised(store)
            app.state.secret_key = secret_key(store)
        finally:
            store.close()
        app.state.runner = JobRunner(settings.database_url, settings.workers)
        yield
        app.state.runner.stop(settings.shutdown_grace_seconds)

    app = FastAPI(
        title="demogen",
        summary="Demo Client Generator: planned, audited monthly patches of demo tenants",
        docs_url=None,  # served below, to signed-in Master Admins only
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.signin_throttle = signin.SignInThrottle(
        settings.signin_failures, settings.signin_window_seconds, settings.signin_lockout_seconds
    )
    install_error_handlers(app)

    @app.exception_handler(RequestValidationError)
    async def _malformed(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI reads the body before any dependency runs: who is knocking is checked first all the same
        store = connect(settings.database_url)
        try:
            await api_admin(request, store)
        except ApiError as refused:
            return error_response(refused.status, refused.code, refused.message, refused.details, refused.headers)
        finally:
            store.close()
        return malformed(exc)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(login_url(exc.next_path), status_code=303)

    @app.middleware("http")
    async def _limit_and_log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > settings.max_body_bytes):
            response: Response = _over_limit(settings.max_body_bytes)
        else:
            response = await call_next(request)
        principal = getattr(request.state, "principal", None)
        who = principal.user.email if principal is not None else "-"
        elapsed = (time.perf_counter() - started) * 1000
        log.info("%s %s %d %.0f ms %s", request.method, request.url.path, response.status_code, elapsed, who)
        return response

    @app.get("/api/openapi.json", include_in_schema=False, dependencies=[Depends(api_admin)])
    def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/api/docs", include_in_schema=False, dependencies=[Depends(page_admin)])
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="demogen API",
            swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",  # vendored: the docs work offline
            swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url="data:,",
        )

    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.include_router(api.router)
    app.include_router(signin.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _over_limit(limit: int) -> Response:
    return error_response(413, "too_large", f"the request body is over the limit of {limit:,} bytes")

"""Browser sign-in and sign-out: `GET|POST /login`, `POST /logout`, with a lockout after repeated failures."""

from __future__ import annotations

import hmac
import logging
import math
import threading
import time
from collections import deque

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from flows.store.accounts import authenticate, create_session, end_session, session_user
from flows.store.base import Store
from flows.web.errors import ApiError
from flows.web.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    PageAdmin,
    StoreDep,
    check_origin,
    csrf_token_for,
    new_signin_token,
    session_cookie_value,
    session_id_from_cookie,
    settings_of,
)
from flows.web.templating import render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


class SignInThrottle:
    """Failed sign-ins per email: `limit` within `window` seconds lock that email out for `lockout` seconds."""

    def __init__(self, limit: int, window: float, lockout: float) -> None:
        self.limit, self.window, self.lockout = limit, window, lockout
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._guard = threading.Lock()

    def seconds_locked(self, email: str) -> float:
        with self._guard:
            return max(0.0, self._locked_until.get(email, 0.0) - time.monotonic())

    def failed(self, email: str) -> None:
        now = time.monotonic()
        with self._guard:
            failures = self._failures.setdefault(email, deque())
            failures.append(now)
            while failures and failures[0] < now - self.window:
                failures.popleft()
            if len(failures) >= self.limit:
                self._locked_until[email] = now + self.lockout
                failures.clear()

    def succeeded(self, email: str) -> None:
        with self._guard:
            self._failures.pop(email, None)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this server, never another site (`//evil.example`)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    return value


def _set_cookie(response: Response, request: Request, name: str, value: str, *, http_only: bool) -> None:
    response.set_cookie(
        name, value, httponly=http_only, samesite="lax", secure=settings_of(request).https_only, path="/"
    )


def _login_page(request: Request, *, status: int = 200, error: str | None = None, email: str = "") -> HTMLResponse:
    """The sign-in form with a fresh CSRF token, in the form and in its cookie."""
    token = new_signin_token()
    request.state.csrf_token = token
    next_path = safe_next(request.query_params.get("next") or getattr(request.state, "next_path", None))
    response = render(request, "login.html", {"error": error, "email": email, "next": next_path}, status)
    _set_cookie(response, request, CSRF_COOKIE, token, http_only=False)
    return response


def _signed_in(request: Request, store: Store) -> bool:
    session_id = session_id_from_cookie(request.app.state.secret_key, request.cookies.get(SESSION_COOKIE))
    return (
        session_id is not None
        and session_user(store, session_id, settings_of(request).session_idle_seconds) is not None
    )


@router.get("/login", response_model=None)
def login_form(request: Request, store: StoreDep) -> Response:
    if _signed_in(request, store):
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return _login_page(request)


@router.post("/login", response_model=None)
async def login(request: Request, store: StoreDep) -> Response:
    form = await request.form()
    email = str(form.get("email") or "").strip().lower()
    password = str(form.get("password") or "")
    request.state.next_path = str(form.get("next") or "")
    try:
        check_origin(request)
    except ApiError as exc:
        return _login_page(request, status=403, error=exc.message, email=email)
    sent, cookie = str(form.get(CSRF_FIELD) or ""), request.cookies.get(CSRF_COOKIE) or ""
    if not (sent and cookie and hmac.compare_digest(sent, cookie)):
        return _login_page(request, status=403, error="This sign-in form expired: sign in again.", email=email)
    throttle: SignInThrottle = request.app.state.signin_throttle
    locked = throttle.seconds_locked(email)
    if locked > 0:
        minutes = math.ceil(locked / 60)
        message = f"Too many failed sign-ins for {email}: try again in {minutes} minute{'s' if minutes > 1 else ''}."
        log.warning("sign-in refused: %s is locked out", email)
        return _login_page(request, status=429, error=message, email=email)
    user = authenticate(store, email, password) if email and password else None
    if user is None:
        throttle.failed(email)
        log.warning("sign-in failed for %s", email)
        return _login_page(request, status=401, error="Email or password is incorrect.", email=email)
    if not user.is_master_admin:
        log.warning("sign-in refused: %s is not a Master Admin", email)
        return _login_page(request, status=403, error=f"{email} is not a Master Admin.", email=email)
    throttle.succeeded(email)
    key = request.app.state.secret_key
    old = session_id_from_cookie(key, request.cookies.get(SESSION_COOKIE))
    if old is not None:
        end_session(store, old)  # a new session id at every sign-in: a planted one never becomes valid
    session_id = create_session(store, user.id)
    log.info("%s signed in", email)
    response = RedirectResponse(safe_next(request.state.next_path), status_code=303)
    _set_cookie(response, request, SESSION_COOKIE, session_cookie_value(key, session_id), http_only=True)
    _set_cookie(response, request, CSRF_COOKIE, csrf_token_for(key, session_id), http_only=False)
    return response


@router.post("/logout", response_model=None)
def logout(request: Request, principal: PageAdmin, store: StoreDep) -> Response:
    if principal.session_id is not None:
        end_session(store, principal.session_id)
    log.info("%s signed out", principal.user.email)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response

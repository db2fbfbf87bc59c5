"""Who is knocking: bearer tokens for programs, signed session cookies for browsers, CSRF and Origin checks.

Every route declares `api_admin` or `page_admin`; neither is ever re-checked by hand in a handler.
A browser's mutation (any method but GET, HEAD, OPTIONS) must come from this server's own
origin and echo its CSRF token — the `demogen_csrf` cookie — in the `X-CSRF-Token` header or
the `csrf_token` form field. Programs authenticate with `Authorization: Bearer`, which a
browser never sends by itself, so they need no CSRF token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request

from flows.store import connect
from flows.store.accounts import User, session_user, token_user
from flows.store.base import Store
from flows.web.errors import ApiError
from flows.web.settings import WebSettings

SESSION_COOKIE = "demogen_session"
CSRF_COOKIE = "demogen_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    """The signed-in Master Admin of a request, and how they proved it."""

    user: User
    via: Literal["bearer", "session"]
    session_id: str | None = None


def settings_of(request: Request) -> WebSettings:
    settings: WebSettings = request.app.state.settings
    return settings


def request_store(request: Request) -> Iterator[Store]:
    """A connection of the request's own, closed when the response is sent."""
    store = connect(settings_of(request).database_url)
    try:
        yield store
    finally:
        store.close()


StoreDep = Annotated[Store, Depends(request_store)]


# --- signing -----------------------------------------------------------------------------------


def _mac(key: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def session_cookie_value(key: bytes, session_id: str) -> str:
    return f"{session_id}.{_mac(key, 'session', session_id)}"


def session_id_from_cookie(key: bytes, cookie: str | None) -> str | None:
    """The session id of a cookie this server signed; None for a missing or forged one."""
    if not cookie or "." not in cookie:
        return None
    session_id, signature = cookie.rsplit(".", 1)
    return session_id if hmac.compare_digest(signature, _mac(key, "session", session_id)) else None


def csrf_token_for(key: bytes, session_id: str) -> str:
    """The CSRF token of a session: derived from it, so a token from another session never passes."""
    return _mac(key, "csrf", session_id)


def new_signin_token() -> str:
    """The CSRF token of a sign-in form, before any session exists (checked cookie against form)."""
    return secrets.token_urlsafe(32)


# --- checks ------------------------------------------------------------------------------------


def _same_origin(request: Request) -> bool:
    """A browser names the page a request came from in Origin (or Referer): it must be this server."""
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed or claimed == "null":
        return claimed is None
    parts = urlsplit(claimed)
    scheme = "https" if settings_of(request).https_only else request.url.scheme
    host = request.headers.get("host", "")
    return parts.scheme == scheme and parts.netloc.lower() == host.lower()


def check_origin(request: Request) -> None:
    if not _same_origin(request):
        shown = (request.headers.get("origin") or request.headers.get("referer") or "")[:80]
        raise ApiError(403, "cross_origin", f"cross-origin request refused: {shown} is not this server")


async def _sent_csrf_token(request: Request) -> str | None:
    token = request.headers.get(CSRF_HEADER)
    if token:
        return token
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def check_csrf(request: Request, expected: str) -> None:
    """The token sent must be the session's, and the cookie must hold it too (a forged page can set neither)."""
    sent = await _sent_csrf_token(request)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not sent:
        raise ApiError(
            403,
            "csrf_missing",
            f"CSRF token missing: send the {CSRF_COOKIE} cookie's value in the {CSRF_HEADER} header",
        )
    if not (cookie and hmac.compare_digest(sent, expected) and hmac.compare_digest(cookie, expected)):
        raise ApiError(403, "csrf_invalid", "CSRF token does not match this session: reload the page and try again")


_WWW = {"WWW-Authenticate": "Bearer"}


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthenticated", "the Authorization header must be: Bearer <API token>", headers=_WWW)
    return token.strip()


async def _principal(request: Request, store: Store) -> Principal | None:
    """The Master Admin or other user a request proves to be, None when it proves nothing."""
    settings = settings_of(request)
    token = _bearer(request)
    if token is not None:
        user = token_user(store, token)
        if user is None:
            raise ApiError(401, "unauthenticated", "the API token is not valid or was revoked", headers=_WWW)
        return Principal(user, "bearer")
    session_id = session_id_from_cookie(request.app.state.secret_key, request.cookies.get(SESSION_COOKIE))
    if session_id is None:
        return None
    user = session_user(store, session_id, settings.session_idle_seconds)
    return None if user is None else Principal(user, "session", session_id)


async def _admin(request: Request, store: Store) -> Principal | None:
    principal = await _principal(request, store)
    if principal is None:
        return None
    if not principal.user.is_master_admin:
        raise ApiError(403, "forbidden", f"{principal.user.email} is not a Master Admin")
    if principal.via == "session" and request.method not in SAFE_METHODS:
        check_origin(request)
        await check_csrf(request, csrf_token_for(request.app.state.secret_key, principal.session_id or ""))
    request.state.principal = principal
    return principal


async def api_admin(request: Request, store: StoreDep) -> Principal:
    """The signed-in Master Admin of an API request; 401 without credentials, 403 for anyone else."""
    principal = await _admin(request, store)
    if principal is None:
        raise ApiError(
            401,
            "unauthenticated",
            "sign in first: send Authorization: Bearer <API token>, or sign in at /login",
            headers=_WWW,
        )
    return principal


class SignInRequired(Exception):
    """A page asked for without a session: the browser goes to the sign-in page and comes back."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def login_url(next_path: str) -> str:
    return f"/login?next={quote(next_path, safe='/')}"


async def page_admin(request: Request, store: StoreDep) -> Principal:
    """The signed-in Master Admin of a page; without a session, the sign-in page."""
    principal = await _admin(request, store)
    if principal is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(path)
    return principal


ApiAdmin = Annotated[Principal, Depends(api_admin)]
PageAdmin = Annotated[Principal, Depends(page_admin)]

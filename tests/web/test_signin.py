"""Browser sign-in, sessions, CSRF and Origin checks against a real server."""

from __future__ import annotations

import signal
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.web.api_client import example_body, sign_in
from tests.web.conftest import API, LiveServer, start_server

pytestmark = pytest.mark.web

_VALIDATE = f"{API}/tenants/acme-corp-demo/patch/validate"


def _set_cookie_headers(response: httpx.Response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


def test_sign_in_sets_safe_cookies_and_rotates_the_session(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.base_url, timeout=60) as browser:
        page = browser.get("/?tab=x")
        assert (page.status_code, page.headers["location"]) == (303, "/login?next=/%3Ftab%3Dx")
        form = browser.get("/login")
        browser.cookies.set("demogen_session", "planted.by-an-attacker", domain="127.0.0.1")
        signed = browser.post(
            "/login",
            data={
                "email": "Master@Demogen.test",
                "password": live_server.password,
                "csrf_token": browser.cookies["demogen_csrf"],
                "next": "/?tab=x",
            },
        )
        assert form.status_code == 200
        assert (signed.status_code, signed.headers["location"]) == (303, "/?tab=x")
        cookies = _set_cookie_headers(signed)
        session = cookies["demogen_session"]
        assert "HttpOnly" in session and "SameSite=lax" in session and "Secure" not in session and "Path=/" in session
        assert "HttpOnly" not in cookies["demogen_csrf"] and "SameSite=lax" in cookies["demogen_csrf"]
        first = browser.cookies["demogen_session"]
        assert first != "planted.by-an-attacker"
        assert browser.get(f"{API}/tenants").status_code == 200

        browser.get("/login")  # signed in already: no new form, no new token
        again = browser.post(
            "/login",
            data={
                "email": live_server.email,
                "password": live_server.password,
                "csrf_token": browser.cookies["demogen_csrf"],
            },
        )
        assert again.status_code == 303
        assert browser.cookies["demogen_session"] != first  # a new session id at every sign-in
    with httpx.Client(base_url=live_server.base_url, cookies={"demogen_session": first}, timeout=60) as old:
        assert old.get(f"{API}/tenants").status_code == 401


def test_wrong_passwords_then_a_lockout(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.base_url, timeout=60) as browser:
        browser.get("/login")

        def attempt(password: str) -> httpx.Response:
            token = browser.cookies["demogen_csrf"]
            return browser.post("/login", data={"email": live_server.email, "password": password, "csrf_token": token})

        for _ in range(5):
            wrong = attempt("not the password at all")
            assert wrong.status_code == 401
            assert "Email or password is incorrect." in wrong.text
            assert "demogen_session" not in browser.cookies
        locked = attempt(live_server.password)  # even the right password, for a while
        assert locked.status_code == 429
        assert f"Too many failed sign-ins for {live_server.email}: try again in 5 minutes." in locked.text
        no_token = browser.post("/login", data={"email": "x@y.z", "password": "whatever"})
        assert no_token.status_code == 403
        assert "This sign-in form expired: sign in again." in no_token.text


def test_csrf_and_origin_guard_every_browser_mutation(live_server: LiveServer) -> None:
    with closing(sign_in(live_server.base_url, live_server.email, live_server.password)) as browser:
        token = browser.cookies["demogen_csrf"]
        missing = browser.post(_VALIDATE, json=example_body())
        assert missing.status_code == 403
        assert missing.json()["error"] == {
            "code": "csrf_missing",
            "message": "CSRF token missing: send the demogen_csrf cookie's value in the X-CSRF-Token header",
            "details": {},
        }
        wrong = browser.post(_VALIDATE, json=example_body(), headers={"X-CSRF-Token": token[:-2] + "xx"})
        assert wrong.status_code == 403
        assert wrong.json()["error"] == {
            "code": "csrf_invalid",
            "message": "CSRF token does not match this session: reload the page and try again",
            "details": {},
        }
        foreign = browser.post(
            _VALIDATE, json=example_body(), headers={"X-CSRF-Token": token, "Origin": "https://evil.example"}
        )
        assert foreign.status_code == 403
        assert (
            foreign.json()["error"]["message"]
            == "cross-origin request refused: https://evil.example is not this server"
        )
        good = browser.post(
            _VALIDATE, json=example_body(), headers={"X-CSRF-Token": token, "Origin": live_server.base_url}
        )
        assert (good.status_code, good.json()["valid"]) == (200, True)
        assert browser.get(f"{API}/tenants").status_code == 200  # reads need no token

        out = browser.post("/logout", data={"csrf_token": token})
        assert (out.status_code, out.headers["location"]) == (303, "/login")
        assert browser.get(f"{API}/tenants").status_code == 401
    with live_server.client() as api:  # a bearer token is never ambient: no CSRF token needed
        assert api.post(_VALIDATE, json=example_body()).status_code == 200


def test_https_only_marks_cookies_secure_and_sigterm_stops_cleanly(live_server: LiveServer, tmp_path: Path) -> None:
    live_server.stop()
    process, base_url = start_server(live_server.database_url, tmp_path / "https.log", "--https-only")
    try:
        with httpx.Client(base_url=base_url, timeout=60) as browser:
            form = browser.get("/login")
            assert "Secure" in _set_cookie_headers(form)["demogen_csrf"]
    finally:
        process.terminate()
        # uvicorn shuts down, then ends by the signal it caught, as a process told to stop should
        assert process.wait(timeout=60) == -signal.SIGTERM
    log = (tmp_path / "https.log").read_text()
    assert "GET /login 200" in log
    assert "Application shutdown complete." in log

"""Jinja2 for the pages: one environment, and `render`, which gives every page its user and CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    """The page `name` with `context`, plus `user` (the signed-in email or None) and `csrf_token`."""
    principal = getattr(request.state, "principal", None)
    values = {
        "user": principal.user.email if principal is not None else None,
        "csrf_token": getattr(request.state, "csrf_token", None) or request.cookies.get("demogen_csrf", ""),
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, values, status_code=status_code)

"""One error shape for every API failure: `{"error": {"code", "message", "details"}}` with its HTTP status."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from generators.errors import DemogenError, UsageError


class ApiError(Exception):
    """A refusal a client can understand: status, a stable code, a one-line message and details."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return JSONResponse(body, status_code=status, headers=headers)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    return ".".join(parts[1:] if parts and parts[0] in ("body", "query", "path") else parts)


def malformed(exc: RequestValidationError) -> JSONResponse:
    """422 naming every field pydantic refused, by its path in the body (months.0.metrics.leadsCreated)."""
    fields = []
    for error in exc.errors():
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        path = _field_path(error.get("loc", ()))
        if error.get("type") == "json_invalid":
            reason = error.get("ctx", {}).get("error", "parse error")
            message, path = f"the body is not valid JSON: {reason} at character {path}", ""
        fields.append({"path": path, "message": message})
    first = fields[0] if fields else {"path": "", "message": "malformed request"}
    where = f"{first['path']}: " if first["path"] else ""
    more = f" (and {len(fields) - 1} more)" if len(fields) > 1 else ""
    return error_response(422, "malformed", f"{where}{first['message']}{more}", {"fields": fields})


def install_error_handlers(app: FastAPI) -> None:
    """Every failure the API can meet answers in the one shape; a bug answers 500 without its insides."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(UsageError)
    async def _usage(request: Request, exc: UsageError) -> JSONResponse:
        return error_response(400, "bad_request", str(exc))

    @app.exception_handler(DemogenError)
    async def _domain(request: Request, exc: DemogenError) -> JSONResponse:
        return error_response(400, "refused", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = "no such path" if exc.status_code == 404 else str(exc.detail)
        return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))

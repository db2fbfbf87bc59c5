"""The pages a Master Admin uses: tenants, a tenant's KPIs and Monthly Updates, jobs."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse

from flows.web.security import page_admin

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_admin)])


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/tenants", status_code=303)

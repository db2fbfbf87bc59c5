"""The API through a real `demogen serve` and a real HTTP client, on both backends."""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import httpx
import pytest

from flows.store.accounts import revoke_token
from tests.web.api_client import EXAMPLE_CSV, example_body, wait_for_job
from tests.web.conftest import API, LiveServer

pytestmark = pytest.mark.web

_JOB_KEYS = {
    "id", "tenantId", "status", "mode", "planType", "patchPlan", "seed", "rangeStartMonth", "rangeEndMonth",
    "tolerances", "originalJobId", "createdById", "createdBy", "beforeKpis", "afterKpis", "diffReport", "metrics",
    "progress", "currentStep", "logs", "createdAt", "startedAt", "completedAt", "durationSeconds", "errorMessage",
}  # fmt: skip


def test_the_example_plan_applied_through_the_api(live_server: LiveServer) -> None:
    with live_server.client() as api:
        checked = api.post(f"{API}/tenants/acme-corp-demo/patch/validate", json=example_body())
        assert checked.status_code == 200
        validation = checked.json()
        assert set(validation) == {"valid", "errors", "warnings", "preview"}
        assert validation["valid"] is True and validation["errors"] == []
        total = validation["preview"]["total"]
        records = total["records"]
        assert (records["contacts"], records["companies"], records["deals"]) == (144, 36, 30)
        assert Decimal(str(total["closedWonValueAdded"])) == Decimal(97000)

        accepted = api.post(f"{API}/tenants/acme-corp-demo/patch/apply", json=example_body())
        assert accepted.status_code == 202
        job_id = accepted.json()["jobId"]
        assert accepted.json() == {"jobId": job_id, "status": accepted.json()["status"]}
        assert accepted.json()["status"] in ("pending", "running")

        details = wait_for_job(api, job_id)
        assert set(details) == {"job", "beforeKpis", "afterKpis", "diffReport"}
        job = details["job"]
        assert set(job) == _JOB_KEYS
        assert (job["status"], job["progress"], job["errorMessage"]) == ("completed", 100, None)
        assert job["createdBy"] == "master <master@demogen.test>"
        assert job["metrics"]["byEntity"] == {"companies": 36, "contacts": 324, "deals": 30, "activities": 288}
        assert [entry["step"] for entry in job["logs"]][:2] == ["create", "prepare"]
        assert details["afterKpis"] == job["afterKpis"] and details["diffReport"] == job["diffReport"]

        again = api.post(f"{API}/tenants/{job['tenantId']}/patch/apply", json=example_body())
        assert (again.status_code, again.json()) == (200, {"jobId": job_id, "status": "completed"})

        kpis = api.get(f"{API}/tenants/acme-corp-demo/kpis", params={"from": "2025-01", "to": "2025-03"}).json()
        assert [m["month"] for m in kpis["months"]] == ["2025-01", "2025-02", "2025-03"]
        assert kpis["months"][0]["metrics"]["leadsCreated"] == 50
        assert sum(m["metrics"]["closedWonValue"] for m in kpis["months"]) == 97000
        assert sum(m["metrics"]["activitiesCount"] for m in kpis["months"]) == 288

        jobs = api.get(f"{API}/tenants/acme-corp-demo/patch-jobs").json()["jobs"]
        assert jobs[0]["id"] == job_id and set(jobs[0]) == _JOB_KEYS

        for fmt, media in (
            ("md", "text/markdown"),
            ("csv", "text/csv"),
            ("json", "application/json"),
            ("html", "text/html"),
        ):
            export = api.get(f"{API}/patch-jobs/{job_id}/export", params={"format": fmt})
            assert export.status_code == 200
            assert export.headers["content-type"] == f"{media}; charset=utf-8"
            assert export.headers["content-disposition"] == f'attachment; filename="patch-job-{job_id[:8]}.{fmt}"'
        assert json.loads(api.get(f"{API}/patch-jobs/{job_id}/export", params={"format": "json"}).text)["id"] == job_id

        reverted = api.post(f"{API}/patch-jobs/{job_id}/revert")
        assert reverted.status_code == 200
        assert reverted.json()["job"]["metrics"]["recordsDeleted"] == 678
        after = api.get(f"{API}/tenants/acme-corp-demo/kpis", params={"from": "2025-01", "to": "2025-03"}).json()
        assert all(not any(m["metrics"].values()) for m in after["months"])


def test_tenants_csv_and_quick_fill(live_server: LiveServer) -> None:
    with live_server.client() as api:
        listed = api.get(f"{API}/tenants").json()["tenants"]
        assert [t["slug"] for t in listed] == ["acme-corp-demo"]
        assert listed[0]["dataRange"] == {"from": "2024-01", "to": "2024-12"}
        one = api.get(f"{API}/tenants/acme-corp-demo").json()
        assert (one["id"], one["creationMonth"]) == (listed[0]["id"], "2024-01")

        parsed = api.post(f"{API}/tenants/acme-corp-demo/patch/parse-csv", json={"csv": EXAMPLE_CSV})
        assert parsed.status_code == 200
        assert parsed.json()["plan"]["months"] == example_body()["months"]

        bad = api.post(
            f"{API}/tenants/acme-corp-demo/patch/parse-csv", json={"csv": EXAMPLE_CSV.replace("60,48", "sixty,48")}
        )
        assert bad.status_code == 400
        assert bad.json() == {
            "error": {
                "code": "csv_invalid",
                "message": "CSV: row 3, column leadsCreated: 'sixty' is not a number",
                "details": {"problems": [{"row": 3, "column": "leadsCreated", "message": "'sixty' is not a number"}]},
            }
        }

        grown = api.post(
            f"{API}/tenants/acme-corp-demo/patch/quick-fill",
            json={"from": "2025-01", "months": 2, "pct": 10, "baseMonth": "2024-12"},
        )
        assert grown.status_code == 200
        plan = grown.json()["plan"]
        assert (grown.json()["baseMonth"], plan["planType"], len(plan["months"])) == ("2024-12", "targets", 2)
        base = api.get(f"{API}/tenants/acme-corp-demo/kpis", params={"from": "2024-12", "to": "2024-12"}).json()
        leads = base["months"][0]["metrics"]["leadsCreated"]
        assert plan["months"][0]["metrics"]["leadsCreated"] == round(leads * 1.1)


def test_refusals_name_what_was_wrong(live_server: LiveServer) -> None:
    with live_server.client() as api:
        unknown = api.post(f"{API}/tenants/no-such-tenant/patch/validate", json=example_body())
        assert unknown.status_code == 404
        assert unknown.json()["error"] == {
            "code": "not_found",
            "message": "unknown tenant 'no-such-tenant': no tenant has that id or slug",
            "details": {},
        }
        missing_job = api.get(f"{API}/patch-jobs/00000000-0000-0000-0000-000000000000")
        assert (missing_job.status_code, missing_job.json()["error"]["code"]) == (404, "not_found")

        negative = {**example_body(), "months": [{"month": "2025-01", "metrics": {"leadsCreated": -5}}]}
        refused = api.post(f"{API}/tenants/acme-corp-demo/patch/apply", json=negative)
        assert refused.status_code == 400
        message = "Cannot reduce leadsCreated in ADDITIVE mode. Computed delta: -5 (2025-01)"
        assert refused.json()["error"]["message"] == message
        assert refused.json()["error"]["details"]["errors"][0]["code"] == "V-1"

        typo = {**example_body(), "months": [{"month": "2025-01", "metrics": {"leadsCreated": "many"}}]}
        malformed = api.post(f"{API}/tenants/acme-corp-demo/patch/validate", json=typo)
        assert malformed.status_code == 422
        assert malformed.json()["error"]["details"]["fields"] == [
            {"path": "months.0.metrics.leadsCreated", "message": "expected a number, got 'many'"}
        ]
        broken = api.post(
            f"{API}/tenants/acme-corp-demo/patch/validate",
            content=b'{"mode":',
            headers={"content-type": "application/json"},
        )
        assert broken.status_code == 422
        assert broken.json()["error"]["message"] == "the body is not valid JSON: Expecting value at character 8"

        huge = api.post(
            f"{API}/tenants/acme-corp-demo/patch/validate",
            content=b"{" + b" " * 2_000_000 + b"}",
            headers={"content-type": "application/json"},
        )
        assert huge.status_code == 413
        assert huge.json()["error"] == {
            "code": "too_large",
            "message": "the request body is over the limit of 1,065,536 bytes",
            "details": {},
        }
        chunked = api.post(
            f"{API}/tenants/acme-corp-demo/patch/validate",
            content=(b" " * 65536 for _ in range(20)),  # no length declared: sent in chunks
            headers={"content-type": "application/json"},
        )
        assert (chunked.status_code, chunked.json()["error"]["code"]) == (413, "too_large")


def test_a_non_demo_tenant_is_refused(live_server: LiveServer) -> None:
    real = "11111111-1111-1111-1111-111111111111"
    live_server.change(
        lambda store: store.execute(
            "INSERT INTO tenants (id, name, slug, demo_generated, timezone, locale, currency, created_at) "
            "VALUES (?, 'Real Customer', 'real-customer', false, 'UTC', 'en_US', 'USD', ?)",
            (real, "2024-01-01T00:00:00+00:00"),
        )
    )
    with live_server.client() as api:
        refused = api.post(f"{API}/tenants/real-customer/patch/apply", json=example_body())
        assert refused.status_code == 400
        assert refused.json()["error"]["message"] == f"Tenant {real} is not a demo-generated tenant"
        assert [t["slug"] for t in api.get(f"{API}/tenants", params={"all": "true"}).json()["tenants"]] == [
            "acme-corp-demo",
            "real-customer",
        ]


def test_two_applies_on_one_tenant_run_one_after_the_other(live_server: LiveServer) -> None:
    first = {
        "mode": "additive",
        "planType": "targets",
        "months": [{"month": "2025-01", "metrics": {"leadsCreated": 40}}],
    }
    second = {
        "mode": "additive",
        "planType": "targets",
        "months": [{"month": "2025-02", "metrics": {"leadsCreated": 30}}],
    }
    answers: dict[str, httpx.Response] = {}

    def post(name: str, body: dict[str, object]) -> None:
        with live_server.client() as api:
            answers[name] = api.post(f"{API}/tenants/acme-corp-demo/patch/apply", json=body)

    threads = [threading.Thread(target=post, args=(n, b)) for n, b in (("first", first), ("second", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {a.status_code for a in answers.values()} == {202}
    with live_server.client() as api:
        statuses = sorted(
            api.get(f"{API}/patch-jobs/{a.json()['jobId']}").json()["job"]["status"] for a in answers.values()
        )
        assert "pending" in statuses  # the later one waits for the tenant
        for answer in answers.values():
            assert wait_for_job(api, answer.json()["jobId"])["job"]["status"] == "completed"
        kpis = api.get(f"{API}/tenants/acme-corp-demo/kpis", params={"from": "2025-01", "to": "2025-02"}).json()
        assert [m["metrics"]["leadsCreated"] for m in kpis["months"]] == [40, 30]


def test_api_tokens_are_checked_on_every_request(live_server: LiveServer) -> None:
    tenants = f"{API}/tenants"
    with live_server.anonymous() as anonymous:
        nobody = anonymous.get(tenants)
        assert nobody.status_code == 401
        assert nobody.headers["www-authenticate"] == "Bearer"
        assert nobody.json()["error"] == {
            "code": "unauthenticated",
            "message": "sign in first: send Authorization: Bearer <API token>, or sign in at /login",
            "details": {},
        }
        forged = anonymous.get(tenants, headers={"Authorization": "Bearer dgt_000000000000_forged"})
        assert forged.status_code == 401
        assert forged.json()["error"]["message"] == "the API token is not valid or was revoked"
        # a malformed body is not read before its sender is known
        unread = anonymous.post(
            f"{API}/tenants/acme-corp-demo/patch/validate", content=b"{", headers={"content-type": "application/json"}
        )
        assert unread.status_code == 401
    with live_server.client() as api:
        assert api.get(tenants).status_code == 200
        live_server.change(
            lambda store: store.execute("UPDATE users SET role = 'sales_rep' WHERE email = ?", (live_server.email,))
        )
        demoted = api.get(tenants)
        assert demoted.status_code == 403
        assert demoted.json()["error"]["message"] == "master@demogen.test is not a Master Admin"
        live_server.change(
            lambda store: store.execute("UPDATE users SET role = 'master_admin' WHERE email = ?", (live_server.email,))
        )
        assert api.get(tenants).status_code == 200
        live_server.change(lambda store: revoke_token(store, live_server.token))
        assert api.get(tenants).status_code == 401


def test_the_openapi_document_is_for_master_admins(live_server: LiveServer) -> None:
    with live_server.anonymous() as anonymous:
        assert anonymous.get("/api/openapi.json").status_code == 401
        docs = anonymous.get("/api/docs")
        assert (docs.status_code, docs.headers["location"]) == (303, "/login?next=/api/docs")
    with live_server.client() as api:
        document = api.get("/api/openapi.json").json()
        page = api.get("/api/docs", headers={"Authorization": "Bearer " + live_server.token})
        assert page.status_code == 200
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
            assert f'"/static/vendor/swagger-ui-dist-5.17.14/{asset}"' in page.text  # served here, not by a CDN
            assert api.get(f"/static/vendor/swagger-ui-dist-5.17.14/{asset}").status_code == 200
    paths = document["paths"]
    for path, method in (
        ("/tenants/{tenantId}/patch/validate", "post"),
        ("/tenants/{tenantId}/patch/apply", "post"),
        ("/patch-jobs/{jobId}", "get"),
        ("/tenants/{tenantId}/kpis", "get"),
    ):
        assert method in paths[f"{API}{path}"]
    schemas = document["components"]["schemas"]
    assert set(schemas["PatchPlanInput"]["properties"]) >= {"mode", "planType", "months", "tolerances", "seed"}
    assert set(schemas["PatchJobResponse"]["properties"]) == _JOB_KEYS

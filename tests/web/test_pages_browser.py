"""The pages in a real Chromium, as a Master Admin uses them: sign in, tenants, Monthly Updates, a job, revert."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.api_client import EXAMPLE_CSV
from tests.web.conftest import API, LiveServer

try:
    from playwright.sync_api import Browser, Dialog, Locator, Page, ViewportSize, expect, sync_playwright
except ImportError:  # the test extra installs it; without it these tests cannot run
    sync_playwright = None  # type: ignore[assignment]

pytestmark = pytest.mark.web

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium, headless, with nothing that would reach out to the network on its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
WIDE: ViewportSize = {"width": 1280, "height": 900}
NARROW: ViewportSize = {"width": 400, "height": 860}
JOB_TIMEOUT_MS = 180_000  # a patch runs generation and two dbt test suites


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    missing = None
    if sync_playwright is None:
        missing = "the playwright package is not installed (pip install -e '.[test]')"
    elif not CHROMIUM.exists():
        missing = f"{CHROMIUM} is missing (apt-get install chromium)"
    if missing:
        if _in_ci():  # in CI a missing browser is a failure, never a skip
            pytest.fail(f"Chromium is required in CI: {missing}", pytrace=False)
        pytest.skip(f"no browser: {missing}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(params=["duckdb"])
def backend(request: pytest.FixtureRequest) -> str:
    """The pages' tests run on DuckDB; the whole journey also on PostgreSQL (see its parametrize)."""
    return str(request.param)


def _screenshot_name(request: pytest.FixtureRequest, suffix: str = "") -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    return ARTIFACTS / f"{name}{suffix}.png"


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser profile (no cookies) at 1280 px; its last page is saved as a screenshot."""
    context = browser.new_context(viewport=WIDE, accept_downloads=True, locale="en-US")
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    try:
        opened.screenshot(path=_screenshot_name(request), full_page=True)
    finally:
        context.close()
    assert errors == [], f"the page's scripts failed: {errors}"


def snap(page: Page, request: pytest.FixtureRequest, step: str) -> None:
    """A screenshot of a step along the way, beside the test's last one."""
    page.screenshot(path=_screenshot_name(request, f"-{step}"), full_page=True)


def sign_in(page: Page, server: LiveServer, path: str = "/") -> None:
    page.goto(server.base_url + path)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Email").fill(server.email)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def open_monthly_updates(page: Page, server: LiveServer) -> None:
    sign_in(page, server, "/tenants/acme-corp-demo?tab=monthly-updates")
    expect(page.get_by_role("heading", name="Monthly Patch Grid")).to_be_visible()


def settled_preview(page: Page) -> Locator:
    """The Preview box once it answers for the grid as it is now (not while it is being refreshed)."""
    region = page.get_by_role("region", name="Preview")
    expect(region.locator("[aria-busy=true]")).to_have_count(0)
    return region


def kpis(server: LiveServer, first: str, last: str) -> dict[str, dict[str, Any]]:
    with server.client() as client:
        answer = client.get(f"{API}/tenants/acme-corp-demo/kpis", params={"from": first, "to": last})
    answer.raise_for_status()
    return {row["month"]: row["metrics"] for row in answer.json()["months"]}


# --- the whole journey ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_apply_the_example_plan_from_csv_then_revert_it(
    page: Page, live_server: LiveServer, request: pytest.FixtureRequest
) -> None:
    sign_in(page, live_server)
    expect(page).to_have_url(live_server.base_url + "/tenants")
    expect(page.get_by_role("heading", name="Tenants", exact=True)).to_be_visible()
    acme = page.get_by_role("row", name=re.compile("Acme Corp Demo"))
    expect(acme).to_contain_text("acme-corp-demo")
    expect(acme).to_contain_text("Jan 2024 - Dec 2024")
    snap(page, request, "tenants")
    page.get_by_role("link", name="Show all tenants").click()
    expect(page).to_have_url(live_server.base_url + "/tenants?all=true")
    expect(page.get_by_role("row", name=re.compile("Acme Corp Demo"))).to_contain_text("Yes")
    page.get_by_role("link", name="Show demo tenants only").click()
    expect(page).to_have_url(live_server.base_url + "/tenants")

    page.get_by_role("link", name="Acme Corp Demo").click()
    expect(page.get_by_role("heading", name="Acme Corp Demo")).to_be_visible()
    expect(page.get_by_text("Current Data Range: Jan 2024 - Dec 2024")).to_be_visible()
    expect(page.get_by_role("heading", name="Monthly KPI Summary")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Leads, contacts and deals"))).to_be_visible()
    snap(page, request, "overview")

    page.get_by_role("link", name="Monthly Updates").click()
    page.get_by_role("button", name="Paste CSV").click()
    page.get_by_label("CSV", exact=True).fill(EXAMPLE_CSV)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_label("Leads, Jan 2025")).to_have_value("50")
    expect(page.get_by_label("Won $, Feb 2025")).to_have_value("32,000")
    expect(page.get_by_label("Pipeline $, Mar 2025")).to_have_value("120,000")
    expect(page.get_by_label("Activities, Mar 2025")).to_have_value("")
    expect(page.get_by_label("From", exact=True)).to_have_value("2025-01")
    expect(page.get_by_label("To", exact=True)).to_have_value("2025-03")

    page.get_by_role("button", name="Validate").click()
    preview = settled_preview(page)
    expect(preview).to_contain_text("Estimated records to create:")
    expect(preview).to_contain_text("Contacts: 144 │ Companies: 36 │ Deals: 30")
    expect(preview).to_contain_text("Total closed won value: $97,000")
    expect(preview).to_contain_text("✓ All metrics valid for ADDITIVE mode")
    snap(page, request, "preview")

    apply = page.get_by_role("button", name="Apply Patch")
    expect(apply).to_be_enabled()
    apply.click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]{36}$"))
    snap(page, request, "job-running")  # most likely still running: progress bar and current step
    page.evaluate("window.sameDocument = true")  # gone if the page reloaded instead of polling
    expect(page.get_by_role("heading", name=re.compile(r"^Patch Job: [0-9a-f-]{36}$"))).to_be_visible()
    expect(page.get_by_role("status", name="Job status")).to_have_text("✓ Completed", timeout=JOB_TIMEOUT_MS)
    patch_url = page.url
    assert page.evaluate("window.sameDocument === true"), "the job page reloaded instead of polling"

    comparison = page.get_by_role("table", name="KPI Comparison")
    expect(comparison.get_by_role("row", name=re.compile(r"^Leads \(Jan\)"))).to_contain_text("new")
    rows = comparison.locator("tbody tr")
    expect(rows).to_have_count(3 * 8)
    passes = [rows.nth(i).locator("td").last.inner_text() for i in range(rows.count())]
    assert passes.count("✓") == 3 * 7 and set(passes) == {"✓", "—"}, passes  # activities had no target
    records = page.get_by_role("region", name="Records Created")
    expect(records).to_contain_text("Contacts: 144 │ Companies: 36 │ Deals: 30")
    expect(records).to_contain_text("Activities: 288")
    expect(page.get_by_role("region", name="dbt Tests")).to_contain_text("Audit before publishing")
    expect(page.get_by_role("region", name="dbt Tests")).not_to_contain_text("✗")
    snap(page, request, "job")

    page.get_by_text("Export Report").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="HTML").click()
    assert download.value.suggested_filename.endswith(".html")
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Acme Corp Demo" in report and "<h2>KPI comparison</h2>" in report

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revert").click()
    page.wait_for_url(lambda url: url != patch_url and "/jobs/" in url)
    expect(page.get_by_role("status", name="Job status")).to_have_text("✓ Completed")
    expect(page.get_by_role("link", name=patch_url.rsplit("/", 1)[1])).to_be_visible()
    expect(page.get_by_role("heading", name="Records Deleted")).to_be_visible()
    expect(page.get_by_role("button", name="Revert")).to_be_hidden()
    snap(page, request, "revert")
    page.get_by_role("link", name=patch_url.rsplit("/", 1)[1]).click()
    expect(page.get_by_text("Reverted by job")).to_be_visible()
    expect(page.get_by_role("button", name="Revert")).to_be_disabled()

    page.get_by_role("link", name="View Tenant").click()
    expect(page.get_by_text("Current Data Range: Jan 2024 - Dec 2024")).to_be_visible()
    summary = page.get_by_role("table", name="Monthly KPI Summary")
    expect(summary.get_by_role("row", name=re.compile("Dec 2024"))).to_be_visible()
    expect(summary.get_by_role("row", name=re.compile("2025"))).to_have_count(0)

    # the same plan again is refused, since its job was reverted; with a seed of its own it is a new job
    page.get_by_role("link", name="Monthly Updates").click()
    page.get_by_role("button", name="Paste CSV").click()
    page.get_by_label("CSV", exact=True).fill(EXAMPLE_CSV)
    page.get_by_role("button", name="Import").click()
    page.get_by_role("button", name="Apply Patch").click()
    expect(page.get_by_role("status").filter(has_text="Not applied")).to_contain_text("was reverted by job")
    page.get_by_label("Seed (optional)").fill("second try")
    page.get_by_role("button", name="Apply Patch").click()
    page.wait_for_url(lambda url: "/jobs/" in url and url != patch_url)
    expect(page.get_by_role("status", name="Job status")).to_have_text("✓ Completed", timeout=JOB_TIMEOUT_MS)
    expect(page.get_by_role("region", name="Records Created")).to_contain_text("Contacts: 144")

    page.get_by_role("link", name="Close").click()
    history = page.get_by_role("table", name="Jobs History")
    expect(history.get_by_role("row", name=re.compile("Revert Jan 2025"))).to_contain_text(live_server.email)
    patches = history.get_by_role("row", name=re.compile("DELTAS Jan 2025 - Mar 2025"))
    expect(patches).to_have_count(2)
    expect(patches.first).to_contain_text("678")
    expect(patches.last).to_contain_text("Reverted")


# --- the grid ------------------------------------------------------------------------------------


def test_a_bad_cell_shows_its_error_beside_it_and_apply_stays_disabled(page: Page, live_server: LiveServer) -> None:
    open_monthly_updates(page, live_server)
    leads = page.get_by_label("Leads, Jan 2025")
    leads.fill("-5")
    expect(leads).to_have_attribute("aria-invalid", "true")
    message = "Cannot reduce leadsCreated in ADDITIVE mode. Computed delta: -5 (2025-01)"
    expect(leads).to_have_accessible_description(re.compile(re.escape(message)))
    expect(page.get_by_text("Fix these before applying:")).to_be_visible()
    expect(settled_preview(page)).to_contain_text("✗ 1 error in the plan for ADDITIVE mode")
    expect(page.get_by_role("button", name="Apply Patch")).to_be_disabled()

    # text that is no number at all: the server's own words, beside the cell it came from
    leads.fill("5")
    deals = page.get_by_label("Deals, Feb 2025")
    deals.fill("lots")
    expect(deals).to_have_attribute("aria-invalid", "true")
    expect(deals).to_have_accessible_description(re.compile("expected a number, got 'lots'"))
    expect(leads).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("button", name="Apply Patch")).to_be_disabled()

    deals.fill("")
    expect(settled_preview(page)).to_contain_text("✓ All metrics valid for ADDITIVE mode")
    expect(page.get_by_role("button", name="Apply Patch")).to_be_enabled()


def test_targets_show_current_values_and_the_deltas_they_make(page: Page, live_server: LiveServer) -> None:
    june = kpis(live_server, "2024-06", "2024-06")["2024-06"]
    open_monthly_updates(page, live_server)
    page.get_by_label("Plan Type").select_option("TARGETS")
    page.get_by_label("From", exact=True).select_option("2024-06")
    page.get_by_label("To", exact=True).select_option("2024-06")
    leads = page.get_by_label("Leads, Jun 2024")
    expect(leads).to_have_accessible_description(re.compile(f"now {june['leadsCreated']:,}"))

    leads.fill(str(june["leadsCreated"] + 12))
    expect(leads).to_have_accessible_description(re.compile(f"now {june['leadsCreated']:,} · Δ \\+12"))
    page.get_by_role("button", name="Validate").click()
    preview = settled_preview(page)
    expect(preview).to_contain_text("Leads: 12")
    expect(preview).to_contain_text("✓ All metrics valid for ADDITIVE mode")

    # a target below today's value would remove records: refused on its cell
    leads.fill(str(june["leadsCreated"] - 1))
    expect(leads).to_have_accessible_description(re.compile("Δ -1.*Cannot reduce leadsCreated"))
    expect(page.get_by_role("button", name="Apply Patch")).to_be_disabled()


def test_keyboard_paste_and_quick_fill(page: Page, live_server: LiveServer) -> None:
    open_monthly_updates(page, live_server)
    first = page.get_by_label("Leads, Jan 2025")
    first.focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Leads, Feb 2025")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Leads, Mar 2025")).to_be_focused()

    # a range copied from a spreadsheet, pasted into one cell, fills right and down
    first.evaluate(
        """(cell, text) => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            cell.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        "50\t40\t10\n60\t48\t12\n",
    )
    expect(page.get_by_label("Leads, Jan 2025")).to_have_value("50")
    expect(page.get_by_label("Companies, Feb 2025")).to_have_value("12")
    expect(page.get_by_label("Deals, Feb 2025")).to_have_value("")
    expect(settled_preview(page)).to_contain_text("Contacts: 88 │ Companies: 22")

    page.get_by_label("Growth %").fill("5")
    page.get_by_role("button", name="Quick Fill: +5% Growth").click()
    expect(page.get_by_label("Plan Type")).to_have_value("targets")
    expect(page.get_by_role("status").filter(has_text="Quick Fill")).to_contain_text(
        "targets growing +5% a month from Dec 2024"
    )
    expect(settled_preview(page)).to_contain_text("✓ All metrics valid for ADDITIVE mode")

    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_label("Leads, Jan 2025")).to_have_value("")
    expect(page.get_by_role("button", name="Apply Patch")).to_be_disabled()


def test_a_big_patch_asks_before_it_is_applied(page: Page, live_server: LiveServer) -> None:
    open_monthly_updates(page, live_server)
    page.get_by_label("Leads, Jan 2025").fill("12000")
    expect(settled_preview(page)).to_contain_text("Leads: 12,000")
    asked: list[str] = []

    def decline(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    page.get_by_role("button", name="Apply Patch").click()
    expect(page.get_by_role("button", name="Apply Patch")).to_be_enabled()
    assert asked == ["This patch creates 12,000 records. Apply it?"]
    assert "/tenants/acme-corp-demo" in page.url  # declined: no job


def test_a_csv_that_cannot_be_read_says_where(page: Page, live_server: LiveServer) -> None:
    open_monthly_updates(page, live_server)
    page.get_by_role("button", name="Paste CSV").click()
    page.get_by_label("CSV", exact=True).fill("month,leadsCreated\n2025-01,fifty\n")
    page.get_by_role("button", name="Import").click()
    problems = page.get_by_role("alert")
    expect(problems).to_contain_text("The CSV could not be imported:")
    expect(problems.get_by_role("listitem")).to_have_text("Row 2, column leadsCreated: 'fifty' is not a number")
    expect(page.get_by_label("Leads, Jan 2025")).to_have_value("")


# --- sessions --------------------------------------------------------------------------------------


def test_a_page_without_a_session_goes_to_sign_in_and_back(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.base_url + "/tenants/acme-corp-demo?tab=jobs")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    page.get_by_label("Email").fill(live_server.email)
    page.get_by_label("Password").fill(live_server.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.base_url + "/tenants/acme-corp-demo?tab=jobs")
    expect(page.get_by_role("heading", name="Jobs History")).to_be_visible()
    expect(page.get_by_text(live_server.email)).to_be_visible()


def test_sign_out_ends_the_session(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server, "/tenants/acme-corp-demo")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/login\?next=/tenants/acme-corp-demo"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.goto(live_server.base_url + "/tenants")
    expect(page).to_have_url(re.compile(r"/login\?next=/tenants"))


def test_unknown_tenant_and_job_are_pages_that_say_so(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server, "/tenants/no-such-tenant")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text("No tenant has the id or slug 'no-such-tenant'.")).to_be_visible()
    page.goto(live_server.base_url + "/jobs/not-a-job")
    expect(page.get_by_text("No job has the id 'not-a-job'.")).to_be_visible()


# --- narrow windows --------------------------------------------------------------------------------


@pytest.mark.parametrize("tab", ["overview", "monthly-updates", "jobs", "a job"])
def test_a_narrow_window_scrolls_only_inside_tables(page: Page, live_server: LiveServer, tab: str) -> None:
    page.set_viewport_size(NARROW)
    sign_in(page, live_server, f"/tenants/acme-corp-demo?tab={'jobs' if tab == 'a job' else tab}")
    expect(page.get_by_role("heading", name="Acme Corp Demo")).to_be_visible()
    if tab == "a job":  # the job that filled the tenant's 2024
        page.get_by_role("table", name="Jobs History").get_by_role("link").first.click()
        expect(page.get_by_role("heading", name="KPI Comparison")).to_be_visible()
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than a {NARROW['width']} px window"


# --- refusals a person sees --------------------------------------------------------------------------


def test_a_session_without_the_csrf_token_cannot_apply(page: Page, live_server: LiveServer) -> None:
    with live_server.client() as api:
        before = api.get(f"{API}/tenants/acme-corp-demo/patch-jobs").json()["jobs"]
    open_monthly_updates(page, live_server)
    plan = {"mode": "additive", "planType": "deltas", "months": [{"month": "2025-01", "metrics": {"leadsCreated": 5}}]}
    url = f"{API}/tenants/acme-corp-demo/patch/apply"
    # the page's own session cookie, sent by the page's own script, but without the token
    answer = page.evaluate(
        """async ([url, plan]) => {
            const r = await fetch(url, {method: "POST", body: JSON.stringify(plan),
                headers: {"Content-Type": "application/json"}});
            return [r.status, (await r.json()).error.code];
        }""",
        [url, plan],
    )
    assert answer == [403, "csrf_missing"]
    forged = page.evaluate(
        """async ([url, plan]) => {
            const r = await fetch(url, {method: "POST", body: JSON.stringify(plan),
                headers: {"Content-Type": "application/json", "X-CSRF-Token": "forged"}});
            return [r.status, (await r.json()).error.code];
        }""",
        [url, plan],
    )
    assert forged == [403, "csrf_invalid"]
    with live_server.client() as api:
        assert api.get(f"{API}/tenants/acme-corp-demo/patch-jobs").json()["jobs"] == before  # no job was made


def test_a_failed_job_says_why_in_a_sentence(page: Page, live_server: LiveServer) -> None:
    def targets(leads: int) -> dict[str, object]:
        return {
            "mode": "additive",
            "planType": "targets",
            "months": [{"month": "2025-01", "metrics": {"leadsCreated": leads}}],
        }

    with live_server.client() as api:
        first = api.post(f"{API}/tenants/acme-corp-demo/patch/apply", json=targets(40)).json()
        # valid when posted (0 → 30), but it waits for the first job, after which it would have to remove leads
        second = api.post(f"{API}/tenants/acme-corp-demo/patch/apply", json=targets(30)).json()
    assert second["status"] == "pending", first
    sign_in(page, live_server, f"/jobs/{second['jobId']}")
    expect(page.get_by_text("Failed", exact=True)).to_be_visible(timeout=JOB_TIMEOUT_MS)
    expect(
        page.get_by_text(
            "This job failed: plan is invalid: Cannot reduce leadsCreated in ADDITIVE mode. Computed delta: -10 "
            "(2025-01). Nothing it generated was published."
        )
    ).to_be_visible()


def test_reconcile_brings_a_month_down_to_its_targets(page: Page, live_server: LiveServer) -> None:
    june = kpis(live_server, "2024-06", "2024-06")["2024-06"]
    target = june["leadsCreated"] - 5
    open_monthly_updates(page, live_server)
    page.get_by_label("Mode").select_option("RECONCILE")
    page.get_by_label("Plan Type").select_option("TARGETS")
    page.get_by_label("From", exact=True).select_option("2024-06")
    page.get_by_label("To", exact=True).select_option("2024-06")
    page.get_by_label("Leads, Jun 2024").fill(str(target))
    page.get_by_role("button", name="Validate").click()
    preview = settled_preview(page)
    expect(preview).to_contain_text("Demo-generated records to soft-delete: Contacts: 5")
    expect(preview).to_contain_text("✓ All metrics valid for RECONCILE mode")
    expect(preview).not_to_contain_text("null")
    page.get_by_role("button", name="Apply Patch").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]{36}$"))
    expect(page.get_by_role("status", name="Job status")).to_have_text("✓ Completed", timeout=JOB_TIMEOUT_MS)
    records = page.get_by_role("region", name="Records Created")
    expect(records).to_contain_text("Soft-deleted: Contacts: 5", timeout=JOB_TIMEOUT_MS)
    comparison = page.get_by_role("table", name="KPI Comparison")
    expect(comparison.get_by_role("row", name=re.compile(r"^Leads \(Jun\)"))).to_contain_text("-5")
    after = kpis(live_server, "2024-06", "2024-06")["2024-06"]
    assert after == {**june, "leadsCreated": target, "activitiesCount": after["activitiesCount"]}

// The job page: status and progress (polled while the job runs), KPI comparison, records, dbt tests, revert.

import {
  ApiError,
  api,
  el,
  formatAmount,
  formatCount,
  formatDuration,
  monthLabel,
  monthShort,
  pageData,
} from "./common.js";

const POLL_MS = 1000;
// A completed job waits this many polls for its report; one whose run stopped after publishing may never get it.
const REPORT_POLLS = 300;
const SEP = " │ ";
const STATUS = { pending: "Pending", running: "Running", completed: "✓ Completed", failed: "Failed" };
const STEPS = {
  create: "Creating the job",
  prepare: "Reading the tenant's KPIs and checking the plan",
  generate: "Generating records",
  write: "Writing drafts",
  audit: "Auditing the drafts with dbt",
  publish: "Publishing",
  verify: "Verifying the live tables with dbt",
  report: "Writing the report",
};

const data = pageData("job-data");
const $ = (id) => document.getElementById(id);
let state = { job: data.job, diffReport: data.diffReport };
let reportPolls = 0;

/** Published, but its verification and report are still being written: the page keeps polling. */
function finishing(job) {
  const last = (job.logs || []).at(-1);
  const stuck = last && last.level === "error"; // verification could not finish: no report will come
  const waiting = !(job.afterKpis || []).length && (job.progress || 0) < 100;
  return job.status === "completed" && waiting && !stuck && reportPolls < REPORT_POLLS;
}

const active = (job) => job.status === "pending" || job.status === "running" || finishing(job);

function render() {
  const job = state.job;
  const running = active(job);
  const badge = $("job-status");
  badge.textContent = STATUS[job.status] || job.status;
  badge.className = `badge ${job.status}`;
  renderProgress(job, running);
  $("job-duration").textContent = running ? "still running" : formatDuration(job.durationSeconds);
  $("job-started").textContent = formatWhen(job.startedAt);
  renderFailure(job);
  renderComparison(state.diffReport || {}, running);
  renderRecords(job, running);
  renderTests(state.diffReport || {}, running);
  renderActions(job, running);
}

/** An ISO time as the server writes it: 2025-01-31 14:05 UTC. */
function formatWhen(iso) {
  if (!iso) return "—";
  const at = new Date(iso);
  return `${at.toISOString().slice(0, 10)} ${at.toISOString().slice(11, 16)} UTC`;
}

function renderProgress(job, running) {
  const box = $("job-progress");
  if (!running) {
    box.replaceChildren(job.completedAt ? el("p", { className: "muted" }, `Finished at ${formatWhen(job.completedAt)}.`) : "");
    return;
  }
  const last = (job.logs || []).at(-1);
  const step = finishing(job)
    ? "Published; verifying the live tables and writing the report"
    : STEPS[job.currentStep] || job.currentStep || "Waiting for a worker";
  box.replaceChildren(
    el("label", { htmlFor: "progress-bar" }, "Progress "),
    el("progress", { id: "progress-bar", max: 100, value: job.progress || 0 }, `${job.progress || 0}%`),
    el("span", { className: "num" }, ` ${job.progress || 0}%`),
    el("p", { className: "muted" }, `Current step: ${step}${last && last.message ? ` — ${last.message}` : ""}`),
  );
}

function renderFailure(job) {
  const box = $("job-error");
  if (job.status !== "failed") {
    box.replaceChildren();
    return;
  }
  const message = (job.errorMessage || "no reason was recorded").replace(/\.$/, "");
  box.replaceChildren(el("p", { className: "notice error" }, `This job failed: ${message}. Nothing it generated was published.`));
}

function formatMetric(value, metric) {
  if (value === null || value === undefined) return "—";
  return metric.endsWith("Value") ? formatAmount(value) : formatCount(value);
}

function formatDelta(value, metric) {
  const number = Number(value);
  return `${number < 0 ? "-" : "+"}${formatMetric(Math.abs(number), metric)}`;
}

function formatPct(pct, delta) {
  if (pct !== null && pct !== undefined) return `${pct >= 0 ? "+" : ""}${Number(pct).toFixed(1)}%`;
  return Number(delta) !== 0 ? "new" : "—";
}

function passCell(passed) {
  if (passed === true) return el("td", { className: "pass", title: "target met" }, "✓");
  if (passed === false) return el("td", { className: "fail", title: "target missed" }, "✗");
  return el("td", { className: "none", title: "no target" }, "—");
}

function renderComparison(report, running) {
  const body = $("comparison-body");
  const months = report.months || [];
  $("comparison-empty").textContent = months.length
    ? ""
    : running
      ? "The comparison appears when the job completes."
      : "This job has no comparison.";
  const years = new Set(months.map((m) => m.month.slice(0, 4)));
  const name = (month) => (years.size > 1 ? monthLabel(month) : monthShort(month));
  const rows = [];
  for (const month of months) {
    for (const m of month.metrics) {
      rows.push(
        el(
          "tr",
          {},
          el("th", { scope: "row" }, `${m.label} (${name(month.month)})`),
          el("td", { className: "num" }, formatMetric(m.before, m.metric)),
          el("td", { className: "num" }, formatMetric(m.after, m.metric)),
          el("td", { className: "num" }, formatDelta(m.delta, m.metric)),
          el("td", { className: "num" }, formatPct(m.pctChange, m.delta)),
          el("td", { className: "num" }, m.target === null ? "—" : formatMetric(m.target, m.metric)),
          passCell(m.pass),
        ),
      );
    }
  }
  body.replaceChildren(...rows);
  $("comparison").hidden = !months.length;
  const verdict = $("comparison-verdict");
  if (months.length && report.allTargetsMet !== undefined && (report.targets || []).length) {
    verdict.textContent = report.allTargetsMet ? "✓ Every target met." : "✗ Some targets were missed.";
    verdict.className = report.allTargetsMet ? "pass-text" : "fail-text";
  } else {
    verdict.textContent = "";
  }
}

function renderRecords(job, running) {
  const metrics = job.metrics || {};
  const reverting = job.mode === "revert";
  $("records-heading").textContent = reverting ? "Records Deleted" : "Records Created";
  const box = $("records-body");
  const byType = metrics.byRecordType || metrics.byEntity || {};
  if (running || !Object.keys(byType).length) {
    box.replaceChildren(el("p", { className: "muted" }, running ? "Counted when the job completes." : "None."));
    return;
  }
  const line = (keys) =>
    keys.filter((k) => k in byType).map((k) => `${k[0].toUpperCase()}${k.slice(1)}: ${formatCount(byType[k])}`).join(SEP);
  const total = reverting ? metrics.recordsDeleted : metrics.recordsCreated;
  const changed = (label, byEntity) => {
    const entries = Object.entries(byEntity || {}).filter(([, n]) => n > 0);
    if (!entries.length) return null;
    return el("p", {}, `${label}: ` + entries.map(([k, n]) => `${k[0].toUpperCase()}${k.slice(1)}: ${formatCount(n)}`).join(SEP));
  };
  box.replaceChildren(
    ...[
      el("p", {}, line(["contacts", "companies", "deals"])),
      el("p", {}, line(["leads", "activities"])),
      el("p", { className: "muted" }, `Total: ${formatCount(total)} records`),
      // RECONCILE's edits of existing demo-generated rows
      changed("Modified", metrics.modifiedByEntity),
      changed("Soft-deleted", metrics.deletedByEntity),
    ].filter(Boolean),
  );
}

function testList(title, run) {
  if (!run || !(run.tests || []).length) return null;
  const passed = run.tests.filter((t) => t.status === "pass").length;
  return el(
    "div",
    {},
    el("h3", {}, `${title}: ${passed} of ${run.tests.length} passed`),
    el(
      "ul",
      { className: "tests" },
      run.tests.map((t) =>
        el(
          "li",
          {},
          el("span", { className: t.status === "pass" ? "pass" : "fail", "aria-hidden": "true" }, t.status === "pass" ? "✓" : "✗"),
          ` ${t.name}`,
          t.status === "pass" ? "" : ` (${t.status}${t.failures ? `, ${formatCount(t.failures)} failing rows` : ""})`,
        ),
      ),
    ),
  );
}

function renderTests(report, running) {
  const box = $("tests-body");
  const lists = [
    testList("Audit before publishing", report.audit),
    testList("Verification on the live tables", report.verification),
  ].filter(Boolean);
  $("tests").hidden = !lists.length && !running;
  box.replaceChildren(...(lists.length ? lists : [el("p", { className: "muted" }, running ? "Run when the job gets there." : "")]));
}

function renderActions(job, running) {
  const revert = $("revert");
  if (!revert) return;
  const reverted = (job.logs || []).some((entry) => entry.step === "reverted");
  revert.hidden = job.mode === "revert";
  revert.disabled = running || job.status !== "completed" || reverted;
  revert.title = reverted ? "This job has been reverted." : job.status === "completed" ? "" : "Only a completed job can be reverted.";
}

async function poll() {
  try {
    const answer = await api(`/patch-jobs/${encodeURIComponent(state.job.id)}`);
    state = { job: answer.job, diffReport: answer.diffReport };
    if (state.job.status === "completed") reportPolls += 1;
    render();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error; // a bug, not an answer
    $("job-progress").append(el("p", { className: "notice warn" }, `Could not refresh: ${error.message}`));
  }
  if (active(state.job)) setTimeout(poll, POLL_MS);
}

async function revert() {
  const job = state.job;
  const created = (job.metrics || {}).recordsCreated || 0;
  if (!window.confirm(`Revert job ${job.id}? This deletes the ${formatCount(created)} records it created.`)) return;
  const button = $("revert");
  button.disabled = true;
  $("action-status").textContent = "Reverting…";
  try {
    const answer = await api(`/patch-jobs/${encodeURIComponent(job.id)}/revert`, { method: "POST" });
    window.location.assign(`/jobs/${encodeURIComponent(answer.job.id)}`);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error; // a bug, not an answer
    $("action-status").textContent = `Not reverted: ${error.message}`;
    button.disabled = false;
  }
}

$("revert")?.addEventListener("click", revert);
// the Export Report menu closes on Escape and on a click elsewhere, as menus do
const exportMenu = document.querySelector(".export-menu");
document.addEventListener("click", (event) => {
  if (exportMenu && !exportMenu.contains(event.target)) exportMenu.open = false;
});
exportMenu?.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && exportMenu.open) {
    exportMenu.open = false;
    exportMenu.querySelector("summary").focus();
  }
});
render();
if (active(state.job)) setTimeout(poll, POLL_MS);

// The Monthly Updates tab: the patch grid, CSV import, Quick Fill, live validation and Apply.

import {
  ApiError,
  addMonths,
  api,
  el,
  formatAmount,
  formatCount,
  formatMoney,
  monthLabel,
  monthRange,
  pageData,
} from "./common.js";

const COLUMNS = [
  { metric: "leadsCreated", label: "Leads", kind: "count" },
  { metric: "contactsCreated", label: "Contacts", kind: "count" },
  { metric: "companiesCreated", label: "Companies", kind: "count" },
  { metric: "dealsCreated", label: "Deals", kind: "count" },
  { metric: "closedWonCount", label: "Won", kind: "count" },
  { metric: "closedWonValue", label: "Won $", kind: "money" },
  { metric: "pipelineAddedValue", label: "Pipeline $", kind: "money" },
  { metric: "activitiesCount", label: "Activities", kind: "count" },
];
const DEBOUNCE_MS = 400;
const CONFIRM_ABOVE = 10000; // records: a patch this big asks before it runs
const SEP = " │ ";

const page = pageData("updates-data");
const $ = (id) => document.getElementById(id);
const ui = {
  mode: $("mode"),
  planType: $("plan-type"),
  seed: $("seed"),
  from: $("range-from"),
  to: $("range-to"),
  body: $("grid-body"),
  gridErrors: $("grid-errors"),
  preview: $("preview-body"),
  validate: $("validate"),
  apply: $("apply"),
  cancel: $("cancel"),
  status: $("plan-status"),
  csvToggle: $("paste-csv"),
  csvBox: $("csv-box"),
  csv: $("csv"),
  csvImport: $("csv-import"),
  csvProblems: $("csv-problems"),
  growth: $("growth"),
  quickFill: $("quick-fill"),
};

// month -> metric -> text as typed; kept across range changes so narrowing and widening loses nothing
const values = new Map();
// month -> metric -> current KPI value (read from the API for the months shown)
const current = new Map();
let validation = null; // {key, result}: the last validation and the plan it judged
let sequence = 0; // answers to older requests are ignored
let timer = null;
let busy = false;

const path = (suffix) => `/tenants/${encodeURIComponent(page.tenantId)}${suffix}`;

// --- values --------------------------------------------------------------------------------

/** A cell's text as a plan value: null when empty, a number when it reads as one, else the text
 * itself, so the server names what is wrong with it in its own words. */
function parseCell(text) {
  const cleaned = String(text).trim().replace(/[\s,$€£¥₹_]/g, "");
  if (cleaned === "") return null;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(cleaned)) {
    const number = Number(cleaned);
    return Number.isFinite(number) && Math.abs(number) < 1e15 ? number : cleaned;
  }
  return String(text).trim();
}

/** A number as the cell shows it once left: thousands separators, every digit kept. */
function displayValue(text) {
  const value = parseCell(text);
  if (typeof value !== "number") return String(text).trim();
  return value.toLocaleString("en-US", { maximumFractionDigits: 20 });
}

function cellText(month, metric) {
  return (values.get(month) || {})[metric] || "";
}

function setCellText(month, metric, text) {
  if (!values.has(month)) values.set(month, {});
  values.get(month)[metric] = text;
}

function shownMonths() {
  return monthRange(ui.from.value, ui.to.value);
}

/** The plan the grid says: months with at least one value, in calendar order. */
function planBody() {
  const months = [];
  for (const month of shownMonths()) {
    const metrics = {};
    for (const column of COLUMNS) {
      const value = parseCell(cellText(month, column.metric));
      if (value !== null) metrics[column.metric] = value;
    }
    if (Object.keys(metrics).length) months.push({ month, metrics });
  }
  const body = { mode: ui.mode.value, planType: ui.planType.value, months };
  const seed = ui.seed.value.trim();
  if (seed) body.seed = seed; // a new seed makes a new job: how a reverted plan is applied again
  return body;
}

// --- the grid ------------------------------------------------------------------------------

function input(month, metric) {
  return ui.body.querySelector(`input[data-month="${month}"][data-metric="${metric}"]`);
}

function buildGrid() {
  const rows = shownMonths().map((month) => {
    const cells = COLUMNS.map((column, col) => {
      const id = `cell-${month}-${column.metric}`;
      const field = el("input", {
        id,
        type: "text",
        inputMode: "decimal",
        autocomplete: "off",
        spellcheck: false,
        value: displayValue(cellText(month, column.metric)),
        "aria-label": `${column.label}, ${monthLabel(month)}`,
        "aria-describedby": `${id}-hint ${id}-error`,
        "data-month": month,
        "data-metric": column.metric,
        "data-col": col,
      });
      return el(
        "td",
        {},
        field,
        el("span", { className: "hint", id: `${id}-hint` }),
        el("span", { className: "cell-error", id: `${id}-error` }),
      );
    });
    return el("tr", { "data-month": month }, el("th", { scope: "row" }, monthLabel(month)), cells);
  });
  ui.body.replaceChildren(...rows);
  showHints();
  if (validation) showIssues(validation.result);
}

/** Under each cell: the month's current value and what the cell makes of it. */
function showHints() {
  const targets = ui.planType.value === "targets";
  for (const month of shownMonths()) {
    const now = current.get(month);
    for (const column of COLUMNS) {
      const field = input(month, column.metric);
      if (!field) continue;
      const hint = document.getElementById(`${field.id}-hint`);
      if (!now) {
        hint.textContent = "";
        continue;
      }
      const format = column.kind === "money" ? formatAmount : formatCount;
      const before = Number(now[column.metric] || 0);
      const value = parseCell(cellText(month, column.metric));
      let text = `now ${format(before)}`;
      if (typeof value === "number") {
        if (targets) {
          const delta = value - before;
          text += ` · Δ ${delta < 0 ? "-" : "+"}${format(Math.abs(delta))}`;
        } else {
          text += ` → ${format(before + value)}`;
        }
      }
      hint.textContent = text;
    }
  }
}

async function loadCurrent() {
  const months = shownMonths().filter((m) => !current.has(m));
  if (!months.length) return showHints();
  try {
    const answer = await api(path(`/kpis?from=${months[0]}&to=${months[months.length - 1]}`));
    for (const row of answer.months) current.set(row.month, row.metrics);
  } catch (error) {
    ui.status.textContent = `Current values could not be read: ${error.message}`;
  }
  showHints();
}

function moveFocus(field, rowStep, colStep) {
  const months = shownMonths();
  const row = months.indexOf(field.dataset.month) + rowStep;
  const col = Number(field.dataset.col) + colStep;
  if (row < 0 || row >= months.length || col < 0 || col >= COLUMNS.length) return;
  const next = input(months[row], COLUMNS[col].metric);
  next.focus();
  next.select();
}

function onKeyDown(event) {
  const field = event.target;
  if (!(field instanceof HTMLInputElement) || !field.dataset.metric) return;
  const atStart = field.selectionStart === 0 && field.selectionEnd === 0;
  const atEnd = field.selectionStart === field.value.length && field.selectionEnd === field.value.length;
  const moves = {
    ArrowUp: [-1, 0, true],
    ArrowDown: [1, 0, true],
    Enter: [event.shiftKey ? -1 : 1, 0, true],
    ArrowLeft: [0, -1, atStart],
    ArrowRight: [0, 1, atEnd],
  };
  const move = moves[event.key];
  if (!move || !move[2]) return;
  event.preventDefault();
  moveFocus(field, move[0], move[1]);
}

function onInput(event) {
  const field = event.target;
  if (!field.dataset || !field.dataset.metric) return;
  setCellText(field.dataset.month, field.dataset.metric, field.value);
  planChanged();
}

function onBlur(event) {
  const field = event.target;
  if (field.dataset && field.dataset.metric) field.value = displayValue(field.value);
}

/** A range copied from a spreadsheet (tabs between cells, lines between rows) fills right and down. */
function onPaste(event) {
  const field = event.target;
  if (!field.dataset || !field.dataset.metric) return;
  const text = (event.clipboardData || window.clipboardData).getData("text");
  if (!/[\t\n]/.test(text.replace(/\r?\n$/, ""))) return; // one value: the browser pastes it as usual
  event.preventDefault();
  let rows = text.replace(/\r/g, "").replace(/\n$/, "").split("\n").map((line) => line.split("\t"));
  // a header row copied along (Leads, Contacts, ...) is not data
  if (rows.length > 1 && rows[0].every((cell) => typeof parseCell(cell) !== "number")) rows = rows.slice(1);
  let months = shownMonths();
  const start = months.indexOf(field.dataset.month);
  const needed = start + rows.length;
  if (needed > months.length) {
    // grow the range to hold every pasted row, as far as the current month allows
    const last = [...ui.to.options].at(-1).value;
    const wanted = addMonths(months[0], needed - 1);
    ui.to.value = wanted <= last ? wanted : last;
    months = shownMonths();
  }
  const startCol = Number(field.dataset.col);
  let skipped = 0;
  rows.forEach((cells, r) => {
    const month = months[start + r];
    if (!month) {
      skipped += 1;
      return;
    }
    cells.forEach((cell, c) => {
      const column = COLUMNS[startCol + c];
      if (column) setCellText(month, column.metric, cell.trim());
    });
  });
  buildGrid();
  ui.status.textContent = skipped
    ? `${skipped} pasted row(s) lie after the current month and were left out.`
    : `Pasted ${rows.length} row(s).`;
  input(field.dataset.month, field.dataset.metric).focus();
  loadCurrent();
  planChanged();
}

// --- validation and preview ----------------------------------------------------------------

function clearIssues() {
  for (const field of ui.body.querySelectorAll("input[aria-invalid]")) field.removeAttribute("aria-invalid");
  for (const span of ui.body.querySelectorAll(".cell-error")) span.textContent = "";
  for (const row of ui.body.querySelectorAll("tr.row-error")) row.classList.remove("row-error");
  ui.gridErrors.replaceChildren();
}

function showIssues(result) {
  clearIssues();
  const listed = [];
  for (const issue of result.errors || []) {
    const field = issue.month && issue.metric ? input(issue.month, issue.metric) : null;
    if (field) {
      field.setAttribute("aria-invalid", "true");
      const span = document.getElementById(`${field.id}-error`);
      span.textContent = span.textContent ? `${span.textContent} ${issue.message}` : issue.message;
    } else if (issue.month) {
      const row = ui.body.querySelector(`tr[data-month="${issue.month}"]`);
      if (row) row.classList.add("row-error");
    }
    listed.push(issue.message);
  }
  if (listed.length) {
    ui.gridErrors.replaceChildren(
      el("div", { className: "notice error" }, el("p", {}, "Fix these before applying:"), el("ul", {}, listed.map((m) => el("li", {}, m)))),
    );
  }
}

function recordsLine(records, keys) {
  const parts = keys.map(([key, label]) => `${label}: ${formatCount(records[key])}`);
  return parts.join(SEP);
}

// RECONCILE's edits of existing demo rows, per entity ("Deals: 3 │ Contacts: 12"); nothing when there are none.
function changesLine(label, byEntity) {
  const entries = Object.entries(byEntity || {}).filter(([, n]) => n > 0);
  if (!entries.length) return null;
  const text = entries.map(([entity, n]) => `${entity[0].toUpperCase()}${entity.slice(1)}: ${formatCount(n)}`).join(SEP);
  return el("p", { className: "records" }, `${label} ${text}`);
}

function showPreview(result, body) {
  const modeName = body.mode.toUpperCase();
  const nodes = [];
  if (result.alreadyApplied) {
    const job = result.job || {};
    nodes.push(
      el("p", { className: "ok" }, `✓ This plan was ${result.message}.`),
      job.id ? el("p", {}, el("a", { href: `/jobs/${job.id}` }, `Open job ${job.id}`)) : null,
    );
  } else if (result.valid && result.preview) {
    const total = result.preview.total;
    nodes.push(
      el("p", {}, "Estimated records to create:"),
      el("p", { className: "records" }, recordsLine(total.records, [["contacts", "Contacts"], ["companies", "Companies"], ["deals", "Deals"]])),
      el("p", { className: "records muted" }, recordsLine(total.records, [["leads", "Leads"], ["activities", "Activities"], ["total", "Total records"]])),
      el("p", {}, `Total closed won value: ${formatMoney(total.closedWonValueAdded, page.currency, total.valuesEstimated)}`),
      changesLine("Demo-generated records to modify:", result.preview.recordsToModify),
      changesLine("Demo-generated records to soft-delete:", result.preview.recordsToSoftDelete),
      el("p", { className: "ok" }, `✓ All metrics valid for ${modeName} mode`),
    );
    if (total.valuesEstimated) nodes.push(el("p", { className: "muted" }, "~ estimated from the tenant's usual deal size"));
  } else {
    const n = (result.errors || []).length;
    nodes.push(el("p", { className: "bad" }, `✗ ${n} ${n === 1 ? "error" : "errors"} in the plan for ${modeName} mode: see the highlighted cells.`));
  }
  if ((result.warnings || []).length) {
    nodes.push(el("ul", { className: "warnings" }, result.warnings.map((w) => el("li", {}, `Warning: ${w.message}`))));
  }
  ui.preview.replaceChildren(...nodes.filter(Boolean));
}

function showMessage(text, kind = "muted") {
  ui.preview.classList.remove("stale");
  ui.preview.removeAttribute("aria-busy");
  ui.preview.replaceChildren(el("p", { className: kind }, text));
}

/** A body the API refused (422): each field's message on its cell. */
function refusedFields(error, body) {
  const errors = [];
  for (const field of error.details.fields || []) {
    const match = /^months\.(\d+)\.metrics\.(\w+)$/.exec(field.path || "");
    const sent = match ? body.months[Number(match[1])] : null;
    errors.push({
      code: "P-0",
      month: sent ? sent.month : null,
      metric: match ? match[2] : null,
      message: sent ? `${monthLabel(sent.month)} ${labelOf(match[2])}: ${field.message}` : `${field.path}: ${field.message}`,
    });
  }
  if (!errors.length) errors.push({ code: error.code, month: null, metric: null, message: error.message });
  return { valid: false, errors, warnings: [], preview: null };
}

function labelOf(metric) {
  const column = COLUMNS.find((c) => c.metric === metric);
  return column ? column.label : metric;
}

const keyOf = (body) => JSON.stringify(body);

function updateApply() {
  const ready = validation && validation.key === keyOf(planBody()) && validation.result.valid && !validation.result.alreadyApplied;
  ui.apply.disabled = busy || !ready;
}

async function validate() {
  clearTimeout(timer);
  const body = planBody();
  const key = keyOf(body);
  const mine = ++sequence;
  if (!body.months.length) {
    validation = null;
    clearIssues();
    showMessage("Enter values in the grid, paste a range, import a CSV or use Quick Fill.");
    updateApply();
    return;
  }
  markStale();
  let result;
  try {
    result = await api(path("/patch/validate"), { method: "POST", body });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error; // a bug, not an answer
    result = error.status === 422 ? refusedFields(error, body) : { valid: false, errors: [{ message: error.message }], warnings: [] };
  }
  if (mine !== sequence) return; // the grid changed while this answer was on its way
  ui.preview.classList.remove("stale");
  ui.preview.removeAttribute("aria-busy");
  validation = { key, result };
  showIssues(result);
  showPreview(result, body);
  updateApply();
}

/** The last preview stays, dimmed and busy, until the plan's new answer comes: no flicker while typing. */
function markStale() {
  ui.preview.classList.add("stale");
  ui.preview.setAttribute("aria-busy", "true");
}

function planChanged() {
  markStale();
  validation = null;
  updateApply();
  showHints();
  clearTimeout(timer);
  timer = setTimeout(validate, DEBOUNCE_MS);
}

// --- filling the grid from a plan (CSV import, Quick Fill) ----------------------------------

/** Put a plan's months and values in the grid; false (with a message) when its months are out of range. */
function setPlan(plan, messageTarget) {
  const months = plan.months.map((m) => m.month).sort();
  if (!months.length) {
    messageTarget.textContent = "The plan has no months.";
    return false;
  }
  const first = ui.from.options[0].value;
  const last = [...ui.to.options].at(-1).value;
  const outside = months.filter((m) => m < first || m > last);
  if (outside.length) {
    messageTarget.textContent = `${outside.map(monthLabel).join(", ")} ${outside.length === 1 ? "lies" : "lie"} outside ${monthLabel(first)} – ${monthLabel(last)}, the months this tenant can be patched in.`;
    return false;
  }
  ui.planType.value = plan.planType;
  ui.from.value = months[0];
  ui.to.value = months[months.length - 1];
  for (const month of shownMonths()) values.delete(month);
  for (const row of plan.months) {
    for (const [metric, value] of Object.entries(row.metrics)) {
      if (value !== null && value !== undefined) setCellText(row.month, metric, String(value));
    }
  }
  buildGrid();
  loadCurrent();
  planChanged();
  return true;
}

function toggleCsv(open) {
  ui.csvBox.hidden = !open;
  ui.csvToggle.setAttribute("aria-expanded", String(open));
  if (open) ui.csv.focus();
}

async function importCsv() {
  ui.csvProblems.replaceChildren();
  const text = ui.csv.value;
  if (!text.trim()) {
    ui.csvProblems.replaceChildren(el("p", { className: "notice error" }, "Paste the CSV text into the box first."));
    return;
  }
  ui.csvImport.disabled = true;
  try {
    const answer = await api(path("/patch/parse-csv"), {
      method: "POST",
      body: { csv: text, planType: ui.planType.value, mode: ui.mode.value },
    });
    const message = el("p", { className: "notice error" });
    if (setPlan(answer.plan, message)) {
      toggleCsv(false);
      ui.status.textContent = `Imported ${answer.plan.months.length} month(s) from the CSV.`;
      ui.body.querySelector("input")?.focus();
    } else {
      ui.csvProblems.replaceChildren(message);
    }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error; // a bug, not an answer
    const problems = (error.details && error.details.problems) || [];
    const where = (p) => [p.row ? `Row ${p.row}` : null, p.column ? `column ${p.column}` : null].filter(Boolean).join(", ");
    ui.csvProblems.replaceChildren(
      problems.length
        ? el(
            "div",
            { className: "notice error" },
            el("p", {}, "The CSV could not be imported:"),
            el("ul", {}, problems.map((p) => el("li", {}, where(p) ? `${where(p)}: ${p.message}` : p.message))),
          )
        : el("p", { className: "notice error" }, error.message),
    );
  } finally {
    ui.csvImport.disabled = false;
  }
}

function growthText() {
  const pct = ui.growth.value.trim().replace(/%$/, "") || "0";
  return `${pct.startsWith("-") ? "" : "+"}${pct}%`;
}

async function quickFill() {
  ui.quickFill.disabled = true;
  ui.status.textContent = "";
  try {
    const months = shownMonths();
    const pct = ui.growth.value.trim().replace(/%$/, "");
    const answer = await api(path("/patch/quick-fill"), {
      method: "POST",
      body: { from: months[0], months: months.length, pct: pct === "" ? 0 : Number.isNaN(Number(pct)) ? pct : Number(pct) },
    });
    if (setPlan(answer.plan, ui.status)) {
      ui.status.textContent = `Quick Fill: targets growing ${growthText()} a month from ${monthLabel(answer.baseMonth)}.`;
    }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error; // a bug, not an answer
    ui.status.textContent = `Quick Fill: ${error.message}`;
  } finally {
    ui.quickFill.disabled = false;
  }
}

// --- apply ---------------------------------------------------------------------------------

async function apply() {
  const body = planBody();
  if (!validation || validation.key !== keyOf(body) || !validation.result.valid) return;
  const total = validation.result.preview ? validation.result.preview.total.records.total : 0;
  if (total > CONFIRM_ABOVE && !window.confirm(`This patch creates ${formatCount(total)} records. Apply it?`)) return;
  busy = true;
  updateApply();
  ui.status.textContent = "Starting the job…";
  try {
    const answer = await api(path("/patch/apply"), { method: "POST", body });
    window.location.assign(`/jobs/${encodeURIComponent(answer.jobId)}`);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error; // a bug, not an answer
    if (error.code === "plan_invalid" && error.details) {
      validation = { key: keyOf(body), result: error.details };
      showIssues(error.details);
      showPreview(error.details, body);
    }
    const again = error.code === "conflict" && /reverted/.test(error.message);
    ui.status.textContent = again
      ? `Not applied: ${error.message}. To apply it again, give it a Seed of its own.`
      : `Not applied: ${error.message}`;
    busy = false;
    updateApply();
  }
}

function cancel() {
  for (const month of shownMonths()) values.delete(month);
  validation = null;
  ui.status.textContent = "";
  ui.csvProblems.replaceChildren();
  buildGrid();
  clearIssues();
  validate();
}

// --- wiring --------------------------------------------------------------------------------

function rangeChanged(event) {
  // keep From ≤ To whichever one moved
  if (ui.from.value > ui.to.value) {
    if (event.target === ui.from) ui.to.value = ui.from.value;
    else ui.from.value = ui.to.value;
  }
  buildGrid();
  loadCurrent();
  planChanged();
}

ui.body.addEventListener("keydown", onKeyDown);
ui.body.addEventListener("input", onInput);
ui.body.addEventListener("focusout", onBlur);
ui.body.addEventListener("paste", onPaste);
ui.from.addEventListener("change", rangeChanged);
ui.to.addEventListener("change", rangeChanged);
ui.planType.addEventListener("change", planChanged);
ui.seed.addEventListener("input", planChanged);
ui.validate.addEventListener("click", validate);
ui.apply.addEventListener("click", apply);
ui.cancel.addEventListener("click", cancel);
ui.csvToggle.addEventListener("click", () => toggleCsv(ui.csvBox.hidden));
ui.csvImport.addEventListener("click", importCsv);
$("csv-close").addEventListener("click", () => {
  toggleCsv(false);
  ui.csvToggle.focus();
});
ui.quickFill.addEventListener("click", quickFill);
ui.growth.addEventListener("input", () => {
  ui.quickFill.textContent = `Quick Fill: ${growthText()} Growth`;
});

buildGrid();
loadCurrent();
showMessage("Enter values in the grid, paste a range, import a CSV or use Quick Fill.");

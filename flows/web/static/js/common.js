// What every page script shares: the API's base path, requests with the CSRF header, and number formats.

export const API = "/api/master/demo-generator";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const SYMBOLS = { USD: "$", EUR: "€", GBP: "£", JPY: "¥", INR: "₹" };

/** The CSRF token the server put in the page, else the one in the readable cookie. */
export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) return meta.content;
  const found = document.cookie.split("; ").find((c) => c.startsWith("demogen_csrf="));
  return found ? decodeURIComponent(found.slice("demogen_csrf=".length)) : "";
}

/** An API error as one line a person can act on. */
export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `The server answered ${status}.`);
    this.status = status;
    this.code = error.code || null;
    this.details = error.details || {};
  }
}

/** A JSON request to the API; mutating ones carry the CSRF header. Resolves to the parsed body. */
export async function api(path, { method = "GET", body, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal,
    });
  } catch {
    throw new ApiError(0, {
      error: { code: "unreachable", message: "The server could not be reached: check that it runs, then try again." },
    });
  }
  if (response.status === 401) {
    // the session ended (signed out elsewhere, or idle too long): sign in again and come back here;
    // the caller waits for an answer that never comes while the browser leaves the page
    window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
    return new Promise(() => {});
  }
  let parsed = null;
  try {
    parsed = await response.json();
  } catch {
    parsed = null;
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

/** The JSON a page's server put in a <script type="application/json" id=...> block. */
export function pageData(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

export function formatCount(value) {
  if (value === null || value === undefined) return "—";
  return Math.round(Number(value)).toLocaleString("en-US");
}

/** Money with thousands separators, cents only when there are any: 36,300 and 36,300.50. */
export function formatAmount(value) {
  if (value === null || value === undefined) return "—";
  const number = Number(value);
  const whole = Math.abs(number - Math.round(number)) < 0.005;
  return number.toLocaleString("en-US", {
    minimumFractionDigits: whole ? 0 : 2,
    maximumFractionDigits: whole ? 0 : 2,
  });
}

/** An amount in a currency: $97,000, 1,200.50 CHF; "~" in front when estimated. */
export function formatMoney(value, currency = "USD", estimated = false) {
  const amount = formatAmount(value);
  const symbol = SYMBOLS[currency];
  const text = symbol ? `${symbol}${amount}` : `${amount} ${currency}`;
  return estimated ? `~${text}` : text;
}

/** "2025-01" → "Jan 2025". */
export function monthLabel(month) {
  if (!month) return "—";
  const [year, m] = month.split("-");
  return `${MONTHS[Number(m) - 1]} ${year}`;
}

/** "2025-01" → "Jan". */
export function monthShort(month) {
  return MONTHS[Number(month.split("-")[1]) - 1];
}

export function addMonths(month, n) {
  const [year, m] = month.split("-").map(Number);
  const index = year * 12 + (m - 1) + n;
  return `${String(Math.floor(index / 12)).padStart(4, "0")}-${String((index % 12) + 1).padStart(2, "0")}`;
}

export function monthRange(first, last) {
  const months = [];
  for (let m = first; m <= last && months.length < 1200; m = addMonths(m, 1)) months.push(m);
  return months;
}

/** Seconds as "12.3 s" or "2 min 5 s". */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return `${Number(seconds).toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** Make an element: el("td", {className: "num"}, "12"). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key in node && !key.includes("-")) node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// The Overview tab's chart: leads, contacts and deals per month, stacked, from the KPIs the page carries.

import { formatCount, monthLabel, pageData } from "./common.js";

const SERIES = [
  { metric: "leadsCreated", label: "Leads", colour: "#8fb3f0" },
  { metric: "contactsCreated", label: "Contacts", colour: "#2f6fdb" },
  { metric: "dealsCreated", label: "Deals", colour: "#1f3a5f" },
];

function draw() {
  const canvas = document.getElementById("kpi-chart");
  const data = pageData("kpi-data");
  if (!canvas || !data || !data.months.length || typeof window.Chart === "undefined") return;
  const months = data.months;
  window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily; // the page's own font
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: months.map((m) => monthLabel(m.month)),
      datasets: SERIES.map((s) => ({
        label: s.label,
        data: months.map((m) => m.metrics[s.metric] || 0),
        backgroundColor: s.colour,
        stack: "records",
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { stacked: true, grid: { display: false } },
        y: { stacked: true, beginAtZero: true, ticks: { callback: (v) => formatCount(v) } },
      },
      plugins: {
        legend: { position: "bottom" },
        tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${formatCount(ctx.parsed.y)}` } },
      },
    },
  });
}

draw();

/*
 * The two charts, on Chart.js (bundled from npm by esbuild; only the controllers, elements and scales used
 * here are registered, so the rest is tree-shaken out).
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { SEVERITY_ORDER, type SummaryWire } from "./model";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Filler, Legend, Tooltip);

/** Severity colours, most severe first (the same as the badges in dashboard.css). */
const SEVERITY_COLOURS: Readonly<Record<string, string>> = {
  critical: "#8b1a1a",
  high: "#d9480f",
  medium: "#e8a317",
  low: "#3b7dd8",
  informational: "#7a8699",
};
const PASSED = "#2f9e44";
const FAILED = "#c92a2a";

const charts = new Map<string, { destroy(): void }>();

function draw(canvas: HTMLCanvasElement, config: ConstructorParameters<typeof Chart>[1]): void {
  charts.get(canvas.id)?.destroy();
  charts.set(canvas.id, new Chart(canvas, config));
}

/** Removes every chart (on sign-out). */
export function destroyCharts(): void {
  for (const chart of charts.values()) chart.destroy();
  charts.clear();
}

/** Failed and passed findings per severity, stacked. */
export function drawSeverityChart(canvas: HTMLCanvasElement, summary: SummaryWire): void {
  const severities = SEVERITY_ORDER.filter((s) => s in summary.by_severity);
  draw(canvas, {
    type: "bar",
    data: {
      labels: severities,
      datasets: [
        {
          label: "failed",
          data: severities.map((s) => summary.by_severity[s].failed),
          backgroundColor: severities.map((s) => SEVERITY_COLOURS[s] ?? FAILED),
        },
        { label: "passed", data: severities.map((s) => summary.by_severity[s].passed), backgroundColor: "#c5d3c8" },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } },
    },
  });
}

/** Failed and passed findings per day of the window (findings last seen that day). */
export function drawTrendChart(canvas: HTMLCanvasElement, summary: SummaryWire): void {
  const days = summary.daily_trend;
  draw(canvas, {
    type: "line",
    data: {
      labels: days.map((d) => d.date.slice(5)),
      datasets: [
        {
          label: "failed",
          data: days.map((d) => d.failed),
          borderColor: FAILED,
          backgroundColor: "rgba(201, 42, 42, 0.12)",
          fill: true,
          tension: 0.25,
          pointRadius: 2,
        },
        { label: "passed", data: days.map((d) => d.passed), borderColor: PASSED, tension: 0.25, pointRadius: 2 },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } },
    },
  });
}

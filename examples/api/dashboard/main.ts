/*
 * The dashboard page: sign-in with an API key (session storage; `#key=<token>` signs in directly), then the
 * posture of `GET /dashboard/summary`, the accounts of `GET /accounts` and the findings explorer. Bundled
 * by `src/dashboardRoute.ts` (esbuild) and served at `GET /`.
 */
import "./dashboard.css";
import { ApiError, apiGet } from "./api";
import { destroyCharts, drawSeverityChart, drawTrendChart } from "./charts";
import { byId, type Child, h, replaceChildren, table } from "./dom";
import { FindingsExplorer } from "./findings";
import {
  type AccountWire,
  accountLabel,
  formatCount,
  formatDateTime,
  formatPercent,
  KEY_STORAGE,
  keyFromFragment,
  type PageWire,
  SEVERITY_ORDER,
  type SummaryWire,
} from "./model";

/** Pages of `GET /accounts` the page reads at most (1,000 accounts each). */
const ACCOUNT_PAGES = 10;

interface Me {
  readonly type?: string;
  readonly team_id?: string;
  readonly role?: string;
}

/** Bumped on every sign-in and sign-out: answers of an older one are dropped. */
let generation = 0;

function storedKey(): string | undefined {
  try {
    return sessionStorage.getItem(KEY_STORAGE) || undefined;
  } catch {
    return undefined;
  }
}

function storeKey(key: string | undefined): void {
  try {
    if (key === undefined) sessionStorage.removeItem(KEY_STORAGE);
    else sessionStorage.setItem(KEY_STORAGE, key);
  } catch {
    // Storage refused (private mode quotas): the key lives as long as this page then.
  }
}

function setStatus(text: string, error = false): void {
  const status = byId("status");
  status.textContent = text;
  status.classList.toggle("error", error);
}

function showSignIn(message?: string): void {
  generation++;
  destroyCharts();
  delete document.body.dataset["loaded"];
  byId("dashboard").hidden = true;
  byId("sign-out").hidden = true;
  byId("refresh").hidden = true;
  byId("who").textContent = "";
  const note = byId("sign-in-message");
  note.textContent = message ?? "";
  note.hidden = message === undefined;
  byId("sign-in").hidden = false;
  byId<HTMLInputElement>("api-key").focus();
}

function signOut(message?: string): void {
  storeKey(undefined);
  showSignIn(message);
}

/** A 401 ends the sign-in; `true` when `error` was one. */
function handleAuthError(error: unknown): boolean {
  if (error instanceof ApiError && error.status === 401) {
    signOut(`The server refused this key (${error.code}: ${error.message}) Sign in with a valid API key.`);
    return true;
  }
  return false;
}

function card(figure: string, label: string, value: string, tone?: "fail" | "pass"): HTMLElement {
  return h(
    "div",
    { class: tone ? `card ${tone}` : "card", "data-figure": figure },
    h("span", { class: "label" }, label),
    h("span", { class: "value" }, value),
  );
}

function badge(text: string): Child {
  return h("span", { class: `badge ${text}` }, text);
}

function renderPosture(summary: SummaryWire): void {
  const { totals } = summary;
  byId("window").textContent =
    `Findings last seen from ${summary.window.since.slice(0, 10)} to ${summary.window.until.slice(0, 10)} (UTC), muted ones left out.`;
  replaceChildren(
    byId("posture"),
    card("findings", "Findings", formatCount(totals.findings)),
    card("failed", "Failed", formatCount(totals.failed), "fail"),
    card("passed", "Passed", formatCount(totals.passed), "pass"),
    card("manual", "Manual", formatCount(totals.manual)),
    card("pass-rate", "Pass rate", formatPercent(summary.pass_rate)),
    card("accounts", "Accounts with findings", formatCount(totals.accounts)),
    card("checks", "Checks", formatCount(totals.checks)),
  );
}

function renderSeverity(summary: SummaryWire): void {
  drawSeverityChart(byId<HTMLCanvasElement>("severity-chart"), summary);
  const rows = SEVERITY_ORDER.filter((s) => s in summary.by_severity).map((severity) => ({ severity, ...summary.by_severity[severity] }));
  replaceChildren(
    byId("severity-table"),
    table(
      [
        { label: "Severity", cell: (r) => badge(r.severity) },
        { label: "Findings", numeric: true, cell: (r) => formatCount(r.total) },
        { label: "Failed", numeric: true, cell: (r) => formatCount(r.failed) },
        { label: "Passed", numeric: true, cell: (r) => formatCount(r.passed) },
      ],
      rows,
      (r) => ({ "data-severity": r.severity }),
    ),
  );
}

function renderTopChecks(summary: SummaryWire): void {
  const checks = summary.top_failing_checks;
  replaceChildren(
    byId("top-checks"),
    checks.length === 0
      ? h("p", { class: "hint" }, "No failing check in this window.")
      : table(
          [
            { label: "Check", cell: (c) => h("span", {}, h("span", { class: "mono" }, c.check_id), h("span", { class: "sub" }, c.title)) },
            { label: "Severity", cell: (c) => badge(c.severity) },
            { label: "Failed", numeric: true, cell: (c) => formatCount(c.failed) },
            { label: "Accounts", numeric: true, cell: (c) => formatCount(c.accounts) },
          ],
          checks,
          (c) => ({ "data-check-id": c.check_id }),
        ),
  );
}

function renderCompliance(summary: SummaryWire): void {
  const frameworks = summary.compliance;
  replaceChildren(
    byId("compliance"),
    frameworks.length === 0
      ? h("p", { class: "hint" }, "No finding maps to a framework in this window.")
      : table(
          [
            { label: "Framework", cell: (f) => f.framework },
            { label: "Pass rate", cell: (f) => h("meter", { min: 0, max: 100, value: f.pass_rate, title: formatPercent(f.pass_rate) }) },
            { label: "", numeric: true, cell: (f) => formatPercent(f.pass_rate) },
            { label: "Passed", numeric: true, cell: (f) => formatCount(f.passed) },
            { label: "Failed", numeric: true, cell: (f) => formatCount(f.failed) },
          ],
          frameworks,
          (f) => ({ "data-framework": f.framework }),
        ),
  );
}

interface AccountRow {
  readonly registered: AccountWire | undefined;
  readonly provider: string;
  readonly account_id: string;
  readonly name: string | null;
  readonly figures: SummaryWire["by_account"][number] | undefined;
}

function renderAccounts(accounts: readonly AccountWire[], summary: SummaryWire): void {
  const figures = new Map(summary.by_account.map((row) => [`${row.provider}:${row.account_id}`, row]));
  const rows: AccountRow[] = accounts.map((account) => ({
    registered: account,
    provider: account.provider,
    account_id: account.account_id,
    name: account.name,
    figures: figures.get(`${account.provider}:${account.account_id}`),
  }));
  const known = new Set(rows.map((r) => `${r.provider}:${r.account_id}`));
  // Findings of accounts nobody registered (imported by id) are still shown, marked as such.
  for (const row of summary.by_account) {
    if (!known.has(`${row.provider}:${row.account_id}`))
      rows.push({ registered: undefined, provider: row.provider, account_id: row.account_id, name: row.name, figures: row });
  }
  replaceChildren(
    byId("accounts"),
    h(
      "p",
      { class: "hint", "data-testid": "accounts-count" },
      `${formatCount(accounts.length)} registered account${accounts.length === 1 ? "" : "s"}`,
    ),
    h(
      "div",
      { class: "scroll" },
      table<AccountRow>(
        [
          { label: "Account", cell: (r) => h("span", {}, accountLabel(r), h("span", { class: "sub mono" }, r.account_id)) },
          { label: "Provider", cell: (r) => r.provider },
          { label: "Status", cell: (r) => r.registered?.status ?? "not registered" },
          {
            label: "Last scan",
            cell: (r) =>
              r.registered?.last_scan_at
                ? `${formatDateTime(r.registered.last_scan_at)}${r.registered.last_scan_status ? ` (${r.registered.last_scan_status})` : ""}`
                : "never",
          },
          { label: "Findings", numeric: true, cell: (r) => formatCount(r.figures?.total ?? 0) },
          { label: "Failed", numeric: true, cell: (r) => formatCount(r.figures?.failed ?? 0) },
          { label: "Pass rate", numeric: true, cell: (r) => (r.figures ? formatPercent(r.figures.pass_rate) : "–") },
        ],
        rows,
        (r) => ({ "data-account-id": r.account_id, "data-registered": r.registered ? "true" : "false" }),
      ),
    ),
  );
}

async function allAccounts(key: string): Promise<AccountWire[]> {
  const accounts: AccountWire[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < ACCOUNT_PAGES; page++) {
    const query: string = cursor === null ? "limit=1000" : `limit=1000&cursor=${encodeURIComponent(cursor)}`;
    const result: PageWire<AccountWire> = await apiGet<PageWire<AccountWire>>(key, `/accounts?${query}`);
    accounts.push(...result.items);
    if (!result.has_more || result.next_cursor === null) break;
    cursor = result.next_cursor;
  }
  return accounts;
}

async function showDashboard(key: string): Promise<void> {
  const current = ++generation;
  const isCurrent = () => current === generation;
  byId("sign-in").hidden = true;
  byId("dashboard").hidden = false;
  byId("sign-out").hidden = false;
  byId("refresh").hidden = false;
  delete document.body.dataset["loaded"];
  setStatus("Loading…");
  const explorer = new FindingsExplorer(byId("findings"), { key, isCurrent, onError: handleAuthError });
  try {
    const me = await apiGet<Me>(key, "/me");
    if (!isCurrent()) return;
    byId("who").textContent = `team ${me.team_id ?? "?"} · ${me.role ?? "?"}${me.type ? ` (${me.type.replace("_", " ")})` : ""}`;
    const findings = explorer.load();
    const [summary, accounts] = await Promise.all([apiGet<SummaryWire>(key, "/dashboard/summary"), allAccounts(key)]);
    if (!isCurrent()) return;
    renderPosture(summary);
    renderSeverity(summary);
    drawTrendChart(byId<HTMLCanvasElement>("trend-chart"), summary);
    renderTopChecks(summary);
    renderCompliance(summary);
    renderAccounts(accounts, summary);
    await findings;
    if (isCurrent()) setStatus(`Updated ${formatDateTime(summary.generated_at)}.`);
    document.body.dataset["loaded"] = "true";
  } catch (error) {
    if (!isCurrent() || handleAuthError(error)) return;
    const text =
      error instanceof ApiError && error.status === 403
        ? `This key may not read the dashboard: ${error.message}`
        : String(error instanceof Error ? error.message : error);
    setStatus(text, true);
  }
}

function boot(): void {
  // `#key=<token>` (the link the main job prints) signs in and leaves the address bar without the key.
  const fromFragment = keyFromFragment(location.hash);
  if (fromFragment !== undefined) {
    storeKey(fromFragment);
    history.replaceState(null, "", `${location.pathname}${location.search}`);
  }
  byId<HTMLFormElement>("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>("api-key");
    const key = input.value.trim();
    input.value = "";
    if (key === "") return;
    storeKey(key);
    void showDashboard(key);
  });
  byId("sign-out").addEventListener("click", () => signOut());
  byId("refresh").addEventListener("click", () => {
    const key = storedKey();
    if (key === undefined) showSignIn();
    else void showDashboard(key);
  });
  const key = storedKey();
  if (key === undefined) showSignIn();
  else void showDashboard(key);
}

boot();

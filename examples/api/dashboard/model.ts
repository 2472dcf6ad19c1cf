/*
 * The dashboard's pure logic (no DOM): the sign-in fragment, the findings filter and its query string, and
 * number formatting. Unit-tested in `src/dashboardModel.test.ts`; the page modules call only these.
 */
import type { CloudAccountView, DashboardSummary } from "@cspm/services";

/** The `sessionStorage` entry that holds the signed-in key. */
export const KEY_STORAGE = "cspm.dashboard.key";

/** What JSON makes of a service type: dates arrive as ISO strings. */
export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? readonly Wire<U>[]
    : T extends object
      ? { readonly [K in keyof T]: Wire<T[K]> }
      : T;

/** `GET /dashboard/summary` as the page receives it. */
export type SummaryWire = Wire<DashboardSummary>;
/** One item of `GET /accounts`. */
export type AccountWire = Wire<CloudAccountView>;

/** One page of a list route: the `@cspm/response` page envelope's `data`. */
export interface PageWire<T> {
  readonly items: readonly T[];
  readonly next_cursor: string | null;
  readonly has_more: boolean;
  readonly count: number;
  readonly limit: number;
}

/** The fields of a finding the explorer shows (every one optional: the table shows what is there). */
export interface FindingWire {
  readonly id?: string;
  readonly severity?: string;
  readonly status?: string;
  readonly check_id?: string;
  readonly check_title?: string;
  readonly provider?: string;
  readonly account_id?: string;
  readonly service_name?: string;
  readonly region?: string;
  readonly resource_uid?: string;
  readonly resource_name?: string;
  readonly last_seen_at?: string;
}

/** One distinct value of a facet with the number of findings that carry it. */
export interface FacetValue {
  readonly value: string;
  readonly count: number;
}

/** `GET /findings/facets`: facet name -> values. */
export type FacetsWire = Readonly<Record<string, readonly FacetValue[]>>;

/** The facets the explorer filters on, in display order; each is also the query parameter's name. */
export const FINDING_FACETS = ["severity", "status", "provider", "account_id", "service", "region", "check_id"] as const;

/** One of `FINDING_FACETS`. */
export type FindingFacet = (typeof FINDING_FACETS)[number];

/** The selected values per facet; a facet with no selection is absent. */
export type FindingFilter = Readonly<Partial<Record<FindingFacet, readonly string[]>>>;

/** Human labels of the facets. */
export const FACET_LABELS: Readonly<Record<FindingFacet, string>> = {
  severity: "Severity",
  status: "Status",
  provider: "Provider",
  account_id: "Account",
  service: "Service",
  region: "Region",
  check_id: "Check",
};

/** The severities, most severe first (as the summary orders `by_severity`). */
export const SEVERITY_ORDER = ["critical", "high", "medium", "low", "informational"] as const;

/**
 * The API key in a `#key=<token>` fragment (the link the main job prints), or `undefined` when the
 * fragment names none. Other fragment parameters are ignored.
 */
export function keyFromFragment(hash: string): string | undefined {
  const text = hash.startsWith("#") ? hash.slice(1) : hash;
  for (const part of text.split("&")) {
    const at = part.indexOf("=");
    if (at < 0 || part.slice(0, at) !== "key") continue;
    let value: string;
    try {
      value = decodeURIComponent(part.slice(at + 1)).trim();
    } catch {
      return undefined;
    }
    return value === "" ? undefined : value;
  }
  return undefined;
}

/** The filter with `value` of `facet` switched on or off (a facet left with no value disappears). */
export function toggleFilterValue(filter: FindingFilter, facet: FindingFacet, value: string): FindingFilter {
  const current = filter[facet] ?? [];
  const next = current.includes(value) ? current.filter((v) => v !== value) : [...current, value];
  const { [facet]: _dropped, ...rest } = filter;
  return next.length === 0 ? rest : { ...rest, [facet]: next };
}

/** How many values the filter selects, over every facet. */
export function selectedCount(filter: FindingFilter): number {
  return FINDING_FACETS.reduce((n, facet) => n + (filter[facet]?.length ?? 0), 0);
}

/**
 * The query string of `GET /findings` / `GET /findings/facets` for a filter: one repeated parameter per
 * selected value (`severity=high&severity=low`), in facet order, then `limit` and `cursor` when given.
 */
export function findingsQuery(filter: FindingFilter, page: { readonly limit?: number; readonly cursor?: string | null } = {}): string {
  const params = new URLSearchParams();
  for (const facet of FINDING_FACETS) for (const value of filter[facet] ?? []) params.append(facet, value);
  if (page.limit !== undefined) params.set("limit", String(page.limit));
  if (page.cursor) params.set("cursor", page.cursor);
  return params.toString();
}

const COUNT = new Intl.NumberFormat("en-US");
const PERCENT = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

/** `12,345`. */
export function formatCount(value: number): string {
  return COUNT.format(value);
}

/** `87.53 %` from a percentage (the API's two decimals, trailing zeros dropped). */
export function formatPercent(value: number): string {
  return `${PERCENT.format(value)} %`;
}

/** `2024-06-01 14:03 UTC` from an ISO date-time; the text itself when it is no date. */
export function formatDateTime(iso: string | undefined): string {
  if (iso === undefined) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** The account's label in tables: its name, else the provider account id. */
export function accountLabel(account: { readonly name?: string | null; readonly account_id: string }): string {
  return account.name ? account.name : account.account_id;
}

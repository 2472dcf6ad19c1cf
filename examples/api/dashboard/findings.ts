/*
 * The findings explorer: the facets of `GET /findings/facets` as toggle buttons, the matching findings of
 * `GET /findings` in a table with "Load more" (keyset pages). Every filter change reloads both under the
 * new filter. A server without these routes (404) gets "findings explorer not available".
 */
import { ApiError, apiGet } from "./api";
import { type Child, h, replaceChildren, table } from "./dom";
import {
  FACET_LABELS,
  FINDING_FACETS,
  type FacetsWire,
  type FacetValue,
  type FindingFacet,
  type FindingFilter,
  type FindingWire,
  findingsQuery,
  formatCount,
  formatDateTime,
  type PageWire,
  selectedCount,
  toggleFilterValue,
} from "./model";

/** Findings per page of the table. */
const PAGE_SIZE = 25;
/** Values of one facet shown before "+N more". */
const VALUES_SHOWN = 12;

/** What the explorer needs from the page. */
export interface ExplorerHost {
  readonly key: string;
  /** Whether the sign-in this explorer belongs to is still the current one. */
  readonly isCurrent: () => boolean;
  /** Handles a failure the page deals with (401: back to sign-in); `true` when handled. */
  readonly onError: (error: unknown) => boolean;
}

function badge(text: string | undefined): Child {
  return text ? h("span", { class: `badge ${text}` }, text) : "";
}

/** The explorer in `root`; call `load()` to fill it. */
export class FindingsExplorer {
  readonly #root: HTMLElement;
  readonly #host: ExplorerHost;
  #filter: FindingFilter = {};
  #facets: FacetsWire = {};
  #items: FindingWire[] = [];
  #cursor: string | null = null;
  #expanded = new Set<FindingFacet>();
  #generation = 0;
  #message: { readonly text: string; readonly error: boolean } | undefined;

  constructor(root: HTMLElement, host: ExplorerHost) {
    this.#root = root;
    this.#host = host;
  }

  /** Loads the facets and the first page under the current filter, and renders them. */
  async load(): Promise<void> {
    const generation = ++this.#generation;
    this.#root.setAttribute("aria-busy", "true");
    const query = findingsQuery(this.#filter);
    try {
      const [facets, page] = await Promise.all([
        apiGet<FacetsWire>(this.#host.key, `/findings/facets${query ? `?${query}` : ""}`),
        apiGet<PageWire<FindingWire>>(this.#host.key, `/findings?${findingsQuery(this.#filter, { limit: PAGE_SIZE })}`),
      ]);
      if (generation !== this.#generation || !this.#host.isCurrent()) return;
      this.#facets = facets;
      this.#items = [...page.items];
      this.#cursor = page.has_more ? page.next_cursor : null;
      this.#message = undefined;
      this.#render();
    } catch (error) {
      if (generation !== this.#generation || !this.#host.isCurrent()) return;
      this.#fail(error);
    } finally {
      if (generation === this.#generation) this.#root.removeAttribute("aria-busy");
    }
  }

  async #loadMore(): Promise<void> {
    const cursor = this.#cursor;
    if (cursor === null) return;
    const generation = ++this.#generation;
    try {
      const page = await apiGet<PageWire<FindingWire>>(
        this.#host.key,
        `/findings?${findingsQuery(this.#filter, { limit: PAGE_SIZE, cursor })}`,
      );
      if (generation !== this.#generation || !this.#host.isCurrent()) return;
      this.#items.push(...page.items);
      this.#cursor = page.has_more ? page.next_cursor : null;
      this.#render();
    } catch (error) {
      if (generation === this.#generation && this.#host.isCurrent()) this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    if (error instanceof ApiError && error.status === 404) {
      replaceChildren(
        this.#root,
        h(
          "p",
          { class: "hint", "data-testid": "findings-unavailable" },
          "Findings explorer not available: this server has no GET /findings route.",
        ),
      );
      return;
    }
    if (this.#host.onError(error)) return;
    this.#message = { text: error instanceof Error ? error.message : String(error), error: true };
    this.#render();
  }

  #toggle(facet: FindingFacet, value: string): void {
    this.#filter = toggleFilterValue(this.#filter, facet, value);
    void this.load();
  }

  #render(): void {
    const selected = selectedCount(this.#filter);
    const bar = h(
      "div",
      { class: "explorer-bar" },
      h(
        "p",
        { "data-testid": "findings-shown", class: this.#message?.error ? "error" : undefined },
        this.#message?.text ??
          `${formatCount(this.#items.length)} finding${this.#items.length === 1 ? "" : "s"} shown${this.#cursor === null ? "" : " (more below)"}` +
            (selected === 0 ? "" : `, ${selected} filter value${selected === 1 ? "" : "s"} selected`),
      ),
      selected === 0 ? null : h("button", { type: "button", "data-testid": "clear-filters" }, "Clear filters"),
    );
    bar.querySelector("button")?.addEventListener("click", () => {
      this.#filter = {};
      void this.load();
    });

    const filters = h(
      "div",
      { class: "filters", "data-testid": "finding-filters" },
      ...FINDING_FACETS.map((facet) => this.#facetGroup(facet)),
    );

    const rows = table<FindingWire>(
      [
        { label: "Severity", cell: (f) => badge(f.severity) },
        { label: "Status", cell: (f) => badge(f.status) },
        {
          label: "Check",
          cell: (f) => h("span", {}, h("span", { class: "mono" }, f.check_id ?? ""), h("span", { class: "sub" }, f.check_title ?? "")),
        },
        {
          label: "Resource",
          cell: (f) =>
            h(
              "span",
              {},
              f.resource_name || f.resource_uid || "",
              f.resource_name ? h("span", { class: "sub mono" }, f.resource_uid ?? "") : null,
            ),
        },
        { label: "Account", cell: (f) => h("span", { class: "mono" }, `${f.provider ? `${f.provider}:` : ""}${f.account_id ?? ""}`) },
        { label: "Region", cell: (f) => f.region ?? "" },
        { label: "Service", cell: (f) => f.service_name ?? "" },
        { label: "Last seen", cell: (f) => formatDateTime(f.last_seen_at) },
      ],
      this.#items,
      (f) => ({ "data-finding-id": f.id }),
    );
    rows.setAttribute("data-testid", "findings-table");

    const more = this.#cursor === null ? null : h("button", { type: "button", "data-testid": "load-more" }, `Load ${PAGE_SIZE} more`);
    more?.addEventListener("click", () => void this.#loadMore());

    replaceChildren(
      this.#root,
      bar,
      filters,
      h("div", { class: "scroll" }, rows),
      this.#items.length === 0 ? h("p", { class: "hint" }, "No finding matches this filter.") : null,
      more,
    );
  }

  #facetGroup(facet: FindingFacet): HTMLElement | null {
    const values: FacetValue[] = [...(this.#facets[facet] ?? [])];
    const chosen = this.#filter[facet] ?? [];
    // A selected value that no longer matches anything stays visible, so it can be switched off.
    for (const value of chosen) if (!values.some((v) => v.value === value)) values.push({ value, count: 0 });
    if (values.length === 0) return null;
    const expanded = this.#expanded.has(facet);
    const shown = expanded ? values : values.filter((v, i) => i < VALUES_SHOWN || chosen.includes(v.value));
    const buttons = shown.map((v) => {
      const pressed = chosen.includes(v.value);
      const button = h(
        "button",
        { type: "button", "aria-pressed": pressed ? "true" : "false", "data-facet": facet, "data-value": v.value, title: v.value },
        v.value,
        h("span", { class: "count" }, formatCount(v.count)),
      );
      button.addEventListener("click", () => this.#toggle(facet, v.value));
      return button;
    });
    const hidden = values.length - shown.length;
    const toggle = hidden > 0 || expanded ? h("button", { type: "button", class: "more" }, expanded ? "fewer" : `+${hidden} more`) : null;
    toggle?.addEventListener("click", () => {
      if (expanded) this.#expanded.delete(facet);
      else this.#expanded.add(facet);
      this.#render();
    });
    return h(
      "fieldset",
      { "data-facet-group": facet },
      h("legend", {}, FACET_LABELS[facet]),
      h("div", { class: "facet-values" }, ...buttons, toggle),
    );
  }
}

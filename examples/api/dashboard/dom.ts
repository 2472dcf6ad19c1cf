/*
 * Building DOM nodes without HTML strings: every text (finding titles, resource names, account names come
 * from scanners and users) goes in as a text node, never through innerHTML.
 */

/** Attributes of `h`: strings are set with setAttribute (`data-*`, `aria-*` …), `false`/`undefined` are left out. */
export type Attributes = Readonly<Record<string, string | number | boolean | undefined>>;

/** A child of `h`: a node, or a text (a number is shown as written), or nothing. */
export type Child = Node | string | number | null | undefined | false;

/** `document.createElement(tag)` with attributes and children; texts become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, ...children);
  return element;
}

/** Appends children to a node; texts become text nodes. */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** The element with this id; throws when the page lacks it (a broken template, not bad data). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`dashboard page has no #${id}`);
  return element as T;
}

/** A table with a header row and one row per item. */
export function table<T>(
  columns: readonly { readonly label: string; readonly numeric?: boolean; readonly cell: (item: T) => Child }[],
  items: readonly T[],
  rowAttributes: (item: T) => Attributes = () => ({}),
): HTMLTableElement {
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", { scope: "col", class: c.numeric ? "num" : undefined }, c.label)))),
    h(
      "tbody",
      {},
      ...items.map((item) =>
        h("tr", rowAttributes(item), ...columns.map((c) => h("td", { class: c.numeric ? "num" : undefined }, c.cell(item)))),
      ),
    ),
  );
}

/**
 * The injection corpus through every input of every HTTP route of the example API (the Authorization
 * header, query parameters, path ids, JSON bodies and their fields), over real loopback HTTP: every payload
 * must get 400 VALIDATION_FAILED (413 PAYLOAD_TOO_LARGE only for a body over the limit; 401 UNAUTHENTICATED
 * as a credential), send no command to MongoDB but the credential look-up and the audit entry of a refused
 * mutation, write nothing else and leave Object.prototype alone.
 */
import { generateSampleFindings } from "@cspm-example/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiTestbed, openApiTestbed } from "./apiTestbed";
import { errorCodeOf, type HttpCall } from "./httpClient";
import { INJECTION_PAYLOADS, isPlainObject, prototypePolluted, prototypeSnapshot } from "./injectionCorpus";
import { either, freeText, integer, listOf, never, notAnObject, placePayload } from "./injectionSlots";
import { complianceCatalog } from "./reliabilityFixtures";
import { findSecretLeaks, storedDocumentTargets } from "./secretScanner";

const TEAM = "team_http";
const MAX_URL = 8_000;
const MAX_HEADER = 8_000;

let api: ApiTestbed;
let accountId: string;
let assessmentId: string;
let countsBefore: Record<string, number>;
let auditBefore: Set<string>;
const prototypeBefore = prototypeSnapshot();

/** One input of one route: how a payload is put on the wire (or `undefined` when HTTP cannot carry it). */
interface HttpSlot {
  readonly name: string;
  readonly legitimate: (payload: unknown) => boolean;
  build(payload: unknown): HttpCall | undefined;
  /** The request with valid input only (must not be refused with 400). */
  valid(): HttpCall;
}

/** The owner API key of TEAM, issued in beforeAll. */
let ownerToken = "";
const headers = (): Record<string, string> => ({ authorization: `Bearer ${ownerToken}` });

/** Collections the identity layer itself touches on every request: the key look-up and the audit trail. */
const IDENTITY_COLLECTIONS = new Set(["api_keys", "audit_logs", "audit_outbox"]);
const isIdentityCommand = (c: { database: string; collection: string | undefined }): boolean =>
  c.database.endsWith("cspm_platform") && c.collection !== undefined && IDENTITY_COLLECTIONS.has(c.collection);
const withoutAudit = (counts: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(counts).filter(([name]) => !/\.audit_(logs|outbox)$/.test(name)));

/** How a value is written as query parameters `name=...` (arrays repeat, objects use bracket keys). */
function queryPairs(name: string, value: unknown): [string, string][] {
  if (typeof value === "string") return [[name, value]];
  if (typeof value === "number" || typeof value === "boolean" || value === null) return [[name, String(value)]];
  if (Array.isArray(value))
    return value.length === 0 ? [[`${name}[]`, ""]] : value.map((item) => [name, typeof item === "string" ? item : JSON.stringify(item)]);
  if (isPlainObject(value)) {
    if (Object.keys(value).length === 0) return [[name, "{}"]];
    return Object.keys(value).map((key) => {
      const inner = value[key];
      return [`${name}[${key}]`, typeof inner === "string" ? inner : JSON.stringify(inner)];
    });
  }
  return [[name, String(value)]];
}

/** Percent-encodes any string, lone surrogates included (as their 3-byte WTF-8 form, i.e. invalid UTF-8 on the wire). */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    let out = "";
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      const pair =
        unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) <= 0xdfff;
      if (pair) {
        out += encodeURIComponent(text.slice(i, i + 2));
        i += 1;
      } else if (unit >= 0xd800 && unit <= 0xdfff) {
        out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
          .map((b) => `%${b.toString(16).toUpperCase()}`)
          .join("");
      } else {
        out += encodeURIComponent(text[i] as string);
      }
    }
    return out;
  }
}

function encodeQuery(pairs: readonly [string, string][]): string {
  return pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join("&");
}

/** A GET with `base` query parameters and the payload as parameter `param` (or, with `param: null`, as extra top-level keys). */
function querySlot(
  path: string,
  base: Record<string, string>,
  param: string | null,
  legit: (value: string) => boolean,
  route = path,
  repeatable = false,
): HttpSlot {
  const valid = (): HttpCall => ({
    method: "GET",
    path: `${path}${Object.keys(base).length > 0 ? `?${encodeQuery(Object.entries(base))}` : ""}`,
    headers: headers(),
  });
  return {
    name: `GET ${route}?${param ?? "+keys"}`,
    legitimate: (payload) => {
      if (param === null) return notAnObject(payload);
      // Judged by what reaches the server: one `param=value` pair is just a string there; a repeatable
      // parameter also takes several pairs (`accountIds=a&accountIds=b`), each legitimate on its own.
      const pairs = queryPairs(param, payload);
      const count = repeatable ? pairs.length >= 1 : pairs.length === 1;
      return count && pairs.every(([key, v]) => key === param && legit(v));
    },
    build(payload) {
      const rest = Object.entries(base).filter(([k]) => k !== param);
      const extra =
        param === null
          ? Object.keys(payload as Record<string, unknown>).flatMap((key) => queryPairs(key, (payload as Record<string, unknown>)[key]))
          : queryPairs(param, payload);
      const url = `${path}?${encodeQuery([...rest, ...extra])}`;
      return url.length > MAX_URL ? undefined : { method: "GET", path: url, headers: headers() };
    },
    valid,
  };
}

/** The payload as the bearer credential (`Authorization: Bearer <payload>`, JSON text for non-strings): always 401. */
function headerSlot(call: () => HttpCall, route: string): HttpSlot {
  const wire = (payload: unknown): string => (typeof payload === "string" ? payload : (JSON.stringify(payload) ?? String(payload)));
  return {
    name: `${route} authorization`,
    // No payload of the corpus is a credential of this API.
    legitimate: never,
    build(payload) {
      const text = wire(payload);
      // Only what an HTTP client can send in a header (no control characters, Latin-1, bounded).
      if (text.length > MAX_HEADER || !/^[\t\x20-\x7e\x80-\xff]*$/.test(text)) return undefined;
      const base = call();
      return { ...base, headers: { ...base.headers, authorization: `Bearer ${text}` } };
    },
    valid: call,
  };
}

/** The payload as the `:id` path segment (JSON text for non-strings). */
function pathSlot(method: string, template: string, json?: () => unknown): HttpSlot {
  return {
    name: `${method} ${template} :id`,
    legitimate: never,
    build(payload) {
      const text = typeof payload === "string" ? payload : (JSON.stringify(payload) ?? String(payload));
      const path = template.replace(":id", encode(text));
      return path.length > MAX_URL ? undefined : { method, path, headers: headers(), ...(json ? { json: json() } : {}) };
    },
    valid: () => ({
      method,
      path: template.replace(":id", template.startsWith("/accounts") ? accountId : assessmentId),
      headers: headers(),
      ...(json ? { json: json() } : {}),
    }),
  };
}

/** The payload in a JSON body: at `field` (a path into the valid body), as the whole body, or merged in as extra keys. */
function bodySlot(
  method: string,
  path: () => string,
  validBody: () => unknown,
  field: readonly (string | number)[] | "whole" | "keys",
  legitimate: (v: unknown) => boolean,
  route: string,
  query = "",
): HttpSlot {
  const label = field === "whole" ? "body" : field === "keys" ? "body +keys" : `body.${field.join(".")}`;
  return {
    name: `${method} ${route} ${label}`,
    legitimate: field === "keys" ? either(notAnObject, legitimate) : legitimate,
    build(payload) {
      const body =
        field === "whole"
          ? payload
          : field === "keys"
            ? placePayload([validBody()], [0], payload, "extra-keys")[0]
            : placePayload([validBody()], [0, ...field], payload, "replace")[0];
      return { method, path: `${path()}${query}`, headers: headers(), raw: JSON.stringify(body) ?? "null" };
    },
    valid: () => ({ method, path: `${path()}${query}`, headers: headers(), json: validBody() }),
  };
}

const registerBody = () => ({
  provider: "aws",
  accountId: "123456789012",
  name: "HTTP target",
  credentials: { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
  regions: ["us-east-1"],
  tags: [{ key: "env", value: "prod" }],
});
const assessmentBody = () => ({
  name: "HTTP review",
  frameworkIds: ["cis_aws_2.0"],
  frequency: "quarterly",
  startDate: "2024-07-01",
  graceDays: 7,
});
const importBody = () => [
  ...generateSampleFindings({ format: "prowler", count: 2, accountId: "123456789012", scanTime: new Date("2024-06-15T00:00:00Z") }),
];
const limit = (min: number, max: number) => (s: string) => integer(min, max)(Number(s));
const shortText = (s: string) => s.length >= 1 && s.length <= 253;
const accountIdList = (s: string) => {
  const ids = s
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
  return ids.length >= 1 && ids.length <= 1000 && ids.every((id) => id.length <= 253);
};

/** A query parameter of `POST /findings/import` (valid body, so only the parameter can be refused). */
function importQuerySlot(param: string | null, legit: (value: string) => boolean): HttpSlot {
  const inner = querySlot("/findings/import", {}, param, legit);
  const post = (call: HttpCall | undefined): HttpCall | undefined =>
    call === undefined ? undefined : { ...call, method: "POST", json: importBody() };
  return {
    name: inner.name.replace(/^GET/, "POST"),
    legitimate: inner.legitimate,
    build: (payload) => post(inner.build(payload)),
    valid: () => post(inner.valid()) as HttpCall,
  };
}

function slots(): HttpSlot[] {
  const get = (path: string) => (): HttpCall => ({ method: "GET", path, headers: headers() });
  const strict = (): boolean => false;
  return [
    // Accounts
    headerSlot(get("/accounts"), "GET /accounts"),
    querySlot("/accounts", { limit: "10" }, "provider", strict),
    querySlot("/accounts", { limit: "10" }, "status", strict),
    querySlot("/accounts", { limit: "10" }, "tag", (s) => /^[^:]+:.*$/.test(s)),
    querySlot("/accounts", {}, "limit", limit(1, 1000)),
    querySlot("/accounts", { limit: "10" }, "cursor", strict),
    querySlot("/accounts", { limit: "10" }, null, strict),
    headerSlot(() => ({ method: "POST", path: "/accounts", headers: headers(), json: registerBody() }), "POST /accounts"),
    bodySlot("POST", () => "/accounts", registerBody, "whole", never, "/accounts"),
    bodySlot("POST", () => "/accounts", registerBody, "keys", never, "/accounts"),
    bodySlot("POST", () => "/accounts", registerBody, ["provider"], never, "/accounts"),
    bodySlot("POST", () => "/accounts", registerBody, ["accountId"], never, "/accounts"),
    bodySlot("POST", () => "/accounts", registerBody, ["name"], freeText(200), "/accounts"),
    bodySlot("POST", () => "/accounts", registerBody, ["credentials"], never, "/accounts"),
    bodySlot("POST", () => "/accounts", registerBody, ["credentials", "secret_access_key"], never, "/accounts"),
    bodySlot(
      "POST",
      () => "/accounts",
      registerBody,
      ["regions"],
      listOf((v) => typeof v === "string" && /^[a-z0-9][a-z0-9-]{0,63}$/.test(v), 0, 200),
      "/accounts",
    ),
    bodySlot(
      "POST",
      () => "/accounts",
      registerBody,
      ["tags"],
      (v) => Array.isArray(v) && v.length === 0,
      "/accounts",
    ),
    bodySlot("POST", () => "/accounts", registerBody, ["status"], never, "/accounts"),
    headerSlot(() => ({ method: "GET", path: `/accounts/${accountId}`, headers: headers() }), "GET /accounts/:id"),
    pathSlot("GET", "/accounts/:id"),
    pathSlot("PATCH", "/accounts/:id", () => ({ name: "Renamed" })),
    bodySlot(
      "PATCH",
      () => `/accounts/${accountId}`,
      () => ({ name: "Renamed", status: "active" }),
      "whole",
      never,
      "/accounts/:id",
    ),
    bodySlot(
      "PATCH",
      () => `/accounts/${accountId}`,
      () => ({ name: "Renamed", status: "active" }),
      "keys",
      never,
      "/accounts/:id",
    ),
    bodySlot(
      "PATCH",
      () => `/accounts/${accountId}`,
      () => ({ name: "Renamed", status: "active" }),
      ["name"],
      freeText(200),
      "/accounts/:id",
    ),
    bodySlot(
      "PATCH",
      () => `/accounts/${accountId}`,
      () => ({ name: "Renamed", status: "active" }),
      ["status"],
      never,
      "/accounts/:id",
    ),
    // Posture
    headerSlot(get("/dashboard/summary"), "GET /dashboard/summary"),
    querySlot("/dashboard/summary", {}, "accountIds", accountIdList, "/dashboard/summary", true),
    querySlot("/dashboard/summary", {}, "since", strict),
    querySlot("/dashboard/summary", {}, null, strict),
    headerSlot(get("/scan-activity"), "GET /scan-activity"),
    querySlot("/scan-activity", {}, "since", strict),
    querySlot("/scan-activity", {}, "limit", limit(1, 200)),
    querySlot("/scan-activity", {}, null, strict),
    // Assessments
    headerSlot(() => ({ method: "POST", path: "/assessments", headers: headers(), json: assessmentBody() }), "POST /assessments"),
    bodySlot("POST", () => "/assessments", assessmentBody, "whole", never, "/assessments"),
    bodySlot("POST", () => "/assessments", assessmentBody, "keys", never, "/assessments"),
    bodySlot("POST", () => "/assessments", assessmentBody, ["name"], freeText(200), "/assessments"),
    bodySlot(
      "POST",
      () => "/assessments",
      assessmentBody,
      ["frameworkIds"],
      listOf((v) => typeof v === "string" && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(v), 1, 50),
      "/assessments",
    ),
    bodySlot("POST", () => "/assessments", assessmentBody, ["frameworkIds", 0], never, "/assessments"),
    bodySlot("POST", () => "/assessments", assessmentBody, ["frequency"], never, "/assessments"),
    bodySlot("POST", () => "/assessments", assessmentBody, ["startDate"], never, "/assessments"),
    bodySlot("POST", () => "/assessments", assessmentBody, ["graceDays"], integer(0, 365), "/assessments"),
    headerSlot(get("/assessments"), "GET /assessments"),
    querySlot("/assessments", {}, "status", strict),
    querySlot("/assessments", {}, "limit", limit(1, 1000)),
    querySlot("/assessments", {}, "cursor", strict),
    querySlot("/assessments", {}, null, strict),
    pathSlot("GET", "/assessments/:id"),
    pathSlot("GET", "/assessments/:id/evidence"),
    // Findings import: a hostile body is not a scanner output (400, UNKNOWN_FORMAT …) before anything is written.
    headerSlot(() => ({ method: "POST", path: "/findings/import", headers: headers(), json: importBody() }), "POST /findings/import"),
    bodySlot("POST", () => "/findings/import", importBody, "whole", never, "/findings/import"),
    // (A scanner file with one hostile record among good ones is imported without it — a per-record
    // rejection, by design of @cspm/ingest; packages/ingest/src/badInput.integration.test.ts holds that.)
    importQuerySlot("batch_size", limit(1, 1000)),
    importQuerySlot("account_id", shortText),
    importQuerySlot(null, strict),
  ];
}

beforeAll(async () => {
  api = await openApiTestbed({ label: "httpinj" });
  ownerToken = await api.token(TEAM);
  const catalog = complianceCatalog("cis_aws_2.0", [{ controlId: "1.5", checks: ["iam_root_mfa_enabled"] }]);
  await api.seed("COMPLIANCE", "frameworks", [catalog.framework]);
  await api.seed("COMPLIANCE", "controls", catalog.controls);
  await api.seed("COMPLIANCE", "control_mappings", catalog.mappings);
  const account = await api.http.send({ method: "POST", path: "/accounts", headers: headers(), json: registerBody() });
  expect(account.status).toBe(201);
  accountId = (account.body as { data: { id: string } }).data.id;
  const assessment = await api.http.send({ method: "POST", path: "/assessments", headers: headers(), json: assessmentBody() });
  expect(assessment.status).toBe(201);
  assessmentId = (assessment.body as { data: { id: string } }).data.id;
  countsBefore = await api.countAll();
  auditBefore = new Set((await api.dumpAll()).filter((d) => d.collection === "audit_logs").map((d) => String(d.doc._id)));
}, 90_000);

afterAll(async () => {
  await api?.close();
});

/**
 * Known gaps in other packages, reported to their owners: kept out of the hard gate, and checked by an
 * `it.fails` that starts failing (= delete the entry) once they are fixed. Both are refused before any
 * MongoDB command; only the status and envelope are wrong.
 */
const KNOWN_GAPS: readonly { readonly owner: string; readonly problem: RegExp; readonly reason: string }[] = [];
const knownGapViolations: string[] = [];

describe("injection corpus through every HTTP route", () => {
  it("every route input refuses every payload with 400 VALIDATION_FAILED (413 for oversize bodies) before any query", async () => {
    const violations: string[] = [];
    const used = new Map<string, number>(INJECTION_PAYLOADS.map((p) => [p.id, 0]));
    let sent = 0;
    for (const slot of slots()) {
      for (const payload of INJECTION_PAYLOADS) {
        const value = payload.make();
        if (slot.legitimate(value)) continue;
        const call = slot.build(value);
        if (call === undefined) continue;
        sent += 1;
        used.set(payload.id, (used.get(payload.id) ?? 0) + 1);
        const { result, commands } = await api.monitor.measure(() => api.http.send(call));
        const code = errorCodeOf(result);
        const bodyBytes = call.raw === undefined ? 0 : Buffer.byteLength(call.raw);
        const ok = slot.name.endsWith(" authorization")
          ? result.status === 401 && code === "UNAUTHENTICATED"
          : (result.status === 400 && code === "VALIDATION_FAILED") ||
            (result.status === 413 && code === "PAYLOAD_TOO_LARGE" && bodyBytes > 1_048_576);
        const note = (problem: string): void => {
          violations.push(`${slot.name} <- ${payload.id}: ${problem}`);
        };
        if (!ok) note(`answered ${result.status} ${code ?? result.text.slice(0, 100)}`);
        const dataCommands = commands.filter((c) => !isIdentityCommand(c));
        if (dataCommands.length > 0) note(`sent ${dataCommands.map((c) => `${c.name} ${c.collection ?? ""}`).join(", ")}`);
        if (prototypePolluted() || prototypeSnapshot() !== prototypeBefore) note("polluted a prototype");
      }
    }
    knownGapViolations.push(...violations.filter((v) => KNOWN_GAPS.some((gap) => gap.problem.test(v))));
    expect(violations.filter((v) => !KNOWN_GAPS.some((gap) => gap.problem.test(v))).join("\n")).toBe("");
    expect(sent).toBeGreaterThan(1000);
    expect([...used].filter(([, n]) => n === 0).map(([id]) => id)).toEqual([]);
  }, 120_000);

  it("nothing was written but the refusals' audit entries, and Object.prototype is intact", async () => {
    const after = await api.countAll();
    expect(withoutAudit(after)).toEqual(withoutAudit(countsBefore));
    const audit = (await api.dumpAll()).filter((d) => d.collection === "audit_logs").map((d) => d.doc);
    const fresh = audit.filter((e) => !auditBefore.has(String(e._id)));
    // Every mutation the services refused is in the audit log as a failure; nothing waits in the outbox.
    expect(fresh.length).toBeGreaterThan(0);
    expect(new Set(fresh.map((e) => e.outcome))).toEqual(new Set(["failure"]));
    expect(
      Object.entries(after)
        .filter(([k]) => k.endsWith(".audit_outbox"))
        .every(([, n]) => n === 0),
    ).toBe(true);
    expect(prototypePolluted()).toBe(false);
    expect(prototypeSnapshot()).toBe(prototypeBefore);
  });

  it("the valid request behind every slot is not refused with 400 (so each refusal above is the payload's doing)", async () => {
    const refused: string[] = [];
    for (const slot of slots()) {
      const result = await api.http.send(slot.valid());
      if (result.status === 400) refused.push(`${slot.name}: ${result.text.slice(0, 200)}`);
    }
    expect(refused).toEqual([]);
  }, 60_000);

  it("the credentials sent along are stored only as ciphertext", async () => {
    const stored = await api.dumpAll();
    expect(stored.some((d) => d.collection === "enhanced_cloud_accounts" && d.doc.encrypted_credentials !== undefined)).toBe(true);
    expect(
      findSecretLeaks(storedDocumentTargets(stored), [{ label: "secret_access_key", value: registerBody().credentials.secret_access_key }]),
    ).toEqual([]);
  });

  // Passes while the gaps exist; starts failing once the owner fixes one — then delete its KNOWN_GAPS entry.
  if (KNOWN_GAPS.length > 0)
    it.fails.each(KNOWN_GAPS.map((gap) => [gap.owner, gap] as const))("known gap in %s is fixed", (_owner, gap) => {
      expect(knownGapViolations.filter((v) => gap.problem.test(v))).toEqual([]);
    });
});

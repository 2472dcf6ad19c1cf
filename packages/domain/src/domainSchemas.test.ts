import { DatabaseRegistry } from "@cspm/registry";
import { ObjectId } from "mongodb";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { DOMAIN_REPOSITORIES } from "./domainRepositories";
import { SAMPLE_COLLECTIONS, sampleDocument, type SampleCollection } from "./testing/sampleDocuments";

const schemaByCollection = new Map<string, z.ZodType>(DOMAIN_REPOSITORIES.map((R) => [R.definition.collection, R.definition.schema]));

function schemaOf(collection: string): z.ZodType {
  const schema = schemaByCollection.get(collection);
  if (!schema) throw new Error(`no repository for ${collection}`);
  return schema;
}

/** For every collection, changes that each make the sample invalid. */
const INVALID: Record<SampleCollection, Record<string, Record<string, unknown>>> = {
  teams: { "slug with spaces": { slug: "Acme Corp" } },
  users: {
    "malformed email": { email: "not-an-email" },
    "uppercase email": { email: "Ann@Example.com" },
    "plain password": { password_hash: "hunter2" },
  },
  sessions: { "token hash not sha-256": { token_hash: "abc" } },
  api_keys: {
    "hash not sha-256": { key_hash: "abc" },
    "unknown scope": { scopes: ["everything"] },
    "role with spaces": { role: "Super User" },
  },
  roles: {
    "unknown permission": { permissions: ["root"] },
    "repeated permission": { permissions: ["read", "read"] },
    "no permission": { permissions: [] },
  },
  audit_logs: {
    "action not dotted": { action: "Create" },
    "unknown outcome": { outcome: "maybe" },
    "changes with values": { changes: { fields: ["name"], sha256: "c".repeat(64), name: "x" } },
  },
  audit_outbox: { "entry without team": { entry: { action: "findings.import" } } },
  settings: { "key with spaces": { key: "Bad Key" }, "operator in value": { value: { $set: 1 } } },
  enhanced_cloud_accounts: {
    "AWS id not 12 digits": { account_id: "12345" },
    "GCP id for AWS": { account_id: "my-project-123" },
    "plaintext credentials": { encrypted_credentials: { secret_access_key: "s3cr3t" } },
    "unknown plaintext field": { credentials: { secret_access_key: "s3cr3t" } },
    "unknown status": { status: "deleted" },
  },
  prowler_findings: {
    "unknown status": { status: "FAILED" },
    "unknown severity": { severity: "severe" },
    "compliance as a map": { compliance: { "CIS-2.0": ["1.5"] } },
    "account id not AWS": { account_id: "abc" },
    "last seen before first": { last_seen_at: new Date("2024-01-01T00:00:00Z") },
  },
  security_scores: { "score over 100": { score: 101 } },
  finding_rollups: {
    "unknown dimension": { dimension: "owner" },
    "day not a date": { day: "01/01/2025" },
    "negative count": { failed: -1 },
  },
  finding_rollup_marks: { "generation zero": { generation: 0 } },
  finding_facet_cells: { "empty cell": { count: 0 }, "muted not a boolean": { muted: "no" } },
  nuclei_scans: { "Nuclei severity not mapped": { severity: "info" } },
  ssl_scans: { "port out of range": { port: 70_000 } },
  header_scans: { "not http(s)": { target: "ftp://example.com/" } },
  scan_runs: { "unknown status": { status: "done" } },
  jobs: { "priority over max": { priority: 101 }, "operator in payload": { payload: { $where: "1" } } },
  sub_jobs: { "negative sequence": { sequence: -1 } },
  vulnerability_occurrences: {
    "malformed CVE": { cve_id: "CVE-21-1" },
    "mitigated without mitigated_at": { status: "mitigated" },
    "EPSS over 1": { epss: { score: 2, percentile: 0.5 } },
  },
  vulnerability_catalog: { "CVSS over 10": { cvss: { score: 11 } } },
  sla_policies: { "zero days": { days: { critical: 0, high: 30, medium: 90, low: 180, informational: 365 } } },
  ai_models: { "unknown risk tier": { risk_tier: "extreme" } },
  ai_risk_assessments: { "negative score": { score: -1 } },
  eu_ai_act_compliance: {
    "unknown obligation status": { obligations: [{ obligation_id: "art_50", title: "T", status: "done" }] },
    "duplicate obligation": {
      obligations: [
        { obligation_id: "art_50", title: "T", status: "met" },
        { obligation_id: "art_50", title: "T", status: "met" },
      ],
    },
  },
  global_assessments: {
    "unknown frequency": { frequency: "weekly" },
    "period ends before it starts": { period_end: new Date("2024-12-01T00:00:00Z") },
    "no frameworks": { framework_ids: [] },
  },
  assessment_evidence: { "source not snake_case": { source: "Cloud Security" } },
  risks: { "likelihood over 5": { likelihood: 6, score: 30 }, "score not likelihood*impact": { score: 19 } },
  risk_treatments: { "unknown strategy": { strategy: "ignore" } },
  frameworks: { "empty framework id": { framework_id: "" } },
  controls: { "control id with space": { control_id: "1 5" } },
  control_mappings: { "operator as check id": { check_id: "$where" } },
  cloud_resources: { "tag without value": { tags: [{ key: "env" }] } },
  resource_relationships: { "relationship not snake_case": { relationship: "Attached To" } },
  remediation_tasks: { "unknown status": { status: "done" } },
  exceptions: { "empty reason": { reason: "" } },
  mute_rules: {
    "empty reason": { reason: "" },
    "no criterion": { check_ids: undefined, resource_uid_pattern: undefined },
    "bad check id": { check_ids: ["$where"] },
  },
  reports: { "unknown type": { type: "weekly" } },
  report_schedules: { "not cron": { cron: "every monday" }, "minute out of range": { cron: "60 * * * *" } },
  channels: {
    "config does not match type": { type: "slack" },
    "plaintext slack webhook": { type: "slack", config: { webhook_url: "https://hooks.slack.com/services/x" } },
    "http webhook": { type: "webhook", config: { url: "http://example.com/hook" } },
  },
  alerts: { "unknown status": { status: "closed" } },
  deliveries: { "negative attempts": { attempts: -1 } },
  connectors: { "secret in config": { config: { api_token: "x" } }, "plaintext secret": { encrypted_secret: "hunter2" } },
  webhooks: { "insecure url": { url: "http://hooks.example.com/cspm" }, "bad event": { event: "Finding Created" } },
};

/** Fields whose issues a change to another field may legitimately raise (cross-field checks). */
const RELATED: Partial<Record<SampleCollection, string[]>> = {
  vulnerability_occurrences: ["mitigated_at"],
  channels: ["config"],
  enhanced_cloud_accounts: ["account_id"],
};

describe("domain schemas", () => {
  it("there is a sample, a schema and invalid cases for every registered collection", () => {
    // The migration ledger and lock belong to @cspm/migrations alone (registry `managedBy`).
    const registered = DatabaseRegistry.all().flatMap((d) => d.collections.filter((c) => !("managedBy" in c)).map((c) => c.name));
    expect([...SAMPLE_COLLECTIONS].sort()).toEqual([...registered].sort());
    expect([...schemaByCollection.keys()].sort()).toEqual([...registered].sort());
    for (const collection of SAMPLE_COLLECTIONS) expect(Object.keys(INVALID[collection]).length).toBeGreaterThan(0);
  });

  describe.each(SAMPLE_COLLECTIONS)("%s", (collection) => {
    const schema = schemaOf(collection);
    const tenantOwned = DatabaseRegistry.getCollection(DatabaseRegistry.ownerOf(collection).key, collection).tenantOwned;

    it("accepts the valid sample, with or without _id and system fields", () => {
      expect(schema.safeParse(sampleDocument(collection)).error?.issues ?? []).toEqual([]);
      const withSystem = { _id: new ObjectId(), created_at: new Date(), updated_at: new Date(), ...sampleDocument(collection) };
      expect(schema.safeParse(withSystem).success).toBe(true);
    });

    it.each(Object.entries(INVALID[collection]))("rejects: %s", (_name, changes) => {
      const result = schema.safeParse(sampleDocument(collection, changes));
      expect(result.success).toBe(false);
      // The rejection is about the changed field (or a field it governs), not an unrelated one.
      const paths = (result.error?.issues ?? []).map((issue) => String(issue.path[0] ?? ""));
      const related = new Set([...Object.keys(changes), ...(RELATED[collection] ?? [])]);
      expect(paths.some((path) => related.has(path) || path === "")).toBe(true);
    });

    it(tenantOwned ? "requires team_id (tenant-owned)" : "has no team_id (shared)", () => {
      const { team_id: _dropped, ...withoutTeam } = sampleDocument(collection);
      if (tenantOwned) expect(schema.safeParse(withoutTeam).success).toBe(false);
      else expect(schema.safeParse({ ...withoutTeam, team_id: "team-a" }).success).toBe(false);
    });

    it("rejects unknown fields and a non-ObjectId _id", () => {
      expect(schema.safeParse(sampleDocument(collection, { unexpected_field: 1 })).success).toBe(false);
      expect(schema.safeParse(sampleDocument(collection, { _id: "not-an-object-id" })).success).toBe(false);
    });
  });
});

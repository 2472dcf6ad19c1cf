import { parseTeamId } from "@cspm/repository";
/**
 * Tenant isolation, property style, over every public service method: seeded random calls from five
 * teams whose ids are drawn from every team's accounts and assessments. After each call the raw driver
 * must show no other team's document changed and no document changed owner; every result must hold
 * only the acting team's data (each team's free text carries a `<team>:` fingerprint, so a foreign
 * string anywhere in a result is a leak); aggregates must equal the acting team's raw counts.
 */
import {
  AggregationService,
  AssessmentIntegrationService,
  CentralAccountService,
  EvidenceIntegrationService,
  GlobalAssessmentService,
} from "@cspm/services";
import { isCspmError } from "@cspm/errors";
import { BSON, type Document, ObjectId } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openReliabilityTestbed, type ReliabilityTestbed } from "./reliabilityTestbed";
import { complianceCatalog, findingDoc, scanRunDoc } from "./reliabilityFixtures";
import { reliabilitySeed, type SeededRandom, seededRandom } from "./seededRandom";
import { findSecretLeaks, type PlantedSecret, storedDocumentTargets } from "./secretScanner";

const TEAMS = ["team_1", "team_2", "team_3", "team_4", "team_5"] as const;
type Team = (typeof TEAMS)[number];
const NOW = new Date("2024-06-15T12:00:00.000Z");
const DAY_MS = 86_400_000;
const SEED = reliabilitySeed(7_331);
const CALLS_PER_METHOD = 4;
const FRAMEWORK = "cis_aws_2.0";
/** Written by the services; compared document by document after every call. */
const WRITTEN: readonly (readonly [Parameters<ReliabilityTestbed["manager"]["getCollection"]>[0], string])[] = [
  ["CLOUD_SECURITY", "enhanced_cloud_accounts"],
  ["ASSESSMENTS", "global_assessments"],
  ["ASSESSMENTS", "assessment_evidence"],
];

let bed: ReliabilityTestbed;
let random: SeededRandom;
let serial = 0;

const teamIndex = (team: Team): number => TEAMS.indexOf(team) + 1;
/** Provider ids are per team so the dashboard's per-account rows can be attributed; some are shared on purpose. */
const providerIdOf = (team: Team, n: number): string => `${teamIndex(team)}0000000000${n % 10}`;
const SHARED_PROVIDER_ID = "999999999999";

/** Every secret handed to the services, for the final plaintext scan. */
const planted: PlantedSecret[] = [];

function credentials(): Document {
  serial += 1;
  const secret = `Sk${String(serial).padStart(6, "0")}/${"qZ8x".repeat(8)}`.slice(0, 40);
  planted.push({ label: `secret_access_key #${serial}`, value: secret });
  return { access_key_id: `AKIA${String(serial).padStart(16, "0")}`, secret_access_key: secret };
}

async function rawDocs(database: (typeof WRITTEN)[number][0], collection: string, filter: Document = {}): Promise<Document[]> {
  return bed.manager.getCollection(database, collection).find(filter).toArray();
}

async function snapshot(): Promise<Map<string, { owner: string; text: string }>> {
  const out = new Map<string, { owner: string; text: string }>();
  for (const [database, collection] of WRITTEN) {
    for (const doc of await rawDocs(database, collection)) {
      out.set(`${collection}/${(doc._id as ObjectId).toHexString()}`, {
        owner: String(doc.team_id),
        text: BSON.EJSON.stringify(doc, { relaxed: false }),
      });
    }
  }
  return out;
}

/** Every string and ObjectId in a value (Maps, arrays and objects walked). */
function walk(value: unknown, visit: (leaf: string, key: string) => void, key = ""): void {
  if (typeof value === "string") visit(value, key);
  else if (value instanceof ObjectId) visit(value.toHexString(), key);
  else if (value instanceof Map) for (const [k, v] of value) walk(v, visit, String(k));
  else if (Array.isArray(value)) for (const v of value) walk(v, visit, key);
  else if (typeof value === "object" && value !== null && !(value instanceof Date))
    for (const [k, v] of Object.entries(value)) walk(v, visit, k);
}

interface Pools {
  accountIds: string[];
  assessmentIds: string[];
}

async function pools(): Promise<Pools> {
  const accounts = await rawDocs("CLOUD_SECURITY", "enhanced_cloud_accounts");
  const assessments = await rawDocs("ASSESSMENTS", "global_assessments");
  return {
    accountIds: accounts.map((d) => (d._id as ObjectId).toHexString()),
    assessmentIds: assessments.map((d) => (d._id as ObjectId).toHexString()),
  };
}

const pickOr = (list: readonly string[]): string => (list.length > 0 ? random.pick(list) : new ObjectId().toHexString());

type Call = (team: Team, pool: Pools) => Promise<unknown>;

/** One random call per public service method. Keys are `Service.method`. */
function calls(): Record<string, Call> {
  const { accounts, aggregation, evidence, integration, assessments } = bed;
  return {
    "CentralAccountService.registerAccount": (team) =>
      accounts.registerAccount(parseTeamId(team), {
        provider: "aws",
        accountId: random.chance(0.3) ? SHARED_PROVIDER_ID : providerIdOf(team, random.int(10)),
        name: `${team}: account ${++serial}`,
        ...(random.chance(0.5) ? { credentials: credentials() } : {}),
        tags: [{ key: "owner", value: `${team}: owner` }],
      }),
    "CentralAccountService.getAccount": (team, pool) => accounts.getAccount(parseTeamId(team), pickOr(pool.accountIds)),
    "CentralAccountService.listAccounts": async (team) => {
      const items: unknown[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: unknown[]; nextCursor: string | null } = await accounts.listAccounts(parseTeamId(team), { limit: 2, cursor });
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== null && items.length < 100);
      return items;
    },
    "CentralAccountService.updateAccount": (team, pool) =>
      accounts.updateAccount(parseTeamId(team), pickOr(pool.accountIds), { name: `${team}: renamed ${++serial}` }),
    "CentralAccountService.deactivateAccount": (team, pool) =>
      accounts.deactivateAccount(parseTeamId(team), pickOr(pool.accountIds), `${team}: paused`),
    "CentralAccountService.deleteAccount": (team, pool) => accounts.deleteAccount(parseTeamId(team), pickOr(pool.accountIds)),
    "CentralAccountService.rotateCredentials": (team, pool) =>
      accounts.rotateCredentials(parseTeamId(team), pickOr(pool.accountIds), credentials()),
    "CentralAccountService.recordLastScan": (team, pool) =>
      accounts.recordLastScan(parseTeamId(team), pickOr(pool.accountIds), { status: random.pick(["completed", "failed"] as const) }),
    "CentralAccountService.resolveAccounts": (team, pool) =>
      accounts.resolveAccounts(parseTeamId(team), [
        ...random.shuffle(pool.accountIds).slice(0, 8),
        SHARED_PROVIDER_ID,
        providerIdOf(random.pick(TEAMS), 1),
      ]),
    "CentralAccountService.invalidate": (team) => accounts.invalidate(parseTeamId(team)),
    "AggregationService.getDashboardSummary": (team) => aggregation.getDashboardSummary(parseTeamId(team)),
    "AggregationService.getScanActivity": (team) => aggregation.getScanActivity(parseTeamId(team), { limit: 50 }),
    "AggregationService.invalidate": (team) => aggregation.invalidate(parseTeamId(team)),
    "EvidenceIntegrationService.collectComprehensiveEvidence": (team, pool) =>
      evidence.collectComprehensiveEvidence(parseTeamId(team), pickOr(pool.assessmentIds)),
    "EvidenceIntegrationService.getEvidence": (team, pool) => evidence.getEvidence(parseTeamId(team), pickOr(pool.assessmentIds)),
    "AssessmentIntegrationService.evaluateControls": (team, pool) =>
      integration.evaluateControls(parseTeamId(team), pickOr(pool.assessmentIds)),
    "GlobalAssessmentService.createAssessment": (team) =>
      assessments.createAssessment(parseTeamId(team), {
        name: `${team}: review ${++serial}`,
        frameworkIds: [FRAMEWORK],
        frequency: "monthly",
        startDate: "2024-06-01",
        owner: `${team}@example.com`,
      }),
    "GlobalAssessmentService.refreshEvidence": (team, pool) => assessments.refreshEvidence(parseTeamId(team), pickOr(pool.assessmentIds)),
    "GlobalAssessmentService.getAssessment": (team, pool) => assessments.getAssessment(parseTeamId(team), pickOr(pool.assessmentIds)),
    "GlobalAssessmentService.listAssessments": (team) => assessments.listAssessments(parseTeamId(team), { limit: 1000 }),
    "GlobalAssessmentService.startAssessment": (team, pool) => assessments.startAssessment(parseTeamId(team), pickOr(pool.assessmentIds)),
    "GlobalAssessmentService.completeAssessment": (team, pool) =>
      assessments.completeAssessment(parseTeamId(team), pickOr(pool.assessmentIds)),
    "GlobalAssessmentService.transitionStatus": (team, pool) =>
      assessments.transitionStatus(parseTeamId(team), pickOr(pool.assessmentIds), random.pick(["in_progress", "completed"] as const)),
  };
}

/** Public methods of each service, read from the classes themselves (protected extension points excluded). */
function publicMethods(): string[] {
  const protectedHooks = new Set([
    "storeEvidence",
    "collectCloudSecurity",
    "collectNativeScans",
    "collectVulnerabilities",
    "collectAiGovernance",
  ]);
  const classes = {
    CentralAccountService,
    AggregationService,
    EvidenceIntegrationService,
    AssessmentIntegrationService,
    GlobalAssessmentService,
  };
  return Object.entries(classes).flatMap(([name, cls]) =>
    Object.getOwnPropertyNames(cls.prototype)
      .filter(
        (m) =>
          m !== "constructor" && !protectedHooks.has(m) && typeof (cls.prototype as unknown as Record<string, unknown>)[m] === "function",
      )
      .map((m) => `${name}.${m}`),
  );
}

/** What the acting team's figures must be, from the raw driver. */
async function expectedFigures(team: Team): Promise<{ findings: number; runs: number; accountIds: Set<string> }> {
  const since = new Date(Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth(), NOW.getUTCDate()) - 29 * DAY_MS);
  const findings = await bed.manager
    .getCollection("CLOUD_SECURITY", "prowler_findings")
    .countDocuments({ team_id: team, muted: false, last_seen_at: { $gte: since } });
  const runs = await bed.manager.getCollection("ORCHESTRATION", "scan_runs").countDocuments({ team_id: team, created_at: { $gte: since } });
  const accountIds = new Set(Array.from({ length: 10 }, (_, n) => providerIdOf(team, n)));
  return { findings, runs, accountIds };
}

beforeAll(async () => {
  bed = await openReliabilityTestbed({ label: "isosvc", now: () => new Date(NOW.getTime()) });
  await bed.manager.ensureIndexes({ databases: ["CLOUD_SECURITY", "ASSESSMENTS", "ORCHESTRATION"] });
  random = seededRandom(SEED);
  const catalog = complianceCatalog(FRAMEWORK, [
    { controlId: "1.5", checks: ["iam_root_mfa_enabled"] },
    { controlId: "2.1", checks: ["s3_bucket_public_access"] },
  ]);
  await bed.seed("COMPLIANCE", "frameworks", [catalog.framework]);
  await bed.seed("COMPLIANCE", "controls", catalog.controls);
  await bed.seed("COMPLIANCE", "control_mappings", catalog.mappings);
  for (const team of TEAMS) {
    const findings = Array.from({ length: 6 + teamIndex(team) * 3 }, (_, n) =>
      findingDoc(team, {
        account_id: providerIdOf(team, n % 3),
        check_id: n % 2 === 0 ? "iam_root_mfa_enabled" : "s3_bucket_public_access",
        check_title: `${team}: check ${n}`,
        status_extended: `${team}: detail ${n}`,
        resource_uid: `${team}:resource-${n}`,
        status: n % 3 === 0 ? "PASS" : "FAIL",
        last_seen_at: new Date(NOW.getTime() - (n % 10) * DAY_MS),
        muted: n % 7 === 6,
      }),
    );
    await bed.seed("CLOUD_SECURITY", "prowler_findings", findings);
    await bed.seed(
      "ORCHESTRATION",
      "scan_runs",
      Array.from({ length: teamIndex(team) + 1 }, (_, n) =>
        scanRunDoc(team, {
          account_id: providerIdOf(team, n % 3),
          created_at: new Date(NOW.getTime() - n * DAY_MS),
          error: n % 2 === 1 ? `${team}: timeout` : undefined,
        }),
      ).map((d) => Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined))),
    );
    for (let n = 0; n < 2; n++) {
      await bed.accounts.registerAccount(parseTeamId(team), {
        provider: "aws",
        accountId: providerIdOf(team, n),
        name: `${team}: seed ${n}`,
        credentials: credentials(),
      });
    }
    await bed.assessments.createAssessment(parseTeamId(team), {
      name: `${team}: seed review`,
      frameworkIds: [FRAMEWORK],
      frequency: "quarterly",
      startDate: "2024-04-01",
    });
  }
}, 90_000);

afterAll(async () => {
  await bed?.close();
});

describe(`tenant isolation over every service method (seed ${SEED})`, () => {
  it("the call table covers every public method of the five services", () => {
    expect(Object.keys(calls()).sort()).toEqual(publicMethods().sort());
  });

  it("random calls by five teams only ever see and change the caller's own data", async () => {
    const table = calls();
    const schedule = random.shuffle(Object.keys(table).flatMap((method) => Array.from({ length: CALLS_PER_METHOD }, () => method)));
    const problems: string[] = [];
    const outcomes = new Map<string, number>();
    let before = await snapshot();
    for (const [step, method] of schedule.entries()) {
      const team = random.pick(TEAMS);
      const pool = await pools();
      let result: unknown;
      try {
        result = await (table[method] as Call)(team, pool);
        outcomes.set("ok", (outcomes.get("ok") ?? 0) + 1);
      } catch (error) {
        const code = isCspmError(error) ? error.code : `raw:${String(error)}`;
        outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
        if (!["NOT_FOUND", "CONFLICT"].includes(code)) problems.push(`#${step} ${team} ${method}: unexpected ${code}`);
      }
      const where = `#${step} ${team} ${method}`;
      walk(result, (leaf, key) => {
        const fingerprint = /^(team_\d):/.exec(leaf);
        if (fingerprint && fingerprint[1] !== team) problems.push(`${where}: result holds ${fingerprint[1]}'s text in ${key}`);
        if (key === "team_id" && leaf !== team) problems.push(`${where}: result holds team_id ${leaf}`);
        if (/^[0-9a-f]{24}$/.test(leaf)) {
          for (const prefix of ["enhanced_cloud_accounts", "global_assessments", "assessment_evidence"]) {
            const owner = before.get(`${prefix}/${leaf}`)?.owner;
            if (owner !== undefined && owner !== team) problems.push(`${where}: result holds ${owner}'s ${prefix} id in ${key}`);
          }
        }
      });
      if (
        result !== undefined &&
        (method === "AggregationService.getDashboardSummary" || method === "AggregationService.getScanActivity")
      ) {
        const expected = await expectedFigures(team);
        const r = result as { totals: { findings?: number; runs?: number }; by_account: { account_id: string }[] };
        if (method === "AggregationService.getDashboardSummary" && r.totals.findings !== expected.findings) {
          problems.push(`${where}: counted ${r.totals.findings} findings, the team has ${expected.findings}`);
        }
        if (method === "AggregationService.getScanActivity" && r.totals.runs !== expected.runs)
          problems.push(`${where}: counted ${r.totals.runs} runs, the team has ${expected.runs}`);
        for (const row of r.by_account)
          if (!expected.accountIds.has(row.account_id)) problems.push(`${where}: by_account shows ${row.account_id}`);
      }
      const after = await snapshot();
      for (const [key, doc] of before) {
        const now = after.get(key);
        if (doc.owner !== team && now?.text !== doc.text)
          problems.push(`${where}: ${now === undefined ? "deleted" : "changed"} ${doc.owner}'s ${key}`);
        if (now !== undefined && now.owner !== doc.owner) problems.push(`${where}: ${key} changed owner`);
      }
      for (const [key, doc] of after)
        if (!before.has(key) && doc.owner !== team) problems.push(`${where}: created ${key} for ${doc.owner}`);
      before = after;
    }
    expect(problems).toEqual([]);
    // Both own and foreign targets were hit: successes and NOT_FOUNDs.
    expect(outcomes.get("ok") ?? 0).toBeGreaterThan(schedule.length / 3);
    expect(outcomes.get("NOT_FOUND") ?? 0).toBeGreaterThan(0);
  }, 180_000);

  it("afterwards every team is blind to, and cannot change, every other team's accounts and assessments", async () => {
    const leaks: string[] = [];
    const frozen = await snapshot();
    const notFound = async (what: string, attacker: Team, victim: Team, run: () => Promise<unknown>): Promise<void> => {
      try {
        await run();
        leaks.push(`${attacker} -> ${victim}: ${what} succeeded`);
      } catch (error) {
        if (!(isCspmError(error) && error.code === "NOT_FOUND"))
          leaks.push(`${attacker} -> ${victim}: ${what} answered ${isCspmError(error) ? error.code : String(error)}`);
      }
    };
    for (const attacker of TEAMS) {
      const ownAccounts = (await bed.accounts.listAccounts(parseTeamId(attacker), { limit: 1000 })).items;
      for (const item of ownAccounts) if (item.team_id !== attacker) leaks.push(`${attacker}: listAccounts shows ${item.team_id}`);
      for (const item of (await bed.assessments.listAssessments(parseTeamId(attacker), { limit: 1000 })).items)
        if (item.team_id !== attacker) leaks.push(`${attacker}: listAssessments shows ${item.team_id}`);
      for (const victim of TEAMS) {
        if (victim === attacker) continue;
        const accounts = (await rawDocs("CLOUD_SECURITY", "enhanced_cloud_accounts", { team_id: victim })).map((d) =>
          (d._id as ObjectId).toHexString(),
        );
        const assessments = (await rawDocs("ASSESSMENTS", "global_assessments", { team_id: victim })).map((d) =>
          (d._id as ObjectId).toHexString(),
        );
        expect(assessments.length).toBeGreaterThan(0);
        const resolved = await bed.accounts.resolveAccounts(parseTeamId(attacker), accounts);
        if (resolved.size > 0) leaks.push(`${attacker} -> ${victim}: resolveAccounts labelled ${resolved.size}`);
        for (const id of accounts.slice(0, 2)) {
          await notFound("getAccount", attacker, victim, () => bed.accounts.getAccount(parseTeamId(attacker), id));
          await notFound("updateAccount", attacker, victim, () =>
            bed.accounts.updateAccount(parseTeamId(attacker), id, { name: `${attacker}: stolen` }),
          );
          await notFound("deactivateAccount", attacker, victim, () => bed.accounts.deactivateAccount(parseTeamId(attacker), id));
          await notFound("rotateCredentials", attacker, victim, () =>
            bed.accounts.rotateCredentials(parseTeamId(attacker), id, credentials()),
          );
          await notFound("recordLastScan", attacker, victim, () =>
            bed.accounts.recordLastScan(parseTeamId(attacker), id, { status: "failed" }),
          );
          await notFound("deleteAccount", attacker, victim, () => bed.accounts.deleteAccount(parseTeamId(attacker), id));
        }
        for (const id of assessments.slice(0, 2)) {
          await notFound("getAssessment", attacker, victim, () => bed.assessments.getAssessment(parseTeamId(attacker), id));
          await notFound("refreshEvidence", attacker, victim, () => bed.assessments.refreshEvidence(parseTeamId(attacker), id));
          await notFound("transitionStatus", attacker, victim, () =>
            bed.assessments.transitionStatus(parseTeamId(attacker), id, "in_progress"),
          );
          await notFound("collectComprehensiveEvidence", attacker, victim, () =>
            bed.evidence.collectComprehensiveEvidence(parseTeamId(attacker), id),
          );
          await notFound("evaluateControls", attacker, victim, () => bed.integration.evaluateControls(parseTeamId(attacker), id));
          if ((await bed.evidence.getEvidence(parseTeamId(attacker), id)).length > 0)
            leaks.push(`${attacker} -> ${victim}: getEvidence returned evidence`);
        }
      }
      const figures = await expectedFigures(attacker);
      const summary = await bed.aggregation.getDashboardSummary(parseTeamId(attacker));
      if (summary.totals.findings !== figures.findings)
        leaks.push(`${attacker}: dashboard counts ${summary.totals.findings}, raw ${figures.findings}`);
      const activity = await bed.aggregation.getScanActivity(parseTeamId(attacker));
      if (activity.totals.runs !== figures.runs) leaks.push(`${attacker}: activity counts ${activity.totals.runs}, raw ${figures.runs}`);
    }
    expect(leaks).toEqual([]);
    expect(await snapshot()).toEqual(frozen);
  }, 120_000);

  it("after all of it, no credential is stored in plaintext (only as ciphertext)", async () => {
    const stored = await bed.dumpAll();
    const withCredentials = stored.filter((d) => d.collection === "enhanced_cloud_accounts" && d.doc.encrypted_credentials !== undefined);
    expect(withCredentials.length).toBeGreaterThan(5);
    expect(planted.length).toBeGreaterThan(10);
    expect(findSecretLeaks(storedDocumentTargets(stored), planted)).toEqual([]);
  });
});

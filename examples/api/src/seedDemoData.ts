import { parseTeamId } from "@cspm/repository";
import { createHash } from "node:crypto";
import { chmodSync, writeFileSync } from "node:fs";
import { CATALOG_FRAMEWORKS, generateSampleFindings, seededRandom, type CatalogProvider } from "@cspm-example/worker";
import { type CatalogueLoadResult, mapOcsfFinding } from "@cspm/ingest";
import { loadDemoComplianceCatalogue } from "./demoComplianceCatalogue";
import { SingleBar } from "cli-progress";
import { TOKENS, type ServiceContainer } from "@cspm/container";
import { systemActor } from "@cspm/identity";
import {
  AiModelRepository,
  AiRiskAssessmentRepository,
  ControlMappingRepository,
  ControlRepository,
  emptySeverityCounts,
  EuAiActComplianceRepository,
  FrameworkRepository,
  HeaderScanRepository,
  NucleiScanRepository,
  findingDerivedFields,
  ProwlerFindingRepository,
  ScanRunRepository,
  SecurityScoreRepository,
  SlaPolicyRepository,
  SslScanRepository,
  TeamRepository,
  VulnerabilityCatalogRepository,
  VulnerabilityOccurrenceRepository,
  type AiRiskTier,
  type DetectedOccurrence,
  type ProwlerFindingSchema,
  type Severity,
} from "@cspm/domain";
import type { RepositoryInput } from "@cspm/repository";
import { ObjectId } from "mongodb";

/** Options of `seedDemoData`. */
export interface DemoSeedOptions {
  /** Teams, 1–3 (default 3). */
  readonly teams?: number;
  /** Accounts per team, 1–8 (default 4; the providers rotate so every team has AWS, Azure and GCP from 3 on). */
  readonly accountsPerTeam?: number;
  /** Findings per account (default 2,500: 3 × 4 × 2,500 = 30,000). */
  readonly findingsPerAccount?: number;
  /** Create one assessment per team through the brief's flow (default true). */
  readonly assessments?: boolean;
  /** Create per team an owner member and two API keys, owner and viewer (default true); their tokens are in the result. */
  readonly apiKeys?: boolean;
  /** "Now" of the demo (default the current time). */
  readonly now?: Date;
  /** Progress lines and notices (default stderr); `null` for silence. */
  readonly output?: { write(text: string): unknown; readonly isTTY?: boolean } | null;
}

/** One seeded account. */
export interface SeededAccount {
  readonly id: string;
  readonly provider: CatalogProvider;
  readonly account_id: string;
  readonly name: string;
  readonly findings: number;
}

/** One seeded team. */
export interface SeededTeam {
  readonly team_id: string;
  readonly name: string;
  readonly slug: string;
  readonly accounts: readonly SeededAccount[];
  readonly assessment_id?: string;
  /** API key tokens of the team: one acting as owner, one as viewer (absent with `apiKeys: false`). Demo secrets. */
  readonly tokens?: { readonly owner: string; readonly viewer: string };
}

/** What `seedDemoData` wrote. */
export interface DemoSeedResult {
  readonly teams: readonly SeededTeam[];
  readonly findings: number;
  readonly scan_runs: number;
  readonly vulnerabilities: number;
  readonly ai_models: number;
  readonly frameworks: readonly string[];
  readonly duration_ms: number;
}

const DAY_MS = 86_400_000;
const TEAM_PROFILES = [
  { name: "Acme Retail", slug: "acme-retail", plan: "enterprise", targets: ["shop.acme-retail.example", "api.acme-retail.example"] },
  {
    name: "Globex Health",
    slug: "globex-health",
    plan: "business",
    targets: ["portal.globex-health.example", "fhir.globex-health.example"],
  },
  { name: "Initech Labs", slug: "initech-labs", plan: "startup", targets: ["app.initech-labs.example"] },
] as const;
const PROVIDER_ROTATION: readonly CatalogProvider[] = ["aws", "azure", "gcp", "aws", "azure", "gcp", "aws", "gcp"];
const PROVIDER_LABELS: Readonly<Record<CatalogProvider, string>> = { aws: "AWS", azure: "Azure", gcp: "GCP" };
const ENVIRONMENTS = ["prod", "staging", "data", "shared", "dev", "sandbox", "analytics", "security"];

/** A team's id: the hex of a deterministic ObjectId, so demo team ids are the same on every start. */
export function demoTeamId(slug: string): string {
  return createHash("sha256").update(`cspm-demo-team:${slug}`).digest("hex").slice(0, 24);
}

function accountIdFor(provider: CatalogProvider, slug: string, index: number): string {
  const hex = createHash("sha256").update(`${slug}|${provider}|${index}`).digest("hex");
  if (provider === "aws") return String((BigInt(`0x${hex.slice(0, 15)}`) % 900_000_000_000n) + 100_000_000_000n);
  if (provider === "azure")
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return `${slug.split("-")[0]}-${ENVIRONMENTS[index % ENVIRONMENTS.length]}-${(parseInt(hex.slice(0, 4), 16) % 9000) + 1000}`;
}

function credentialsFor(provider: CatalogProvider, accountId: string, slug: string): unknown {
  if (provider === "aws") return { role_arn: `arn:aws:iam::${accountId}:role/cspm-readonly-audit`, external_id: `cspm-${slug}` };
  if (provider === "azure") {
    const hex = createHash("sha256").update(`tenant|${slug}`).digest("hex");
    return {
      tenant_id: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-b${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
      client_id: accountId,
      client_secret: `demo~${hex.slice(0, 34)}`,
    };
  }
  return {
    type: "service_account",
    project_id: accountId,
    private_key_id: createHash("sha1").update(accountId).digest("hex"),
    private_key: "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC(demo key, not real)\n-----END PRIVATE KEY-----\n",
    client_email: `cspm-scanner@${accountId}.iam.gserviceaccount.com`,
    client_id: "104857600000000000001",
  };
}

const CVES: readonly {
  cve: string;
  component: string;
  version: string;
  fixed: string;
  severity: Severity;
  score: number;
  vector: string;
  cwe: string;
  kev: boolean;
  epss: number;
  title: string;
}[] = [
  {
    cve: "CVE-2021-44228",
    component: "log4j-core",
    version: "2.14.1",
    fixed: "2.17.1",
    severity: "critical",
    score: 10,
    vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
    cwe: "CWE-502",
    kev: true,
    epss: 0.975,
    title: "Apache Log4j2 JNDI remote code execution (Log4Shell)",
  },
  {
    cve: "CVE-2022-22965",
    component: "spring-beans",
    version: "5.3.17",
    fixed: "5.3.18",
    severity: "critical",
    score: 9.8,
    vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    cwe: "CWE-94",
    kev: true,
    epss: 0.974,
    title: "Spring Framework RCE via data binding (Spring4Shell)",
  },
  {
    cve: "CVE-2024-3094",
    component: "xz-utils",
    version: "5.6.0",
    fixed: "5.6.2",
    severity: "critical",
    score: 10,
    vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
    cwe: "CWE-506",
    kev: false,
    epss: 0.12,
    title: "Malicious code in xz/liblzma upstream tarballs",
  },
  {
    cve: "CVE-2023-46604",
    component: "activemq-client",
    version: "5.18.2",
    fixed: "5.18.3",
    severity: "critical",
    score: 9.8,
    vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    cwe: "CWE-502",
    kev: true,
    epss: 0.972,
    title: "Apache ActiveMQ OpenWire deserialization RCE",
  },
  {
    cve: "CVE-2022-42889",
    component: "commons-text",
    version: "1.9",
    fixed: "1.10.0",
    severity: "critical",
    score: 9.8,
    vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    cwe: "CWE-94",
    kev: false,
    epss: 0.971,
    title: "Apache Commons Text variable interpolation RCE (Text4Shell)",
  },
  {
    cve: "CVE-2023-45853",
    component: "zlib",
    version: "1.2.13",
    fixed: "1.3.1",
    severity: "critical",
    score: 9.8,
    vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    cwe: "CWE-190",
    kev: false,
    epss: 0.004,
    title: "zlib MiniZip integer overflow",
  },
  {
    cve: "CVE-2023-4863",
    component: "libwebp",
    version: "1.3.1",
    fixed: "1.3.2",
    severity: "high",
    score: 8.8,
    vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
    cwe: "CWE-787",
    kev: true,
    epss: 0.43,
    title: "libwebp heap buffer overflow",
  },
  {
    cve: "CVE-2023-44487",
    component: "golang.org/x/net",
    version: "0.15.0",
    fixed: "0.17.0",
    severity: "high",
    score: 7.5,
    vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
    cwe: "CWE-400",
    kev: true,
    epss: 0.82,
    title: "HTTP/2 Rapid Reset denial of service",
  },
  {
    cve: "CVE-2024-6387",
    component: "openssh-server",
    version: "9.6p1",
    fixed: "9.8p1",
    severity: "high",
    score: 8.1,
    vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
    cwe: "CWE-364",
    kev: false,
    epss: 0.39,
    title: "OpenSSH signal handler race (regreSSHion)",
  },
  {
    cve: "CVE-2022-3602",
    component: "openssl",
    version: "3.0.6",
    fixed: "3.0.7",
    severity: "high",
    score: 7.5,
    vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
    cwe: "CWE-787",
    kev: false,
    epss: 0.09,
    title: "OpenSSL X.509 email address buffer overflow",
  },
  {
    cve: "CVE-2022-1471",
    component: "snakeyaml",
    version: "1.33",
    fixed: "2.0",
    severity: "high",
    score: 8.3,
    vector: "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:L",
    cwe: "CWE-502",
    kev: false,
    epss: 0.6,
    title: "SnakeYAML constructor deserialization",
  },
  {
    cve: "CVE-2023-38545",
    component: "curl",
    version: "8.3.0",
    fixed: "8.4.0",
    severity: "high",
    score: 8.8,
    vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
    cwe: "CWE-787",
    kev: false,
    epss: 0.2,
    title: "curl SOCKS5 heap buffer overflow",
  },
  {
    cve: "CVE-2023-2650",
    component: "openssl",
    version: "3.0.8",
    fixed: "3.0.9",
    severity: "medium",
    score: 6.5,
    vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
    cwe: "CWE-770",
    kev: false,
    epss: 0.01,
    title: "OpenSSL OBJ_obj2txt excessive resource use",
  },
  {
    cve: "CVE-2023-32681",
    component: "requests",
    version: "2.30.0",
    fixed: "2.31.0",
    severity: "medium",
    score: 6.1,
    vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N",
    cwe: "CWE-200",
    kev: false,
    epss: 0.01,
    title: "Requests leaks Proxy-Authorization header",
  },
  {
    cve: "CVE-2022-40897",
    component: "setuptools",
    version: "65.5.0",
    fixed: "65.5.1",
    severity: "medium",
    score: 5.9,
    vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H",
    cwe: "CWE-1333",
    kev: false,
    epss: 0.005,
    title: "setuptools ReDoS in package_index",
  },
  {
    cve: "CVE-2020-8908",
    component: "guava",
    version: "29.0-jre",
    fixed: "32.0.0-jre",
    severity: "low",
    score: 3.3,
    vector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N",
    cwe: "CWE-732",
    kev: false,
    epss: 0.001,
    title: "Guava temp directory permissions",
  },
];

const AI_MODELS: readonly {
  name: string;
  model_version: string;
  provider: string;
  purpose: string;
  tier: AiRiskTier;
  status: "proposed" | "in_review" | "approved" | "deployed";
  score: number;
  findings: { category: string; title: string; severity: Severity }[];
}[] = [
  {
    name: "support-assistant",
    model_version: "gpt-4o-2024-08-06",
    provider: "openai",
    purpose: "Drafts answers to customer support tickets for agent review.",
    tier: "limited",
    status: "deployed",
    score: 38,
    findings: [
      { category: "transparency", title: "Customers are not told replies are AI-drafted", severity: "medium" },
      { category: "robustness", title: "Prompt injection through ticket attachments", severity: "high" },
    ],
  },
  {
    name: "fraud-scoring",
    model_version: "3.2.0",
    provider: "internal",
    purpose: "Scores card transactions for fraud before authorisation.",
    tier: "high",
    status: "deployed",
    score: 64,
    findings: [
      { category: "bias", title: "Higher false-positive rate for foreign cards", severity: "high" },
      { category: "human_oversight", title: "No documented override procedure", severity: "medium" },
    ],
  },
  {
    name: "resume-screener",
    model_version: "1.4.1",
    provider: "vendor-hirewise",
    purpose: "Ranks job applications for recruiters.",
    tier: "high",
    status: "in_review",
    score: 81,
    findings: [
      { category: "bias", title: "Gender-correlated features in ranking", severity: "critical" },
      { category: "data_governance", title: "Training data provenance undocumented", severity: "high" },
    ],
  },
  {
    name: "code-review-copilot",
    model_version: "claude-3-5-sonnet",
    provider: "anthropic",
    purpose: "Suggests review comments on internal pull requests.",
    tier: "minimal",
    status: "approved",
    score: 12,
    findings: [{ category: "confidentiality", title: "Source code leaves the company boundary", severity: "low" }],
  },
  {
    name: "kyc-face-match",
    model_version: "2.0.0",
    provider: "vendor-idverse",
    purpose: "Matches selfies to identity documents during onboarding.",
    tier: "high",
    status: "proposed",
    score: 72,
    findings: [{ category: "accuracy", title: "Lower match accuracy on darker skin tones", severity: "high" }],
  },
];

/** True when the database holds no team and no account yet: the seed only ever writes into an empty database. */
export async function isDemoDatabaseEmpty(services: ServiceContainer): Promise<boolean> {
  const teams = await services.resolve(TeamRepository).shared().count({});
  if (teams > 0) return false;
  const accounts = await services
    .resolve(TOKENS.DatabaseManager)
    .getCollection("CLOUD_SECURITY", "enhanced_cloud_accounts")
    .estimatedDocumentCount();
  return accounts === 0;
}

/**
 * Writes the compliance catalogue through `@cspm/ingest`'s `loadComplianceCatalogue` (the one loader): the
 * Prowler catalogues of `$CSPM_COMPLIANCE_DIR` when set, else the demo's built-in subset
 * (`demoComplianceCatalogue.ts`). Returns what was loaded.
 */
async function seedComplianceCatalog(services: ServiceContainer): Promise<CatalogueLoadResult[]> {
  return loadDemoComplianceCatalogue({
    frameworks: services.resolve(FrameworkRepository),
    controls: services.resolve(ControlRepository),
    mappings: services.resolve(ControlMappingRepository),
  });
}

/** The framework ids an assessment of accounts of `providers` covers: the loaded frameworks of those providers the generator maps to. */
function assessmentFrameworkIds(catalogue: readonly CatalogueLoadResult[], providers: ReadonlySet<string>): string[] {
  const keys = new Set(CATALOG_FRAMEWORKS.map((f) => `${f.provider}|${f.key}`));
  const ofProviders = catalogue.filter((c) => providers.has(c.provider));
  const mapped = ofProviders.filter((c) => keys.has(`${c.provider}|${c.compliance_key}`));
  return [...new Set((mapped.length > 0 ? mapped : ofProviders).map((c) => c.framework_id))];
}

/**
 * Seeds a realistic demo into an EMPTY database (`isDemoDatabaseEmpty`): compliance catalogue, teams with
 * AWS/Azure/GCP accounts, generated findings, scan runs, scores, vulnerabilities, AI inventory, native scans
 * and one assessment per team through the brief's flow (README "Run it"). Throws `CONFLICT` (not empty),
 * `VALIDATION_FAILED`, `UNAVAILABLE`.
 */
export async function seedDemoData(services: ServiceContainer, options: DemoSeedOptions = {}): Promise<DemoSeedResult> {
  const started = Date.now();
  const now = options.now ?? new Date();
  const teamCount = Math.min(Math.max(options.teams ?? 3, 1), TEAM_PROFILES.length);
  const accountsPerTeam = Math.min(Math.max(options.accountsPerTeam ?? 4, 1), PROVIDER_ROTATION.length);
  const findingsPerAccount = Math.max(options.findingsPerAccount ?? 2500, 0);
  const output = options.output === undefined ? process.stderr : options.output;
  const say = (line: string): void => {
    output?.write(`${line}\n`);
  };

  const accounts = services.resolve(TOKENS.CentralAccountService);
  const findingsRepo = services.resolve(ProwlerFindingRepository);
  const scanRuns = services.resolve(ScanRunRepository);
  const scores = services.resolve(SecurityScoreRepository);

  say("seeding the compliance catalogue (frameworks, controls, check mappings)…");
  const catalogue = await seedComplianceCatalog(services);
  const frameworks = catalogue.map((c) => c.framework_id);
  await services.resolve(VulnerabilityCatalogRepository).upsertEntries(
    CVES.map((c) => ({
      cve_id: c.cve,
      description: c.title,
      cwe_ids: [c.cwe],
      cvss: { score: c.score, vector: c.vector, version: "3.1" as const },
      epss: { score: c.epss, percentile: Math.min(0.999, c.epss + 0.02) },
      severity: c.severity,
      known_exploited: c.kev,
      ...(c.kev ? { kev_added_at: new Date(now.getTime() - 400 * DAY_MS) } : {}),
      published_at: new Date(now.getTime() - 600 * DAY_MS),
      references: [`https://nvd.nist.gov/vuln/detail/${c.cve}`],
    })),
  );

  const totalFindings = teamCount * accountsPerTeam * findingsPerAccount;
  // A progress bar on a terminal only (cli-progress); logs get the summary line alone.
  const bar =
    output?.isTTY === true
      ? new SingleBar({
          format: "findings [{bar}] {percentage}% | {value}/{total}",
          stream: output as NodeJS.WritableStream,
          hideCursor: true,
        })
      : undefined;
  bar?.start(totalFindings, 0);
  let findingsWritten = 0;
  let runsWritten = 0;
  let vulnerabilities = 0;
  let models = 0;
  const teams: SeededTeam[] = [];

  for (const profile of TEAM_PROFILES.slice(0, teamCount)) {
    const teamId = demoTeamId(profile.slug);
    await services
      .resolve(TeamRepository)
      .create({ _id: new ObjectId(teamId), name: profile.name, slug: profile.slug, status: "active", plan: profile.plan });
    const seeded: SeededAccount[] = [];
    for (let a = 0; a < accountsPerTeam; a++) {
      const provider = PROVIDER_ROTATION[a] as CatalogProvider;
      const env = ENVIRONMENTS[a % ENVIRONMENTS.length] as string;
      const accountId = accountIdFor(provider, profile.slug, a);
      const name = `${profile.name} ${PROVIDER_LABELS[provider]} ${env}`;
      const view = await accounts.registerAccount(parseTeamId(teamId), {
        provider,
        accountId,
        name,
        credentials: credentialsFor(provider, accountId, profile.slug),
        regions:
          provider === "aws"
            ? ["us-east-1", "eu-west-1"]
            : provider === "azure"
              ? ["westeurope", "eastus"]
              : ["europe-west1", "us-central1"],
        tags: [
          { key: "env", value: env },
          { key: "owner", value: `${profile.slug}-platform` },
        ],
        status: "active",
      });

      // Scan history: weekly runs, the latest holding the findings below.
      const runIds: string[] = [];
      for (const daysAgo of [28, 21, 14, 7]) {
        const at = new Date(now.getTime() - daysAgo * DAY_MS);
        const run = await scanRuns.create(teamId, { account_id: accountId, provider, scanner: "prowler", requested_by: "scheduler" });
        await scanRuns.start(teamId, run._id, at);
        if (a === 1 && daysAgo === 7)
          await scanRuns.fail(
            teamId,
            run._id,
            "AccessDenied: sts:AssumeRole was refused for the audit role (credentials rotated?)",
            new Date(at.getTime() + 40_000),
          );
        else
          await scanRuns.complete(
            teamId,
            run._id,
            {
              findings: Math.round(findingsPerAccount * (1 - daysAgo / 200)),
              passed: Math.round(findingsPerAccount * 0.7),
              failed: Math.round(findingsPerAccount * 0.28),
            },
            new Date(at.getTime() + 9 * 60_000),
          );
        runIds.push(run._id.toHexString());
      }
      const latest = await scanRuns.create(teamId, { account_id: accountId, provider, scanner: "prowler", requested_by: "scheduler" });
      const latestAt = new Date(now.getTime() - 2 * 3_600_000);
      await scanRuns.start(teamId, latest._id, latestAt);
      const latestId = latest._id.toHexString();
      runsWritten += 5;

      // Findings: the generator's realistic sample of this account, through the worker's mapper.
      const rng = seededRandom(`${teamId}|${accountId}|seen`);
      const counts = { passed: 0, failed: 0, muted: 0, bySeverity: emptySeverityCounts() };
      let batch: RepositoryInput<typeof ProwlerFindingSchema>[] = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        await findingsRepo.forTeam(teamId).insertMany(batch);
        findingsWritten += batch.length;
        bar?.update(findingsWritten);
        batch = [];
      };
      for (const element of generateSampleFindings({
        format: "ocsf",
        count: findingsPerAccount,
        provider,
        accountId,
        accountName: name,
        scanTime: latestAt,
        seed: profile.slug,
      })) {
        const mapped = mapOcsfFinding(element, { account: accountId });
        if (!mapped.ok) continue;
        const { muted, ...finding } = mapped.finding;
        // Most findings were seen by the latest scan; the rest last showed up earlier (fixed or gone since).
        const lastSeen = rng.next() < 0.75 ? latestAt : new Date(now.getTime() - rng.int(1, 29) * DAY_MS - rng.int(0, 86_399_999));
        const firstSeen = new Date(lastSeen.getTime() - rng.int(0, 90) * DAY_MS);
        batch.push({
          ...finding,
          ...findingDerivedFields(finding),
          state: "open",
          scan_id: latestId,
          muted: muted === true,
          first_seen_at: firstSeen,
          last_seen_at: lastSeen,
        });
        if (finding.status === "PASS") counts.passed += 1;
        if (finding.status === "FAIL") {
          counts.failed += 1;
          counts.bySeverity[finding.severity] += 1;
        }
        if (muted === true) counts.muted += 1;
        if (batch.length >= 1000) await flush();
      }
      await flush();

      if (a === accountsPerTeam - 1 && accountsPerTeam > 1) {
        // Leave the last account's newest scan running, as a live dashboard would show it.
        await accounts.recordLastScan(parseTeamId(teamId), view.id, { status: "running", at: latestAt });
      } else {
        await scanRuns.complete(
          teamId,
          latestId,
          { findings: findingsPerAccount, passed: counts.passed, failed: counts.failed },
          new Date(latestAt.getTime() + 11 * 60_000),
        );
        await accounts.recordLastScan(parseTeamId(teamId), view.id, {
          status: "completed",
          at: new Date(latestAt.getTime() + 11 * 60_000),
        });
      }
      const score =
        counts.passed + counts.failed === 0 ? 100 : Math.round((counts.passed / (counts.passed + counts.failed)) * 10_000) / 100;
      for (const [daysAgo, delta] of [
        [28, -9],
        [14, -4],
        [0, 0],
      ] as const) {
        await scores.record(teamId, {
          account_id: accountId,
          provider,
          ...(daysAgo === 0 ? { scan_id: latestId } : { scan_id: runIds[0] as string }),
          score: Math.max(0, Math.min(100, score + delta)),
          passed: counts.passed,
          failed: counts.failed,
          muted: counts.muted,
          failed_by_severity: counts.bySeverity,
          computed_at: new Date(now.getTime() - daysAgo * DAY_MS),
        });
      }
      seeded.push({ id: view.id, provider, account_id: accountId, name, findings: findingsPerAccount });
    }

    vulnerabilities += await seedVulnerabilities(services, teamId, seeded, now);
    models += await seedAiGovernance(services, teamId, now);
    await seedNativeScans(services, teamId, profile.targets, now);

    let assessmentId: string | undefined;
    if (options.assessments !== false) {
      const frameworkIds = assessmentFrameworkIds(catalogue, new Set(seeded.map((a) => a.provider)));
      const start = new Date(Date.UTC(now.getUTCFullYear(), Math.floor(now.getUTCMonth() / 3) * 3, 1));
      const assessment = await services.resolve(TOKENS.GlobalAssessmentService).createAssessment(parseTeamId(teamId), {
        name: `Q${Math.floor(now.getUTCMonth() / 3) + 1} ${now.getUTCFullYear()} cloud compliance review`,
        frameworkIds,
        frequency: "quarterly",
        startDate: start,
        owner: `secops@${profile.slug}.example`,
      });
      assessmentId = assessment.id;
    }
    let tokens: SeededTeam["tokens"];
    if (options.apiKeys !== false) {
      // Through the actor-bound services, so the keys' creation is in the team's audit log (actor: demo-seed).
      const seeder = services.forActor(systemActor(parseTeamId(teamId), "demo-seed"), { requestId: `seed-${profile.slug}` });
      await seeder.members.addMember(parseTeamId(teamId), {
        email: `owner@${profile.slug}.example`,
        name: `${profile.name} owner`,
        role: "owner",
      });
      const owner = await seeder.apiKeys.createKey(parseTeamId(teamId), { name: "demo owner key", role: "owner" });
      const viewer = await seeder.apiKeys.createKey(parseTeamId(teamId), { name: "demo viewer key", role: "viewer" });
      tokens = { owner: owner.token, viewer: viewer.token };
    }
    teams.push({
      team_id: teamId,
      name: profile.name,
      slug: profile.slug,
      accounts: seeded,
      ...(assessmentId === undefined ? {} : { assessment_id: assessmentId }),
      ...(tokens === undefined ? {} : { tokens }),
    });
  }
  bar?.update(findingsWritten);
  bar?.stop();
  // The seed wrote past the services' caches; start every dashboard fresh.
  for (const team of teams) await services.resolve(TOKENS.AggregationService).invalidate(parseTeamId(team.team_id));
  return {
    teams,
    findings: findingsWritten,
    scan_runs: runsWritten,
    vulnerabilities,
    ai_models: models,
    frameworks,
    duration_ms: Date.now() - started,
  };
}

async function seedVulnerabilities(
  services: ServiceContainer,
  teamId: string,
  seeded: readonly SeededAccount[],
  now: Date,
): Promise<number> {
  const policies = services.resolve(SlaPolicyRepository);
  const policy = await policies.create(teamId, {
    name: "Default remediation SLA",
    description: "Critical 7 days, high 30, medium 90, low 180.",
    days: { critical: 7, high: 30, medium: 90, low: 180, informational: 365 },
  });
  await policies.setDefault(teamId, policy._id);
  const rng = seededRandom(`${teamId}|vulns`);
  const detections: { detection: DetectedOccurrence; seenDaysAgo: number }[] = [];
  for (const account of seeded) {
    for (let host = 0; host < 6; host++) {
      const asset =
        account.provider === "aws"
          ? `arn:aws:ec2:us-east-1:${account.account_id}:instance/i-0${rng.hex(16)}`
          : account.provider === "azure"
            ? `/subscriptions/${account.account_id}/resourceGroups/rg-apps/providers/Microsoft.Compute/virtualMachines/vm-app-${host}`
            : `projects/${account.account_id}/zones/europe-west1-b/instances/web-${host}`;
      for (const cve of CVES) {
        if (rng.next() > 0.35) continue;
        detections.push({
          seenDaysAgo: rng.pick([60, 45, 20, 9, 3, 1]),
          detection: {
            cve_id: cve.cve,
            cwe_ids: [cve.cwe],
            title: cve.title,
            cvss: { score: cve.score, vector: cve.vector, version: "3.1" },
            epss: { score: cve.epss, percentile: Math.min(0.999, cve.epss + 0.02) },
            known_exploited: cve.kev,
            asset_id: asset,
            asset_type: account.provider === "aws" ? "AwsEc2Instance" : account.provider === "azure" ? "AzureVirtualMachine" : "VMInstance",
            component_name: cve.component,
            component_version: cve.version,
            fixed_version: cve.fixed,
            severity: cve.severity,
            source: rng.pick(["trivy", "grype", "inspector"]),
          },
        });
      }
    }
  }
  const repo = services.resolve(VulnerabilityOccurrenceRepository);
  for (const daysAgo of [60, 45, 20, 9, 3, 1]) {
    const group = detections.filter((d) => d.seenDaysAgo === daysAgo).map((d) => d.detection);
    if (group.length > 0) await repo.upsertOccurrences(teamId, group, { seenAt: new Date(now.getTime() - daysAgo * DAY_MS), policy });
  }
  // A few were fixed, one risk accepted.
  const open = await repo.forTeam(teamId).findMany({ status: "open" }, { sort: { _id: 1 }, limit: 12 });
  for (const [i, occurrence] of open.entries()) {
    if (i % 4 === 0)
      await repo.setStatus(teamId, occurrence._id, "mitigated", {
        reason: "Patched in the monthly image rebuild",
        at: new Date(now.getTime() - DAY_MS),
      });
    else if (i === 5)
      await repo.setStatus(teamId, occurrence._id, "accepted", {
        reason: "Not reachable: internal batch host, compensating controls documented",
      });
  }
  return detections.length;
}

async function seedAiGovernance(services: ServiceContainer, teamId: string, now: Date): Promise<number> {
  const models = services.resolve(AiModelRepository);
  const assessments = services.resolve(AiRiskAssessmentRepository);
  const aiAct = services.resolve(EuAiActComplianceRepository);
  for (const model of AI_MODELS) {
    const stored = await models.register(teamId, {
      name: model.name,
      model_version: model.model_version,
      provider: model.provider,
      intended_purpose: model.purpose,
      risk_tier: model.tier,
      status: model.status,
      owner: "ml-governance@example.com",
    });
    const modelId = stored._id.toHexString();
    await assessments.record(teamId, {
      model_id: modelId,
      risk_tier: model.tier,
      score: model.score,
      findings: model.findings,
      assessed_at: new Date(now.getTime() - 12 * DAY_MS),
      assessor: "risk-office@example.com",
    });
    if (model.tier === "high") {
      await aiAct.upsertForModel(teamId, {
        model_id: modelId,
        risk_tier: model.tier,
        obligations: [
          { obligation_id: "art_9", title: "Risk management system", status: "in_progress" },
          { obligation_id: "art_10", title: "Data and data governance", status: model.status === "deployed" ? "met" : "not_started" },
          { obligation_id: "art_13", title: "Transparency and provision of information to deployers", status: "in_progress" },
          { obligation_id: "art_14", title: "Human oversight", status: model.status === "deployed" ? "in_progress" : "not_started" },
        ],
      });
    }
  }
  return AI_MODELS.length;
}

async function seedNativeScans(services: ServiceContainer, teamId: string, targets: readonly string[], now: Date): Promise<void> {
  const scannedAt = new Date(now.getTime() - DAY_MS);
  for (const [i, host] of targets.entries()) {
    await services.resolve(NucleiScanRepository).recordMatches(teamId, [
      {
        scan_id: `nuclei-${i}`,
        target: `https://${host}`,
        scanned_at: scannedAt,
        template_id: "CVE-2021-44228",
        name: "Apache Log4j2 Remote Code Injection",
        severity: "critical",
        type: "http",
        matched_at: `https://${host}/api/login`,
        tags: ["cve", "rce", "log4j", "kev"],
        classification: { cve_ids: ["CVE-2021-44228"], cwe_ids: ["CWE-502"], cvss_score: 10 },
      },
      {
        scan_id: `nuclei-${i}`,
        target: `https://${host}`,
        scanned_at: scannedAt,
        template_id: "git-config",
        name: "Git Configuration - Detect",
        severity: "medium",
        type: "http",
        matched_at: `https://${host}/.git/config`,
        tags: ["config", "git", "exposure"],
      },
      {
        scan_id: `nuclei-${i}`,
        target: `https://${host}`,
        scanned_at: scannedAt,
        template_id: "tech-detect",
        name: "Wappalyzer Technology Detection",
        severity: "informational",
        type: "http",
        matched_at: `https://${host}`,
        tags: ["tech"],
      },
    ]);
    await services.resolve(SslScanRepository).record(teamId, {
      target: host,
      port: 443,
      scanned_at: scannedAt,
      protocols: i === 0 ? ["TLSv1.2", "TLSv1.3"] : ["TLSv1.0", "TLSv1.2"],
      certificate: {
        subject: `CN=${host}`,
        issuer: "CN=R11,O=Let's Encrypt,C=US",
        subject_alt_names: [host],
        not_before: new Date(now.getTime() - 70 * DAY_MS),
        not_after: new Date(now.getTime() + (i === 0 ? 20 : 6) * DAY_MS),
        self_signed: false,
        key_bits: 2048,
      },
      issues:
        i === 0
          ? []
          : [
              { code: "weak_protocol", severity: "medium", message: "TLS 1.0 is enabled." },
              { code: "certificate_expiring", severity: "high", message: "The certificate expires in 6 days." },
            ],
      grade: i === 0 ? "A" : "C",
    });
    await services.resolve(HeaderScanRepository).record(teamId, {
      target: `https://${host}/`,
      scanned_at: scannedAt,
      status_code: 200,
      present_headers: ["strict-transport-security", "x-content-type-options"],
      missing_headers: i === 0 ? ["content-security-policy"] : ["content-security-policy", "x-frame-options", "referrer-policy"],
      score: i === 0 ? 75 : 40,
      grade: i === 0 ? "B" : "D",
    });
  }
}

/**
 * Writes the seeded teams' API keys as `{"teams":[{"team_id","name","tokens":{"owner","viewer"}}]}` to `path`
 * with mode 0600 (readable by this user only; an existing file is narrowed to 0600 too), for scripts and
 * tests that talk to the demo. Demo secrets only. Throws the file system's error.
 */
export function writeDemoCredentials(path: string, seed: Pick<DemoSeedResult, "teams">): void {
  const content = { teams: seed.teams.map((t) => ({ team_id: t.team_id, name: t.name, tokens: t.tokens })) };
  writeFileSync(path, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

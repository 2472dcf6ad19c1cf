import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { isCspmError, ValidationError } from "@cspm/errors";
import {
  accountResource,
  CATALOG_PROVIDERS,
  CATALOG_REGIONS,
  CHECK_CATALOG,
  poolResource,
  regionResource,
  type CatalogCheck,
  type CatalogProvider,
  type CatalogResource,
} from "./checkCatalog";
import { seededRandom } from "./seededRandom";

/** The sample formats: Prowler's native JSON (`prowler-json` in `@cspm/ingest`) or its OCSF JSON (`prowler-ocsf`). */
export type SampleFormat = "prowler" | "ocsf";

/** Options of the sample generator. */
export interface SampleOptions {
  readonly format: SampleFormat;
  /** How many findings, 0–1,000,000. */
  readonly count: number;
  /** Default `aws`. */
  readonly provider?: CatalogProvider;
  /** The account the findings belong to; default `DEFAULT_SAMPLE_ACCOUNTS[provider]`. */
  readonly accountId?: string;
  /** Shown as the account name in OCSF output. */
  readonly accountName?: string;
  /** The scan time written into every finding; default now. */
  readonly scanTime?: Date;
  /**
   * Varies which resources fail (default `""`). Resources themselves depend only on the account, so the
   * same account and count always describe the same resources and re-imports upsert onto them.
   */
  readonly seed?: string;
}

/** A valid account id per provider for samples. */
export const DEFAULT_SAMPLE_ACCOUNTS: Readonly<Record<CatalogProvider, string>> = {
  aws: "123456789012",
  azure: "8f4e2c1a-6b3d-4e5f-9a7b-2c1d0e9f8a7b",
  gcp: "acme-prod-4821",
};

/** How many resources of a type a round adds, relative to one (volumes outnumber clusters). */
const RESOURCE_WEIGHTS: Readonly<Record<string, number>> = {
  AwsEc2Volume: 4,
  AwsEc2Instance: 3,
  AwsEc2SecurityGroup: 3,
  AwsIamUser: 2,
  AwsS3Bucket: 2,
  AwsEc2Snapshot: 2,
  AwsLambdaFunction: 1.5,
  AwsEc2Vpc: 0.5,
  AwsKmsKey: 0.5,
  AwsRdsDbInstance: 0.5,
  AwsElbv2LoadBalancer: 0.5,
  AwsEksCluster: 0.2,
  AzureVirtualMachine: 3,
  AzureStorageAccount: 2,
  AzureNetworkSecurityGroup: 2,
  AzureSqlServer: 0.5,
  AzureKeyVault: 0.7,
  AzureKubernetesCluster: 0.2,
  AzureCosmosDbAccount: 0.3,
  VMInstance: 3,
  FirewallRule: 2,
  Bucket: 2,
  DatabaseInstance: 0.5,
  CryptoKey: 0.5,
  Dataset: 0.7,
  ManagedZone: 0.3,
  Cluster: 0.2,
};

/** One planned result: a check on a resource. */
export interface PlannedCheck {
  readonly check: CatalogCheck;
  readonly resource: CatalogResource;
}

/**
 * The (check, resource) pairs a scan of `accountId` reports, in a fixed order, without duplicates:
 * account-level checks once, region-level checks once per region, then rounds over the resource types in
 * proportion to `RESOURCE_WEIGHTS`, each resource evaluated by every check of its type. Infinite; take what you need.
 */
export function* planChecks(provider: CatalogProvider, accountId: string): Generator<PlannedCheck> {
  const checks = CHECK_CATALOG[provider];
  for (const check of checks.filter((c) => c.scope === "account")) yield { check, resource: accountResource(provider, accountId) };
  for (const region of CATALOG_REGIONS[provider]) {
    for (const check of checks.filter((c) => c.scope === "region")) yield { check, resource: regionResource(check, accountId, region) };
  }
  const byType = new Map<string, CatalogCheck[]>();
  for (const check of checks.filter((c) => c.scope === "resource"))
    byType.set(check.resourceType, [...(byType.get(check.resourceType) ?? []), check]);
  const types = [...byType.keys()];
  for (let round = 0; ; round++) {
    for (const type of types) {
      const weight = RESOURCE_WEIGHTS[type] ?? 1;
      for (let index = Math.floor(round * weight); index < Math.floor((round + 1) * weight); index++) {
        const resource = poolResource(provider, type, accountId, index);
        for (const check of byType.get(type) ?? []) yield { check, resource };
      }
    }
  }
}

/** The deterministic outcome of a check on a resource. */
export function outcomeOf(planned: PlannedCheck, accountId: string, seed = ""): { status: "PASS" | "FAIL" | "MANUAL"; muted: boolean } {
  if (planned.check.manual) return { status: "MANUAL", muted: false };
  const rng = seededRandom(`${seed}|${accountId}|${planned.check.checkId}|${planned.resource.uid}|${planned.resource.region}`);
  const status = rng.next() < planned.check.failRate ? "FAIL" : "PASS";
  return { status, muted: status === "FAIL" && rng.next() < 0.015 };
}

function fill(template: string, resource: CatalogResource, accountId: string): string {
  return template
    .replaceAll("{name}", resource.name === "<root_account>" ? accountId : resource.name)
    .replaceAll("{region}", resource.region);
}

const SEVERITY_IDS = { informational: 1, low: 2, medium: 3, high: 4, critical: 5 } as const;
const CHECK_TYPES: Readonly<Record<string, string>> = {
  iam: "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark",
  defender: "Software and Configuration Checks/Vulnerabilities",
};

function hubUrl(checkId: string): string {
  return `https://hub.prowler.com/check/${checkId}`;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function prowlerElement(
  planned: PlannedCheck,
  provider: CatalogProvider,
  accountId: string,
  time: string,
  seed: string,
): Record<string, unknown> {
  const { check, resource } = planned;
  const { status, muted } = outcomeOf(planned, accountId, seed);
  const statusExtended = fill(status === "FAIL" ? check.failText : check.passText, resource, accountId);
  const accountField =
    provider === "aws"
      ? { AccountId: accountId, Profile: "default", OrganizationsInfo: null }
      : provider === "azure"
        ? { Subscription: accountId, Tenant_Domain: "acme.onmicrosoft.com" }
        : { ProjectId: accountId };
  const location = provider === "aws" ? { Region: resource.region } : { Location: resource.region };
  return {
    AssessmentStartTime: time,
    FindingUniqueId: `prowler-${provider}-${check.checkId}-${accountId}-${resource.region}-${resource.name}`,
    Provider: provider,
    ...accountField,
    ...location,
    CheckID: check.checkId,
    CheckTitle: check.title,
    CheckType: [CHECK_TYPES[check.service] ?? "Software and Configuration Checks"],
    ServiceName: check.service,
    SubServiceName: "",
    Status: status,
    StatusExtended: statusExtended,
    Muted: muted,
    Severity: check.severity,
    ResourceType: check.resourceType,
    ResourceDetails: "",
    ResourceId: resource.name,
    ...(provider === "aws" ? { ResourceArn: resource.uid } : { ResourceName: resource.name, ResourceUid: resource.uid }),
    ResourceTags: provider === "aws" ? Object.entries(resource.tags).map(([Key, Value]) => ({ Key, Value })) : { ...resource.tags },
    Description: check.title,
    Risk: `A resource failing "${check.title}" widens the attack surface of the ${check.service} service.`,
    RelatedUrl: hubUrl(check.checkId),
    Remediation: {
      Code: { NativeIaC: "", Terraform: "", CLI: "", Other: "" },
      Recommendation: { Text: `Follow the remediation for ${check.checkId}: ${check.title}.`, Url: hubUrl(check.checkId) },
    },
    Compliance: { ...check.compliance },
    Categories: [],
    DependsOn: [],
    RelatedTo: [],
    Notes: "",
  };
}

function ocsfElement(
  planned: PlannedCheck,
  provider: CatalogProvider,
  accountId: string,
  accountName: string,
  time: Date,
  seed: string,
): Record<string, unknown> {
  const { check, resource } = planned;
  const { status, muted } = outcomeOf(planned, accountId, seed);
  const statusDetail = fill(status === "FAIL" ? check.failText : check.passText, resource, accountId);
  const epoch = Math.floor(time.getTime() / 1000);
  const iso = time.toISOString();
  return {
    message: statusDetail,
    metadata: {
      event_code: check.checkId,
      product: { name: "Prowler", uid: "prowler", vendor_name: "Prowler", version: "5.4.0" },
      profiles: ["cloud", "datetime"],
      tenant_uid: "",
      version: "1.4.0",
    },
    severity_id: SEVERITY_IDS[check.severity],
    severity: capitalized(check.severity),
    status: muted ? "Suppressed" : "New",
    status_code: status,
    status_detail: statusDetail,
    status_id: muted ? 3 : 1,
    unmapped: {
      related_url: hubUrl(check.checkId),
      categories: [],
      depends_on: [],
      related_to: [],
      notes: "",
      compliance: { ...check.compliance },
    },
    activity_name: "Create",
    activity_id: 1,
    finding_info: {
      created_time: epoch,
      created_time_dt: iso,
      desc: check.title,
      product_uid: "prowler",
      title: check.title,
      types: [CHECK_TYPES[check.service] ?? "Software and Configuration Checks"],
      uid: `prowler-${provider}-${check.checkId}-${accountId}-${resource.region}-${resource.name}`,
    },
    resources: [
      {
        cloud_partition: provider === "aws" ? "aws" : provider,
        region: resource.region,
        data: { details: "", metadata: {} },
        group: { name: check.service },
        labels: Object.entries(resource.tags).map(([key, value]) => `${key}:${value}`),
        name: resource.name,
        type: check.resourceType,
        uid: resource.uid,
      },
    ],
    category_name: "Findings",
    category_uid: 2,
    class_name: "Detection Finding",
    class_uid: 2004,
    cloud: {
      account: {
        name: accountName,
        type: provider === "aws" ? "AWS Account" : provider === "azure" ? "Azure AD Account" : "GCP Account",
        type_id: provider === "aws" ? 10 : provider === "azure" ? 6 : 5,
        uid: accountId,
        labels: [],
      },
      org: { name: "", uid: "" },
      provider,
      region: resource.region,
    },
    remediation: { desc: `Follow the remediation for ${check.checkId}: ${check.title}.`, references: [hubUrl(check.checkId)] },
    risk_details: `A resource failing "${check.title}" widens the attack surface of the ${check.service} service.`,
    time: epoch,
    time_dt: iso,
    type_uid: 200401,
    type_name: "Detection Finding: Create",
  };
}

function checkedOptions(options: SampleOptions): Required<Omit<SampleOptions, "accountName">> & { accountName: string } {
  const provider = options.provider ?? "aws";
  const issues = [
    ...((CATALOG_PROVIDERS as readonly string[]).includes(provider) ? [] : [{ path: "provider", message: "must be aws, azure or gcp" }]),
    ...(options.format === "prowler" || options.format === "ocsf" ? [] : [{ path: "format", message: "must be prowler or ocsf" }]),
    ...(Number.isInteger(options.count) && options.count >= 0 && options.count <= 1_000_000
      ? []
      : [{ path: "count", message: "must be an integer from 0 to 1000000" }]),
  ];
  if (issues.length > 0) throw new ValidationError("Invalid sample options.", issues);
  const accountId = options.accountId ?? DEFAULT_SAMPLE_ACCOUNTS[provider];
  return {
    format: options.format,
    count: options.count,
    provider,
    accountId,
    accountName: options.accountName ?? `${provider}-${accountId}`,
    scanTime: options.scanTime ?? new Date(),
    seed: options.seed ?? "",
  };
}

/**
 * Yields `count` realistic Prowler findings (native JSON objects or OCSF Detection Findings) of one account:
 * real check ids, titles, services and severities, ARNs / Azure resource ids / GCP resource names spread
 * over the provider's regions, per-check failure rates, a few muted failures, MANUAL checks and compliance
 * maps. Deterministic for the same options. Throws `VALIDATION_FAILED` for bad options.
 */
export function* generateSampleFindings(options: SampleOptions): Generator<Record<string, unknown>> {
  const { format, count, provider, accountId, accountName, scanTime, seed } = checkedOptions(options);
  if (count === 0) return;
  const time = scanTime.toISOString();
  let produced = 0;
  for (const planned of planChecks(provider, accountId)) {
    yield format === "ocsf"
      ? ocsfElement(planned, provider, accountId, accountName, scanTime, seed)
      : prowlerElement(planned, provider, accountId, time, seed);
    produced += 1;
    if (produced >= count) return;
  }
}

/**
 * Writes a sample file (a JSON array, one finding per line) without building it in memory, honouring
 * back-pressure. Returns the findings and bytes written. Throws `VALIDATION_FAILED` (bad options, unwritable path).
 */
export async function writeSampleFile(
  path: string,
  options: SampleOptions,
  onProgress?: (written: number) => void,
): Promise<{ count: number; bytes: number }> {
  checkedOptions(options);
  try {
    return await writeElements(path, options, onProgress);
  } catch (error) {
    if (isCspmError(error)) throw error;
    throw new ValidationError(
      `Cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? "error"}).`,
      [{ path: "out", message: "must be a writable file path" }],
      { cause: error },
    );
  }
}

async function writeElements(
  path: string,
  options: SampleOptions,
  onProgress?: (written: number) => void,
): Promise<{ count: number; bytes: number }> {
  const out = createWriteStream(path, { encoding: "utf8" });
  const closed = new Promise<void>((resolve, reject) => {
    out.once("finish", resolve);
    out.once("error", reject);
  });
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, "drain");
  };
  let count = 0;
  await write("[\n");
  for (const element of generateSampleFindings(options)) {
    await write(`${count === 0 ? "" : ",\n"}${JSON.stringify(element)}`);
    count += 1;
    if (count % 1000 === 0) onProgress?.(count);
  }
  await write(count === 0 ? "]\n" : "\n]\n");
  out.end();
  await closed;
  onProgress?.(count);
  return { count, bytes: out.bytesWritten };
}

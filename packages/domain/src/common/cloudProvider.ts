import { ValidationError } from "@cspm/errors";
import { z } from "zod";

/** The cloud providers the platform scans. */
export const CLOUD_PROVIDERS = ["aws", "azure", "gcp", "kubernetes"] as const;

/** One of `CLOUD_PROVIDERS`. */
export const CloudProviderSchema = z.enum(CLOUD_PROVIDERS);

/** A cloud provider: `aws`, `azure`, `gcp` or `kubernetes`. */
export type CloudProvider = z.infer<typeof CloudProviderSchema>;

const AWS_ACCOUNT_ID = /^\d{12}$/;
const AZURE_SUBSCRIPTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GCP_PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function isDns1123Subdomain(value: string): boolean {
  return value.length > 0 && value.length <= 253 && value.split(".").every((label) => label.length <= 63 && DNS_1123_LABEL.test(label));
}

/** What each provider's account id looks like, for messages and docs. */
export const PROVIDER_ACCOUNT_ID_FORMATS: Readonly<Record<CloudProvider, string>> = {
  aws: "a 12-digit AWS account id",
  azure: "an Azure subscription id (GUID)",
  gcp: "a GCP project id (6-30 characters: lowercase letters, digits, '-'; starts with a letter, does not end with '-')",
  kubernetes: "a Kubernetes cluster name (DNS-1123 label or subdomain, at most 253 characters)",
};

/** Why `id` is not a valid account id for `provider`, or `undefined` when it is one (in canonical form). */
function accountIdProblem(provider: CloudProvider, id: string): string | undefined {
  const valid =
    provider === "aws"
      ? AWS_ACCOUNT_ID.test(id)
      : provider === "azure"
        ? AZURE_SUBSCRIPTION_ID.test(id)
        : provider === "gcp"
          ? GCP_PROJECT_ID.test(id)
          : isDns1123Subdomain(id);
  return valid ? undefined : `must be ${PROVIDER_ACCOUNT_ID_FORMATS[provider]}`;
}

/**
 * True when `id` is a well-formed account id for `provider` in canonical form (Azure GUIDs lowercase).
 * Never throws; an unknown provider is `false`.
 */
export function isValidProviderAccountId(provider: string, id: unknown): boolean {
  if (typeof id !== "string" || !CloudProviderSchema.safeParse(provider).success) return false;
  const p = provider as CloudProvider;
  return accountIdProblem(p, id) === undefined && normalizeAccountId(p, id) === id;
}

function normalizeAccountId(provider: CloudProvider, id: string): string {
  return provider === "azure" ? id.toLowerCase() : id;
}

/**
 * Checks a provider account id (AWS 12 digits, Azure subscription GUID, GCP project id, Kubernetes
 * DNS-1123 cluster name) and returns it in canonical form (surrounding whitespace trimmed, Azure GUIDs
 * lowercased). Throws `VALIDATION_FAILED` (paths `provider` / `account_id`).
 * @example validateProviderAccountId("aws", "123456789012") // "123456789012"
 */
export function validateProviderAccountId(provider: string, id: unknown): string {
  const parsedProvider = CloudProviderSchema.safeParse(provider);
  if (!parsedProvider.success) {
    throw new ValidationError(`Unknown cloud provider; expected one of ${CLOUD_PROVIDERS.join(", ")}.`, [
      { path: "provider", message: `must be one of ${CLOUD_PROVIDERS.join(", ")}` },
    ]);
  }
  const p = parsedProvider.data;
  const text = typeof id === "string" ? id.trim() : "";
  const problem = typeof id === "string" ? accountIdProblem(p, text) : "must be a string";
  if (problem !== undefined) {
    throw new ValidationError(`Invalid ${p} account id: ${problem}.`, [{ path: "account_id", message: problem }], {
      details: { provider: p },
    });
  }
  return normalizeAccountId(p, text);
}

/**
 * Adds a `account_id` issue to `ctx` unless `accountId` is a valid canonical id for `provider`.
 * For use in `superRefine` of schemas that carry both fields.
 */
export function checkProviderAccountId(provider: CloudProvider, accountId: string, ctx: z.RefinementCtx): void {
  if (!isValidProviderAccountId(provider, accountId)) {
    const problem = accountIdProblem(provider, accountId) ?? "must be in canonical form (lowercase)";
    ctx.addIssue({ code: "custom", path: ["account_id"], message: problem });
  }
}

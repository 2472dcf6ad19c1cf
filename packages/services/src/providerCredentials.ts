import { stringInput } from "@cspm/repository";
import type { CloudProvider } from "@cspm/domain";
import { ValidationError, issuesFromZod } from "@cspm/errors";
import { z } from "zod";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const secret = (max: number) => stringInput().min(1, "is required").max(max);

/** AWS access keys: `access_key_id` (AKIA…/ASIA…), `secret_access_key`, optional `session_token`. */
export const AwsAccessKeyCredentialsSchema = z.strictObject({
  access_key_id: z
    .string({ error: "must be a string" })
    .regex(/^(AKIA|ASIA)[A-Z0-9]{16}$/, "must be an AWS access key id (AKIA… or ASIA…, 20 characters)"),
  secret_access_key: stringInput().regex(/^[A-Za-z0-9/+=]{40}$/, "must be a 40-character AWS secret access key"),
  session_token: secret(4096).optional(),
});

/** An AWS cross-account role: `role_arn` (arn:aws:iam::<12 digits>:role/…) and the `external_id` it requires. */
export const AwsAssumeRoleCredentialsSchema = z.strictObject({
  role_arn: z
    .string({ error: "must be a string" })
    .regex(
      /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
      "must be an IAM role ARN such as arn:aws:iam::123456789012:role/cspm",
    ),
  external_id: z
    .string({ error: "must be a string" })
    .min(2, "must be 2-1224 characters")
    .max(1224, "must be 2-1224 characters")
    .regex(/^[\w+=,.@:/-]+$/, "may contain letters, digits and +=,.@:/-_ only"),
});

/** An Azure service principal: `tenant_id`, `client_id` (GUIDs) and `client_secret`. */
export const AzureCredentialsSchema = z.strictObject({
  tenant_id: stringInput().regex(GUID, "must be a GUID"),
  client_id: stringInput().regex(GUID, "must be a GUID"),
  client_secret: secret(1024),
});

/** A GCP service account key file (the JSON object Google issues), `type: "service_account"`. */
export const GcpServiceAccountCredentialsSchema = z.strictObject({
  type: z.literal("service_account", { error: 'must be "service_account"' }),
  project_id: stringInput().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "must be a GCP project id"),
  private_key_id: stringInput().regex(/^[0-9a-f]{8,64}$/i, "must be a hex key id"),
  private_key: z
    .string({ error: "must be a string" })
    .max(16_384)
    .refine((key) => key.includes("-----BEGIN PRIVATE KEY-----") && key.includes("-----END PRIVATE KEY-----"), "must be a PEM private key"),
  client_email: z.email({ error: "must be the service account's email" }),
  client_id: z
    .string()
    .regex(/^\d{1,32}$/, "must be a numeric client id")
    .optional(),
  // The other keys of a downloaded service-account key file; anything else is refused, not stored.
  auth_uri: z.url().max(2048).optional(),
  token_uri: z.url().max(2048).optional(),
  auth_provider_x509_cert_url: z.url().max(2048).optional(),
  client_x509_cert_url: z.url().max(2048).optional(),
  universe_domain: z
    .string()
    .regex(/^[a-z0-9.-]{1,253}$/, "must be a domain")
    .optional(),
});

/** Kubernetes access as a kubeconfig document (YAML or JSON text). */
export const KubeconfigCredentialsSchema = z.strictObject({
  kubeconfig: z
    .string({ error: "must be a string" })
    .min(1, "is required")
    .max(262_144)
    .refine((text) => /clusters/.test(text) && /(users|contexts)/.test(text), "must be a kubeconfig (with clusters and users/contexts)"),
});

/** Kubernetes access as an API server URL and a bearer token, optionally with the cluster CA (base64 PEM). */
export const KubernetesTokenCredentialsSchema = z.strictObject({
  server: z.url({ protocol: /^https$/, error: "must be an https:// API server URL" }),
  token: secret(16_384),
  certificate_authority_data: z
    .string()
    .max(65_536)
    .regex(/^[A-Za-z0-9+/=]+$/, "must be base64")
    .optional(),
});

/** The credential shapes each provider accepts. */
export const PROVIDER_CREDENTIAL_SHAPES: Readonly<Record<CloudProvider, readonly z.ZodType[]>> = Object.freeze({
  aws: [AwsAccessKeyCredentialsSchema, AwsAssumeRoleCredentialsSchema],
  azure: [AzureCredentialsSchema],
  gcp: [GcpServiceAccountCredentialsSchema],
  kubernetes: [KubeconfigCredentialsSchema, KubernetesTokenCredentialsSchema],
});

/** Credentials of one provider after validation. */
export type ProviderCredentials =
  | z.output<typeof AwsAccessKeyCredentialsSchema>
  | z.output<typeof AwsAssumeRoleCredentialsSchema>
  | z.output<typeof AzureCredentialsSchema>
  | z.output<typeof GcpServiceAccountCredentialsSchema>
  | z.output<typeof KubeconfigCredentialsSchema>
  | z.output<typeof KubernetesTokenCredentialsSchema>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Picks the one shape the input is meant to be, by its distinguishing key, so issues name real fields. */
function shapeFor(provider: CloudProvider, value: Record<string, unknown>): z.ZodType {
  switch (provider) {
    case "aws":
      return "role_arn" in value || "external_id" in value ? AwsAssumeRoleCredentialsSchema : AwsAccessKeyCredentialsSchema;
    case "azure":
      return AzureCredentialsSchema;
    case "gcp":
      return GcpServiceAccountCredentialsSchema;
    case "kubernetes":
      return "kubeconfig" in value ? KubeconfigCredentialsSchema : KubernetesTokenCredentialsSchema;
  }
}

/**
 * Checks credentials against the provider's shapes — aws: `access_key_id` + `secret_access_key`
 * (+ `session_token`) or `role_arn` + `external_id`; azure: `tenant_id` + `client_id` + `client_secret`;
 * gcp: a service account key object (or its JSON text); kubernetes: `kubeconfig` or `server` + `token`.
 * Throws `VALIDATION_FAILED` with paths under `credentials.`; messages never contain the values.
 */
export function parseProviderCredentials(provider: CloudProvider, credentials: unknown): ProviderCredentials {
  let value = credentials;
  if (provider === "gcp" && typeof value === "string") {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      throw new ValidationError("Invalid credentials: GCP credentials must be a service account key object or its JSON text.", [
        { path: "credentials", message: "must be a service account key (JSON)" },
      ]);
    }
  }
  if (!isRecord(value)) {
    throw new ValidationError(`Invalid credentials: ${provider} credentials must be an object.`, [
      { path: "credentials", message: "must be an object" },
    ]);
  }
  const result = shapeFor(provider, value).safeParse(value);
  if (result.success) return result.data as ProviderCredentials;
  const issues = issuesFromZod(result.error, "credentials", { secret: true });
  throw new ValidationError(`Invalid ${provider} credentials: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}.`, issues, {
    details: { provider },
  });
}

/**
 * The provider-independent check run before anything is read: credentials must be an object (or, for GCP,
 * JSON text) matching the shape of at least one provider. Lets `rotateCredentials` refuse an operator object
 * or a mistyped field before it looks the account up; the provider-specific check follows. Throws
 * `VALIDATION_FAILED` (issues under `credentials.`, never values or unknown key names).
 */
export function preflightCredentials(credentials: unknown): void {
  const providers = Object.keys(PROVIDER_CREDENTIAL_SHAPES) as CloudProvider[];
  let first: unknown;
  for (const provider of providers) {
    try {
      parseProviderCredentials(provider, credentials);
      return;
    } catch (error) {
      first ??= error;
    }
  }
  const issues = first instanceof ValidationError ? first.issues : [{ path: "credentials", message: "must be provider credentials" }];
  throw new ValidationError("Invalid credentials: they match no provider's credential shape.", issues);
}

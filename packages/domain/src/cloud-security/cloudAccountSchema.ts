import { z } from "zod";
import { checkProviderAccountId, CloudProviderSchema } from "../common/cloudProvider";
import { tenantDocumentSchema } from "../common/documentSchema";
import { EncryptedEnvelopeSchema } from "../common/encryptedEnvelopeSchema";
import { ResourceTagsSchema } from "../common/resourceTagSchema";

/** Statuses of a cloud account. */
export const CLOUD_ACCOUNT_STATUSES = ["active", "inactive", "error", "pending"] as const;
/** Outcomes recorded as an account's `last_scan_status`. */
export const LAST_SCAN_STATUSES = ["running", "completed", "failed", "cancelled"] as const;

/** A provider region / location name (`us-east-1`, `westeurope`, `europe-west1`, `global`). */
export const RegionSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "must be a region name such as us-east-1");

/** The fields of a cloud account without the cross-field check; use `CloudAccountSchema` to validate. */
export const CloudAccountObjectSchema = tenantDocumentSchema({
  provider: CloudProviderSchema,
  /** The provider's id: AWS account id, Azure subscription id, GCP project id or Kubernetes cluster name. */
  account_id: z.string().min(1).max(253),
  name: z.string().trim().min(1).max(200),
  /** Credentials encrypted by `@cspm/crypto` (`{ v, kid, iv, tag, ct }`); plaintext is rejected. */
  encrypted_credentials: EncryptedEnvelopeSchema.optional(),
  credentials_updated_at: z.date().optional(),
  status: z.enum(CLOUD_ACCOUNT_STATUSES),
  status_message: z.string().max(2000).optional(),
  regions: z.array(RegionSchema).max(200),
  tags: ResourceTagsSchema,
  last_scan_at: z.date().optional(),
  last_scan_status: z.enum(LAST_SCAN_STATUSES).optional(),
});

/**
 * A team's cloud account (`cspm_cloud_security.enhanced_cloud_accounts`, the single source of truth; the
 * legacy `cloud_accounts` is never used). `account_id` must match the provider's format.
 */
export const CloudAccountSchema = CloudAccountObjectSchema.superRefine((account, ctx) => {
  checkProviderAccountId(account.provider, account.account_id, ctx);
  if (account.encrypted_credentials !== undefined && account.credentials_updated_at === undefined) {
    ctx.addIssue({ code: "custom", path: ["credentials_updated_at"], message: "is required with encrypted_credentials" });
  }
});

/** A stored cloud account. */
export type CloudAccount = z.infer<typeof CloudAccountSchema>;

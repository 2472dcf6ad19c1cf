import { z } from "zod";
import { CloudProviderSchema } from "../common/cloudProvider";
import { tenantDocumentSchema } from "../common/documentSchema";
import { FreeFormObjectSchema } from "../common/freeFormObjectSchema";
import { ResourceTagsSchema } from "../common/resourceTagSchema";

/** The fields that identify one resource (with `team_id`): the unique index `team_account_resource_unique`. */
export const RESOURCE_IDENTITY_FIELDS = ["account_id", "resource_uid"] as const;

/** A resource discovered in a cloud account (`cspm_inventory.cloud_resources`), unique per account and `resource_uid` (ARN, resource id). */
export const CloudResourceSchema = tenantDocumentSchema({
  provider: CloudProviderSchema,
  account_id: z.string().min(1).max(253),
  resource_uid: z.string().min(1).max(2048),
  resource_type: z.string().min(1).max(256),
  region: z.string().min(1).max(64),
  name: z.string().max(1024).optional(),
  tags: ResourceTagsSchema,
  properties: FreeFormObjectSchema.optional(),
  first_seen_at: z.date(),
  last_seen_at: z.date(),
});

/** A stored cloud resource. */
export type CloudResource = z.infer<typeof CloudResourceSchema>;

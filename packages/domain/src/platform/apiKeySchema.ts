import { z } from "zod";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";
import { PermissionSchema, RoleNameSchema, Sha256HexSchema } from "./permissionSchema";

/** Who created a credential: the audit actor's type and id. */
export const CreatedBySchema = z.strictObject({
  type: z.enum(["user", "api_key", "system"]),
  id: RefIdSchema,
});

/**
 * An API key of a team (`cspm_platform.api_keys`): only the SHA-256 of the whole token (`key_hash`) and its
 * visible `prefix` are stored, never the secret. `scopes` narrows the role's permissions.
 */
export const ApiKeySchema = tenantDocumentSchema({
  name: z.string().trim().min(1).max(200),
  prefix: z.string().min(8).max(200),
  key_hash: Sha256HexSchema,
  role: RoleNameSchema,
  scopes: z.array(PermissionSchema).min(1).max(32).optional(),
  created_by: CreatedBySchema,
  expires_at: z.date().optional(),
  last_used_at: z.date().optional(),
  revoked_at: z.date().optional(),
});

/** A stored API key. */
export type ApiKey = z.infer<typeof ApiKeySchema>;

import { z } from "zod";
import { tenantDocumentSchema } from "../common/documentSchema";
import { PermissionSchema, RoleNameSchema } from "./permissionSchema";

/** A custom role of a team (`cspm_platform.roles`): a name and a permission set. Built-in roles are code, not documents. */
export const RoleSchema = tenantDocumentSchema({
  name: RoleNameSchema,
  description: z.string().trim().max(500).optional(),
  permissions: z
    .array(PermissionSchema)
    .min(1)
    .max(32)
    .refine((list) => new Set(list).size === list.length, "must not repeat a permission"),
});

/** A stored custom role. */
export type Role = z.infer<typeof RoleSchema>;

import { z } from "zod";
import { tenantDocumentSchema } from "../common/documentSchema";
import { RoleNameSchema } from "./permissionSchema";

/** The built-in roles (a user may also hold a custom role of the team, see `roles`). */
export const USER_ROLES = ["owner", "admin", "analyst", "viewer"] as const;
/** User statuses. */
export const USER_STATUSES = ["active", "invited", "disabled"] as const;

/**
 * A user of a team (`cspm_platform.users`): the user's membership of that team, with the role they hold in
 * it (built-in or custom). `email` is stored lowercase and unique per team; one person in two teams has two
 * records.
 */
export const UserSchema = tenantDocumentSchema({
  email: z
    .email()
    .max(254)
    .refine((email) => email === email.toLowerCase(), "must be lowercase"),
  name: z.string().trim().min(1).max(200),
  role: RoleNameSchema,
  status: z.enum(USER_STATUSES),
  /** A password hash (argon2/bcrypt/scrypt output), never a password. */
  password_hash: z
    .string()
    .regex(/^\$(argon2(id|i|d)|2[aby]|scrypt)\$/, "must be an argon2, bcrypt or scrypt hash")
    .optional(),
  last_login_at: z.date().optional(),
});

/** A stored user. */
export type User = z.infer<typeof UserSchema>;

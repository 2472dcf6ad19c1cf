import { z } from "zod";
import { tenantDocumentSchema } from "../common/documentSchema";

/** Roles a user can hold in a team. */
export const USER_ROLES = ["owner", "admin", "member", "viewer"] as const;
/** User statuses. */
export const USER_STATUSES = ["active", "invited", "disabled"] as const;

/** A user of a team (`cspm_platform.users`); `email` is stored lowercase and unique per team. */
export const UserSchema = tenantDocumentSchema({
  email: z
    .email()
    .max(254)
    .refine((email) => email === email.toLowerCase(), "must be lowercase"),
  name: z.string().trim().min(1).max(200),
  role: z.enum(USER_ROLES),
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

import { z } from "zod";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";

/** A login session (`cspm_platform.sessions`); only the SHA-256 of the token is stored. Expires by TTL on `expires_at`. */
export const SessionSchema = tenantDocumentSchema({
  user_id: RefIdSchema,
  token_hash: z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex SHA-256"),
  expires_at: z.date(),
  revoked_at: z.date().optional(),
  ip: z.union([z.ipv4(), z.ipv6()]).optional(),
  user_agent: z.string().max(512).optional(),
});

/** A stored session. */
export type Session = z.infer<typeof SessionSchema>;

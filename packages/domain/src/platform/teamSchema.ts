import { z } from "zod";
import { sharedDocumentSchema } from "../common/documentSchema";

/** Team statuses. */
export const TEAM_STATUSES = ["active", "suspended"] as const;

/** A tenant of the platform (`cspm_platform.teams`, shared). Its `_id` (as text) is the `team_id` of tenant data. */
export const TeamSchema = sharedDocumentSchema({
  name: z.string().trim().min(1).max(200),
  slug: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "must be a lowercase DNS-style slug (1-63 characters)"),
  status: z.enum(TEAM_STATUSES),
  plan: z.string().min(1).max(64).optional(),
});

/** A stored team. */
export type Team = z.infer<typeof TeamSchema>;

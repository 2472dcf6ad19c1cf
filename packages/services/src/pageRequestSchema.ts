import { z } from "zod";

const LIMIT_MESSAGE = "must be an integer from 1 to 200";

/**
 * Internal: the `page` argument of the read models' keyset lists (scan runs, vulnerability occurrences, AI models):
 * an optional `limit` from 1 to 200 and an optional signed `cursor`. One schema, so every list answers alike.
 */
export const PageRequestSchema = z.strictObject({
  limit: z.number({ error: LIMIT_MESSAGE }).int(LIMIT_MESSAGE).min(1, LIMIT_MESSAGE).max(200, LIMIT_MESSAGE).optional(),
  cursor: z.string().min(1, "must not be empty").max(4096).nullable().optional(),
});

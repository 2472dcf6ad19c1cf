import type { z } from "zod";
import { FreeFormObjectSchema } from "./freeFormObjectSchema";

/** Key fragments that mark a configuration value as a secret; such keys are refused in plain config. */
export const SECRET_KEY_PATTERN =
  /(secret|passw|token|api[_-]?key|private[_-]?key|credential|authorization|signing[_-]?key|webhook[_-]?url)/i;

function findSecretKeys(value: unknown, path: (string | number)[], ctx: z.RefinementCtx): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => findSecretKeys(item, [...path, index], ctx));
    return;
  }
  if (typeof value !== "object" || value === null || value instanceof Date) return;
  for (const [key, child] of Object.entries(value)) {
    if (SECRET_KEY_PATTERN.test(key)) {
      ctx.addIssue({ code: "custom", path: [...path, key], message: "looks like a secret; store it encrypted in encrypted_secret" });
    } else {
      findSecretKeys(child, [...path, key], ctx);
    }
  }
}

/**
 * Plain (non-secret) configuration of a connector or channel: a free-form object with safe keys and no key
 * that names a secret (`token`, `password`, `api_key`, `webhook_url` …). Secrets go in `encrypted_secret`.
 */
export const NonSecretConfigSchema = FreeFormObjectSchema.superRefine((value, ctx) => findSecretKeys(value, [], ctx));

/** Plain configuration without secrets. */
export type NonSecretConfig = z.infer<typeof NonSecretConfigSchema>;

import { z } from "zod";
import { tenantDocumentSchema } from "../common/documentSchema";
import { FreeFormValueSchema } from "../common/freeFormObjectSchema";

/** One per-team setting (`cspm_platform.settings`), unique by `key` (e.g. `scans.default_regions`). Never holds secrets. */
export const SettingSchema = tenantDocumentSchema({
  key: z
    .string()
    .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/, "must be a dotted snake_case key")
    .max(128),
  value: FreeFormValueSchema,
});

/** A stored setting. */
export type Setting = z.infer<typeof SettingSchema>;

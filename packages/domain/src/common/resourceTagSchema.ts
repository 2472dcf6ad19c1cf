import { z } from "zod";

/**
 * One cloud tag/label as stored: `{ key, value }` (AWS tags, Azure tags, GCP and Kubernetes labels).
 * Stored as an array of pairs, not a map, so keys with `.` or `$` (e.g. `app.kubernetes.io/name`) are safe
 * and the multikey index on `tags` serves exact `{ key, value }` matches.
 */
export const ResourceTagSchema = z.strictObject({
  key: z.string().min(1).max(256),
  value: z.string().max(256),
});

/** A `{ key, value }` tag. */
export type ResourceTag = z.infer<typeof ResourceTagSchema>;

/** Up to 100 tags with distinct keys. */
export const ResourceTagsSchema = z
  .array(ResourceTagSchema)
  .max(100)
  .refine((tags) => new Set(tags.map((t) => t.key)).size === tags.length, "tag keys must be unique");

/** Converts a `{ key: value }` map (as the providers' SDKs return tags) into stored `{ key, value }` pairs, sorted by key. */
export function tagsFromMap(map: Readonly<Record<string, string>>): ResourceTag[] {
  return Object.keys(map)
    .sort()
    .map((key) => ({ key, value: map[key] as string }));
}

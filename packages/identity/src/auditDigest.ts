import { createHash } from "node:crypto";
import { redactSecrets } from "@cspm/crypto";

/** What an audit entry says about a change: the field names and a SHA-256 of their (secret-free) values. */
export interface AuditChanges {
  readonly fields: string[];
  readonly sha256: string;
}

/** JSON with object keys sorted at every level, so equal changes always digest alike. */
function canonicalJson(value: unknown): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(",")}}`;
}

/**
 * The digest of a mutation's input for the audit log: the top-level field names it sets, and a SHA-256 of
 * its canonical JSON after every secret-looking key (`credentials`, `*secret*`, `*token*`, `*password*` …,
 * see `redactSecrets` of `@cspm/crypto`) has been replaced, so not even a hash of a secret is stored. The
 * values themselves never are. `undefined` when there is no input. Never throws.
 */
export function auditDigest(changes: unknown): AuditChanges | undefined {
  if (changes === undefined) return undefined;
  let redacted: unknown;
  try {
    redacted = redactSecrets(changes);
  } catch {
    redacted = "[unserialisable]";
  }
  const fields =
    typeof changes === "object" && changes !== null && !Array.isArray(changes)
      ? Object.keys(changes)
          .filter((key) => (changes as Record<string, unknown>)[key] !== undefined)
          .map((key) => key.slice(0, 200))
          .sort()
          .slice(0, 200)
      : [];
  let text: string;
  try {
    text = canonicalJson(redacted);
  } catch {
    text = "[unserialisable]";
  }
  return { fields, sha256: createHash("sha256").update(text, "utf8").digest("hex") };
}

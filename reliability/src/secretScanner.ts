/**
 * Looks for plaintext credentials anywhere text can end up: stored documents, response bodies, cached
 * values, log lines, error messages. A secret counts as leaked in any common re-encoding too (JSON
 * escaping, base64, base64url, hex, URL encoding) and when its distinctive middle part appears alone.
 */
import { inspect } from "node:util";
import { BSON } from "mongodb";

/** A place that was scanned and the text found there. */
export interface ScanTarget {
  /** Where the text came from (`cspm_cloud_security.enhanced_cloud_accounts#<id>`, `POST /accounts`, `console.log` …). */
  readonly where: string;
  readonly text: string;
}

/** One secret found in one place (the secret is named by its label, never printed). */
export interface SecretLeak {
  readonly where: string;
  readonly secret: string;
  readonly encoding: string;
}

/** A plaintext credential the test planted, with a label to report it by. */
export interface PlantedSecret {
  readonly label: string;
  readonly value: string;
}

function variants(value: string): { encoding: string; text: string }[] {
  const out = [
    { encoding: "plaintext", text: value },
    { encoding: "json-escaped", text: JSON.stringify(value).slice(1, -1) },
    { encoding: "base64", text: Buffer.from(value, "utf8").toString("base64").replace(/=+$/, "") },
    { encoding: "base64url", text: Buffer.from(value, "utf8").toString("base64url") },
    { encoding: "hex", text: Buffer.from(value, "utf8").toString("hex") },
    { encoding: "url-encoded", text: encodeURIComponent(value) },
  ];
  if (value.length >= 24) {
    const start = Math.floor(value.length / 2) - 8;
    out.push({ encoding: "fragment", text: value.slice(start, start + 16) });
  }
  // Encoded forms of short strings could occur by chance; only keep long enough needles.
  return out.filter((v, i, all) => v.text.length >= 12 && all.findIndex((w) => w.text === v.text) === i);
}

/** Every (place, secret, encoding) where a planted secret appears. */
export function findSecretLeaks(targets: Iterable<ScanTarget>, secrets: readonly PlantedSecret[]): SecretLeak[] {
  const needles = secrets.flatMap((secret) => variants(secret.value).map((v) => ({ ...v, label: secret.label })));
  const leaks: SecretLeak[] = [];
  for (const target of targets) {
    for (const needle of needles) {
      if (target.text.includes(needle.text)) leaks.push({ where: target.where, secret: needle.label, encoding: needle.encoding });
    }
  }
  return leaks;
}

/** Text of any value for scanning: Extended JSON for documents (binary as base64), `inspect` as a fallback. */
export function scanText(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return BSON.EJSON.stringify(value as BSON.Document, { relaxed: false });
  } catch {
    return inspect(value, { depth: 20, breakLength: Infinity, maxStringLength: Infinity, maxArrayLength: Infinity });
  }
}

/** Text of an error as every sink could render it: message, JSON view, and `inspect` (stack, cause and details included). */
export function errorText(error: unknown): string {
  const parts = [inspect(error, { depth: 20, breakLength: Infinity, maxStringLength: Infinity })];
  if (error instanceof Error) parts.push(error.message, String(error.stack));
  try {
    parts.push(JSON.stringify(error));
  } catch {
    // not JSON-safe; inspect covers it
  }
  return parts.join("\n");
}

/** Scan targets for stored documents (`database.collection#_id`). */
export function storedDocumentTargets(
  docs: readonly { readonly database: string; readonly collection: string; readonly doc: unknown }[],
): ScanTarget[] {
  return docs.map(({ database, collection, doc }) => ({
    where: `${database}.${collection}#${String((doc as { _id?: unknown })._id)}`,
    text: scanText(doc),
  }));
}

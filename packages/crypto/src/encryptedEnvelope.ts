import { ValidationError } from "@cspm/errors";
import { isValidKeyId } from "./keyRing";

/** Length in bytes of the AES-GCM nonce written to every envelope. */
export const IV_LENGTH_BYTES = 12;
/** Length in bytes of the AES-GCM authentication tag written to every envelope. */
export const TAG_LENGTH_BYTES = 16;
/** The envelope format version this package writes and reads. */
export const ENVELOPE_VERSION = 1;

/**
 * One encrypted value as stored in a document: format version, the id of the key that encrypted it,
 * and base64url (unpadded) IV, GCM tag and ciphertext. Plain JSON, so it fits a MongoDB field as is.
 */
export interface EncryptedEnvelope {
  readonly v: 1;
  readonly kid: string;
  readonly iv: string;
  readonly tag: string;
  readonly ct: string;
}

const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;
const ENVELOPE_KEYS = ["ct", "iv", "kid", "tag", "v"];

/** Decodes unpadded base64url, or `undefined` unless the text is the canonical encoding of the bytes. */
export function decodeBase64Url(text: unknown): Buffer | undefined {
  if (typeof text !== "string" || !BASE64URL_PATTERN.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64url");
  // Canonical only: stray trailing bits would let two texts name the same bytes.
  return bytes.toString("base64url") === text ? bytes : undefined;
}

/** Why a value is not a well-formed envelope, or `undefined` when it is one. */
function envelopeProblem(value: unknown): { path: string; message: string } | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { path: "", message: "must be an object" };
  const record = value as Record<string, unknown>;
  const extra = Object.keys(record).filter((key) => !ENVELOPE_KEYS.includes(key));
  if (extra.length > 0) return { path: "", message: "has unexpected fields" };
  if (record["v"] !== ENVELOPE_VERSION) return { path: "v", message: `must be ${ENVELOPE_VERSION}` };
  if (!isValidKeyId(record["kid"])) return { path: "kid", message: "must be a key id" };
  if (decodeBase64Url(record["iv"])?.length !== IV_LENGTH_BYTES) {
    return { path: "iv", message: `must be ${IV_LENGTH_BYTES} bytes of base64url` };
  }
  if (decodeBase64Url(record["tag"])?.length !== TAG_LENGTH_BYTES) {
    return { path: "tag", message: `must be ${TAG_LENGTH_BYTES} bytes of base64url` };
  }
  if (decodeBase64Url(record["ct"]) === undefined) return { path: "ct", message: "must be base64url" };
  return undefined;
}

/** True when `value` is a well-formed `EncryptedEnvelope` (shape only; says nothing about which key or whether it authenticates). */
export function isEncryptedEnvelope(value: unknown): value is EncryptedEnvelope {
  return envelopeProblem(value) === undefined;
}

/** Returns `value` as an envelope or throws `VALIDATION_FAILED` naming the bad field (never its content). */
export function assertEncryptedEnvelope(value: unknown): EncryptedEnvelope {
  const problem = envelopeProblem(value);
  if (problem) {
    throw new ValidationError(`Malformed encrypted envelope: ${problem.path || "envelope"} ${problem.message}.`, [problem], {
      reason: "MALFORMED_ENVELOPE",
    });
  }
  return value as EncryptedEnvelope;
}

/**
 * The compact one-line form `v1:<kid>:<iv>:<tag>:<ct>` of an envelope, for places that hold a string
 * (an environment variable, a header). Throws `VALIDATION_FAILED` for a malformed envelope.
 */
export function formatEnvelope(envelope: EncryptedEnvelope): string {
  const { v, kid, iv, tag, ct } = assertEncryptedEnvelope(envelope);
  return `v${v}:${kid}:${iv}:${tag}:${ct}`;
}

/** Parses the compact form written by `formatEnvelope`. Throws `VALIDATION_FAILED` when it is malformed. */
export function parseEnvelope(text: string): EncryptedEnvelope {
  const parts = typeof text === "string" ? text.split(":") : [];
  if (parts.length !== 5 || parts[0] !== `v${ENVELOPE_VERSION}`) {
    throw new ValidationError(
      'Malformed encrypted envelope: expected "v1:<kid>:<iv>:<tag>:<ct>".',
      [{ path: "", message: "must be a compact envelope" }],
      { reason: "MALFORMED_ENVELOPE" },
    );
  }
  const [, kid, iv, tag, ct] = parts as [string, string, string, string, string];
  return assertEncryptedEnvelope({ v: ENVELOPE_VERSION, kid, iv, tag, ct });
}

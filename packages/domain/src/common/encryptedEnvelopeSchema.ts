import { z } from "zod";

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;

/** Unpadded base64url text that decodes to exactly `bytes` bytes (canonical encoding only). */
function base64UrlOfLength(bytes: number | undefined) {
  return z.string().refine(
    (text) => {
      if (!BASE64URL.test(text)) return false;
      const decoded = Buffer.from(text, "base64url");
      return decoded.toString("base64url") === text && (bytes === undefined ? decoded.length > 0 : decoded.length === bytes);
    },
    bytes === undefined ? "must be non-empty base64url" : `must be ${bytes} bytes of base64url`,
  );
}

/**
 * An encrypted value as `@cspm/crypto` stores it: `{ v: 1, kid, iv, tag, ct }` (AES-256-GCM, base64url
 * parts). Any other field is rejected, so a plaintext secret cannot pass as an envelope.
 */
export const EncryptedEnvelopeObjectSchema = z.strictObject({
  v: z.literal(1),
  kid: z.string().regex(KEY_ID, "must be a key id"),
  iv: base64UrlOfLength(12),
  tag: base64UrlOfLength(16),
  ct: base64UrlOfLength(undefined),
});

/** The compact one-line envelope `v1:<kid>:<iv>:<tag>:<ct>` written by `@cspm/crypto`'s `formatEnvelope`. */
export const CompactEnvelopeSchema = z
  .string()
  .max(65_536)
  .refine((text) => {
    const parts = text.split(":");
    if (parts.length !== 5 || parts[0] !== "v1") return false;
    const [, kid, iv, tag, ct] = parts;
    return EncryptedEnvelopeObjectSchema.safeParse({ v: 1, kid, iv, tag, ct }).success;
  }, 'must be an encrypted envelope "v1:<kid>:<iv>:<tag>:<ct>"');

/** An encrypted secret as stored: the envelope object (preferred) or its compact string form. Never plaintext. */
export const EncryptedEnvelopeSchema = z.union([EncryptedEnvelopeObjectSchema, CompactEnvelopeSchema]);

/** An encrypted secret as stored: `{ v, kid, iv, tag, ct }` or `"v1:kid:iv:tag:ct"`. */
export type StoredEncryptedEnvelope = z.infer<typeof EncryptedEnvelopeSchema>;

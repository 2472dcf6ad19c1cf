import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { InternalError, ValidationError } from "@cspm/errors";
import {
  ENVELOPE_VERSION,
  IV_LENGTH_BYTES,
  TAG_LENGTH_BYTES,
  assertEncryptedEnvelope,
  decodeBase64Url,
  type EncryptedEnvelope,
} from "./encryptedEnvelope";
import { KeyRing, keyBytes, type KeyRingEntry, type KeyRingSummary } from "./keyRing";

const ALGORITHM = "aes-256-gcm";

/**
 * Additional authenticated data: bytes that are not stored in the envelope but must be presented
 * again to decrypt. A record (e.g. `{ team_id, account_id }`) is canonicalised (keys sorted), so key
 * order does not matter.
 */
export type AssociatedData = string | Uint8Array | Readonly<Record<string, string>>;

/** Options for one encryption or decryption. */
export interface CipherOptions {
  /**
   * Binds the ciphertext to its context. Recommended for credentials: `{ team_id, account_id }`, so a
   * ciphertext copied into another account's document fails to decrypt. Decrypt with the same value.
   */
  readonly aad?: AssociatedData;
}

function aadBytes(kid: string, aad: AssociatedData | undefined): Buffer {
  // The version and key id are always bound, so an envelope's header cannot be edited undetected.
  const header = Buffer.from(`cspm-credential:v${ENVELOPE_VERSION}:${kid}\u0000`, "utf8");
  if (aad === undefined) return header;
  if (typeof aad === "string") return Buffer.concat([header, Buffer.from(`s:${aad}`, "utf8")]);
  if (aad instanceof Uint8Array) return Buffer.concat([header, Buffer.from("b:", "utf8"), aad]);
  if (typeof aad !== "object" || aad === null) {
    throw new ValidationError("Associated data must be a string, bytes or a record of strings.", [
      { path: "aad", message: "invalid type" },
    ]);
  }
  const entries = Object.entries(aad).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const bad = entries.find(([, value]) => typeof value !== "string");
  if (bad) {
    throw new ValidationError(`Associated data field "${bad[0]}" must be a string.`, [
      { path: `aad.${bad[0]}`, message: "must be a string" },
    ]);
  }
  return Buffer.concat([header, Buffer.from(`r:${JSON.stringify(entries)}`, "utf8")]);
}

function toBytes(plaintext: string | Uint8Array): Buffer {
  if (typeof plaintext === "string") return Buffer.from(plaintext, "utf8");
  if (plaintext instanceof Uint8Array) return Buffer.from(plaintext);
  throw new ValidationError("Plaintext must be a string or bytes.", [{ path: "plaintext", message: "invalid type" }]);
}

/**
 * AES-256-GCM encryption of credential secrets over a `KeyRing`: a fresh random 12-byte IV per call,
 * a 16-byte tag, and an `EncryptedEnvelope` that records the key id. Encrypts with the active key,
 * decrypts with any key of the ring. Plaintext and key bytes never appear in its errors or in `inspect`.
 */
export class CredentialCipher {
  readonly keyRing: KeyRing;

  /** Takes a `KeyRing`, `"id:base64,..."` text or entries. Throws `VALIDATION_FAILED` for a bad ring. */
  constructor(keyRing: KeyRing | string | readonly KeyRingEntry[]) {
    this.keyRing = keyRing instanceof KeyRing ? keyRing : KeyRing.from(keyRing);
  }

  /** Encrypts text or bytes with the active key. Throws `VALIDATION_FAILED` for a non-string/bytes input or bad `aad`. */
  encrypt(plaintext: string | Uint8Array, options: CipherOptions = {}): EncryptedEnvelope {
    const data = toBytes(plaintext);
    try {
      return this.encryptBytes(data, options.aad);
    } finally {
      data.fill(0);
    }
  }

  /**
   * Decrypts an envelope to UTF-8 text. Throws `VALIDATION_FAILED` for a malformed envelope, `INTERNAL`
   * (`details.reason: "UNKNOWN_KEY_ID"`) when the ring lacks the key, and `INTERNAL`
   * (`details.reason: "AUTHENTICATION_FAILED"`) when the ciphertext, IV, tag, key id or `aad` do not match.
   */
  decrypt(envelope: EncryptedEnvelope, options: CipherOptions = {}): string {
    const bytes = this.decryptBytes(envelope, options);
    try {
      return bytes.toString("utf8");
    } finally {
      bytes.fill(0);
    }
  }

  /** Like `decrypt`, returning the plaintext bytes (the caller should `fill(0)` them when done). Same errors. */
  decryptBytes(envelope: EncryptedEnvelope, options: CipherOptions = {}): Buffer {
    const checked = assertEncryptedEnvelope(envelope);
    const key = keyBytes(this.keyRing, checked.kid);
    if (!key) {
      throw new InternalError(`Unknown encryption key id "${checked.kid}"; the key ring has [${this.keyRing.keyIds.join(", ")}].`, {
        reason: "UNKNOWN_KEY_ID",
        details: { kid: checked.kid },
      });
    }
    const iv = decodeBase64Url(checked.iv) as Buffer;
    const tag = decodeBase64Url(checked.tag) as Buffer;
    const ct = decodeBase64Url(checked.ct) as Buffer;
    const aad = aadBytes(checked.kid, options.aad);
    try {
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_LENGTH_BYTES });
      decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      const head = decipher.update(ct);
      const tail = decipher.final();
      const out = Buffer.concat([head, tail]);
      head.fill(0);
      return out;
    } catch {
      // The crypto error text is dropped on purpose: it is not useful and the rule is "nothing from inside".
      throw new InternalError("Ciphertext failed authentication (wrong key, wrong associated data, or tampered data).", {
        reason: "AUTHENTICATION_FAILED",
        details: { kid: checked.kid },
      });
    }
  }

  /** `JSON.stringify`s a value (e.g. a credentials object) and encrypts it. Throws `VALIDATION_FAILED` if it does not serialise. */
  encryptJson(value: unknown, options: CipherOptions = {}): EncryptedEnvelope {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined;
    }
    if (json === undefined) {
      throw new ValidationError("Value cannot be serialised to JSON for encryption.", [{ path: "", message: "not JSON-serialisable" }]);
    }
    return this.encrypt(json, options);
  }

  /**
   * Decrypts an envelope written by `encryptJson` and parses it. The type parameter is a cast, not a check:
   * validate the result. Same errors as `decrypt`, plus `VALIDATION_FAILED` when the plaintext is not JSON.
   */
  decryptJson<T = unknown>(envelope: EncryptedEnvelope, options: CipherOptions = {}): T {
    const text = this.decrypt(envelope, options);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ValidationError("Decrypted value is not JSON.", [{ path: "", message: "not JSON" }], {
        reason: "NOT_JSON",
      });
    }
  }

  /** True when the envelope was encrypted with a key other than the active one. Throws `VALIDATION_FAILED` when malformed. */
  needsRotation(envelope: EncryptedEnvelope): boolean {
    return assertEncryptedEnvelope(envelope).kid !== this.keyRing.activeKeyId;
  }

  /**
   * Re-encrypts an envelope under the active key (for key rotation), passing `aad` through unchanged.
   * Returns the very same envelope when it already uses the active key. Same errors as `decrypt`.
   */
  reencrypt(envelope: EncryptedEnvelope, options: CipherOptions = {}): EncryptedEnvelope {
    if (!this.needsRotation(envelope)) return envelope;
    const bytes = this.decryptBytes(envelope, options);
    try {
      return this.encryptBytes(bytes, options.aad);
    } finally {
      bytes.fill(0);
    }
  }

  toJSON(): { keyRing: KeyRingSummary } {
    return { keyRing: this.keyRing.toJSON() };
  }

  toString(): string {
    return `CredentialCipher(${this.keyRing.toString()})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  private encryptBytes(data: Buffer, aad: AssociatedData | undefined): EncryptedEnvelope {
    const kid = this.keyRing.activeKeyId;
    const key = keyBytes(this.keyRing, kid) as Buffer;
    const additional = aadBytes(kid, aad);
    const iv = randomBytes(IV_LENGTH_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_LENGTH_BYTES });
    cipher.setAAD(additional);
    const ct = Buffer.concat([cipher.update(data), cipher.final()]);
    const tag = cipher.getAuthTag();
    return {
      v: ENVELOPE_VERSION,
      kid,
      iv: iv.toString("base64url"),
      tag: tag.toString("base64url"),
      ct: ct.toString("base64url"),
    };
  }
}

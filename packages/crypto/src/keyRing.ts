import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { ValidationError, type FieldIssue } from "@cspm/errors";

/** Length in bytes of every AES-256 key in a ring. */
export const KEY_LENGTH_BYTES = 32;

/**
 * Key ids: 1–32 letters, digits, `_`, `.` or `-`. The cap keeps a key pasted into the id slot
 * (a base64url key is 43 characters) from ever passing as an id and being echoed in a message.
 */
const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;
/** Standard or URL-safe base64, optionally padded. */
const BASE64_PATTERN = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** One key of a ring as configured: an id and the 32 key bytes, as base64 (or base64url) text or raw bytes. */
export interface KeyRingEntry {
  readonly id: string;
  readonly key: string | Uint8Array;
}

/** What `KeyRing` shows of itself in logs, `JSON.stringify` and `util.inspect`: ids only, never key bytes. */
export interface KeyRingSummary {
  readonly activeKeyId: string;
  readonly keyIds: readonly string[];
}

/** Key bytes live here, not on the instance, so no property walk (inspect, JSON, spread) can reach them. */
const keyMaterial = new WeakMap<KeyRing, ReadonlyMap<string, Buffer>>();

/** True when `id` is a well-formed key id (1–32 of `A-Z a-z 0-9 _ . -`). */
export function isValidKeyId(id: unknown): id is string {
  return typeof id === "string" && KEY_ID_PATTERN.test(id);
}

function decodeKey(key: string | Uint8Array, index: number, issues: FieldIssue[]): Buffer | undefined {
  if (key instanceof Uint8Array) {
    if (key.length !== KEY_LENGTH_BYTES) {
      issues.push({ path: `${index}.key`, message: `must be exactly ${KEY_LENGTH_BYTES} bytes (got ${key.length})` });
      return undefined;
    }
    return Buffer.from(key);
  }
  if (typeof key !== "string") {
    issues.push({ path: `${index}.key`, message: "must be a base64 string or bytes" });
    return undefined;
  }
  const text = key.trim();
  if (!BASE64_PATTERN.test(text)) {
    issues.push({ path: `${index}.key`, message: "is not valid base64" });
    return undefined;
  }
  const bytes = Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  if (bytes.length !== KEY_LENGTH_BYTES) {
    issues.push({ path: `${index}.key`, message: `must decode to exactly ${KEY_LENGTH_BYTES} bytes (got ${bytes.length})` });
    bytes.fill(0);
    return undefined;
  }
  return bytes;
}

/**
 * An ordered set of AES-256 keys: the first is active (used to encrypt), every key can decrypt.
 * Key bytes never appear in `toString`, `toJSON` or `util.inspect`. Throws `VALIDATION_FAILED`
 * (listing every problem) for an empty ring, a malformed or duplicate id, or a key that is not 32 bytes.
 */
export class KeyRing {
  /** Id of the key new ciphertexts are encrypted with (the first entry). */
  readonly activeKeyId: string;
  /** Every key id, active first. */
  readonly keyIds: readonly string[];

  constructor(entries: readonly KeyRingEntry[]) {
    const issues: FieldIssue[] = [];
    const keys = new Map<string, Buffer>();
    if (!Array.isArray(entries) || entries.length === 0) {
      throw new ValidationError("Key ring must contain at least one key.", [{ path: "", message: "at least one key is required" }]);
    }
    entries.forEach((entry, index) => {
      const id: unknown = entry?.id;
      const idOk = isValidKeyId(id);
      if (!idOk) {
        // The offending text is not echoed: it may be key material in the wrong slot.
        issues.push({ path: `${index}.id`, message: "must be 1-32 characters of A-Z a-z 0-9 _ . -" });
      } else if (keys.has(id)) {
        issues.push({ path: `${index}.id`, message: `duplicate key id "${id}"` });
      }
      const bytes = decodeKey(entry?.key as string | Uint8Array, index, issues);
      if (idOk && bytes && !keys.has(id)) keys.set(id, bytes);
      else bytes?.fill(0);
    });
    if (issues.length > 0) {
      for (const bytes of keys.values()) bytes.fill(0);
      throw new ValidationError(`Invalid encryption key ring: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}.`, issues);
    }
    this.keyIds = Object.freeze([...keys.keys()]);
    this.activeKeyId = this.keyIds[0] as string;
    keyMaterial.set(this, keys);
    Object.freeze(this);
  }

  /** Builds a ring from `"k2:<base64>,k1:<base64>"` text or from entries; see `parseKeyRing`. Throws `VALIDATION_FAILED`. */
  static from(config: string | readonly KeyRingEntry[]): KeyRing {
    return typeof config === "string" ? parseKeyRing(config) : new KeyRing(config);
  }

  /** True when the ring holds a key with this id. */
  has(keyId: string): boolean {
    return keyMaterial.get(this)?.has(keyId) ?? false;
  }

  /** Ids and active id only, for logs. */
  toJSON(): KeyRingSummary {
    return { activeKeyId: this.activeKeyId, keyIds: [...this.keyIds] };
  }

  toString(): string {
    return `KeyRing(active=${this.activeKeyId}, keys=[${this.keyIds.join(", ")}])`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * The key bytes for `keyId`, or `undefined`. Internal to this package: not exported from the index.
 */
export function keyBytes(ring: KeyRing, keyId: string): Buffer | undefined {
  return keyMaterial.get(ring)?.get(keyId);
}

/**
 * Parses `CSPM_ENCRYPTION_KEYS`-style text: comma-separated `id:base64key` pairs, the first one active,
 * e.g. `"k2:AbC...=,k1:XyZ...="`. Whitespace around entries is ignored. Throws `VALIDATION_FAILED`
 * listing every bad entry (paths `"<index>.id"` / `"<index>.key"`), never echoing key text.
 */
export function parseKeyRing(text: string): KeyRing {
  if (typeof text !== "string" || text.trim() === "") {
    throw new ValidationError('Key ring text is empty; expected "id:base64key[,id:base64key...]".', [
      { path: "", message: "at least one key is required" },
    ]);
  }
  const issues: FieldIssue[] = [];
  const entries: KeyRingEntry[] = [];
  const originalIndex: number[] = [];
  text.split(",").forEach((raw, index) => {
    const part = raw.trim();
    const colon = part.indexOf(":");
    if (colon <= 0 || colon === part.length - 1) {
      issues.push({ path: `${index}`, message: 'must look like "id:base64key"' });
      return;
    }
    entries.push({ id: part.slice(0, colon).trim(), key: part.slice(colon + 1).trim() });
    originalIndex.push(index);
  });
  if (issues.length === 0) return new KeyRing(entries);
  // Report the well-formed entries' problems too, so one run lists everything wrong.
  if (entries.length > 0) {
    try {
      new KeyRing(entries);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const issue of error.issues) {
        const [position, ...rest] = issue.path.split(".");
        const mapped = originalIndex[Number(position)];
        issues.push({ path: mapped === undefined ? issue.path : [String(mapped), ...rest].join("."), message: issue.message });
      }
    }
  }
  issues.sort((a, b) => parseInt(a.path, 10) - parseInt(b.path, 10));
  throw new ValidationError(`Invalid encryption key ring: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}.`, issues);
}

/** A fresh random 32-byte key as standard base64 (44 characters), ready for `CSPM_ENCRYPTION_KEYS`. */
export function generateKey(): string {
  return randomBytes(KEY_LENGTH_BYTES).toString("base64");
}

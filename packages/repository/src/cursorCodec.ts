import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { ValidationError } from "@cspm/errors";
import { BSON } from "mongodb";

/** The position a keyset cursor points after: the last item's sort value and `_id`. */
export interface CursorPosition {
  /** Sort field the cursor was made for. */
  readonly field: string;
  readonly direction: "asc" | "desc";
  /** The last item's value of `field` (`null` when it had none). */
  readonly value: unknown;
  /** The last item's `_id`. */
  readonly id: unknown;
}

/** Longest cursor string accepted (a guard against giant inputs). */
export const MAX_CURSOR_LENGTH = 4096;
const TAG_BYTES = 16;
const MIN_SECRET_BYTES = 16;

let processSecret: Buffer | undefined;
/** The random per-process secret used when none is configured (cursors then die with the process). */
function defaultSecret(): Buffer {
  processSecret ??= randomBytes(32);
  return processSecret;
}

function invalid(message: string): ValidationError {
  return new ValidationError(message, [{ path: "cursor", message: "invalid or tampered cursor" }]);
}

/**
 * Encodes and checks opaque pagination cursors: base64url of the position (EJSON, so dates and ObjectIds
 * keep their types) plus a truncated HMAC-SHA256 tag over the position and a binding (repository, team,
 * sort) so a cursor cannot be forged, edited or replayed on another team or sort.
 * `decode` throws `VALIDATION_FAILED`; the constructor throws `VALIDATION_FAILED` for a secret shorter than 16 bytes.
 */
export class CursorCodec {
  readonly #secret: Buffer;

  constructor(secret?: string | Uint8Array) {
    if (secret === undefined) {
      this.#secret = defaultSecret();
      return;
    }
    const bytes = typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret);
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new ValidationError(`The cursor secret must be at least ${MIN_SECRET_BYTES} bytes.`, [
        { path: "cursorSecret", message: "too short" },
      ]);
    }
    this.#secret = bytes;
  }

  #tag(body: string, binding: string): Buffer {
    return createHmac("sha256", this.#secret).update(binding).update("\n").update(body).digest().subarray(0, TAG_BYTES);
  }

  /** The opaque cursor for `position`, valid only with the same `binding`. */
  encode(position: CursorPosition, binding: string): string {
    const json = BSON.EJSON.stringify(
      { f: position.field, d: position.direction, v: position.value ?? null, i: position.id },
      { relaxed: false },
    );
    const body = Buffer.from(json, "utf8").toString("base64url");
    return `${body}.${this.#tag(body, binding).toString("base64url")}`;
  }

  /** The position inside `cursor`; `VALIDATION_FAILED` when it is malformed, tampered with or made for another binding. */
  decode(cursor: unknown, binding: string): CursorPosition {
    if (typeof cursor !== "string" || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) {
      throw invalid("The pagination cursor is malformed.");
    }
    const dot = cursor.indexOf(".");
    if (dot <= 0 || dot !== cursor.lastIndexOf(".")) throw invalid("The pagination cursor is malformed.");
    const body = cursor.slice(0, dot);
    const tag = Buffer.from(cursor.slice(dot + 1), "base64url");
    const expected = this.#tag(body, binding);
    if (tag.length !== expected.length || !timingSafeEqual(tag, expected)) {
      throw invalid("The pagination cursor is invalid or was made for another query.");
    }
    let parsed: unknown;
    try {
      parsed = BSON.EJSON.parse(Buffer.from(body, "base64url").toString("utf8"), { relaxed: true });
    } catch (error) {
      throw new ValidationError("The pagination cursor is malformed.", [{ path: "cursor", message: "malformed" }], { cause: error });
    }
    const record = parsed as { f?: unknown; d?: unknown; v?: unknown; i?: unknown } | null;
    if (
      typeof record !== "object" ||
      record === null ||
      typeof record.f !== "string" ||
      (record.d !== "asc" && record.d !== "desc") ||
      record.i === undefined
    ) {
      throw invalid("The pagination cursor is malformed.");
    }
    return { field: record.f, direction: record.d, value: record.v ?? null, id: record.i };
  }
}

import type { ErrorCode } from "./errorCodes";

/**
 * Every `details.reason` the data layer sets, each tied to the one code it refines. Reasons are stable
 * like codes: clients may switch on `(code, reason)`. Add a reason here before using it anywhere.
 */
export const ERROR_REASONS = {
  /** A write carried an `expectedVersion` that is no longer the stored one. */
  VERSION_CONFLICT: { code: "CONFLICT" },
  /** A status move that the entity's state machine does not allow (details `from`, `to`). */
  ILLEGAL_TRANSITION: { code: "CONFLICT" },
  /** A unique index already holds the key (details `fields`). */
  DUPLICATE_KEY: { code: "CONFLICT" },
  /** A concurrent transaction won; the whole unit of work may be retried (details `retryable`). */
  WRITE_CONFLICT: { code: "CONFLICT" },
  /** A completed assessment is read-only. */
  ASSESSMENT_COMPLETED: { code: "CONFLICT" },
  /** A migration's code changed since it was recorded in the ledger. */
  CHECKSUM_MISMATCH: { code: "CONFLICT" },
  /** Another runner holds the migration lock (details `owner`). */
  MIGRATION_LOCK_HELD: { code: "CONFLICT" },
  /** A migration needs another one applied first (details `requires`). */
  MIGRATION_PREREQUISITE: { code: "CONFLICT" },
  /** This runner lost the migration lock while working. */
  MIGRATION_LOCK_LOST: { code: "CONFLICT" },
  /** Legacy documents that cannot be migrated (details `ids`). */
  INVALID_LEGACY_DOCUMENTS: { code: "VALIDATION_FAILED" },
  /** An encrypted envelope does not have the versioned shape. */
  MALFORMED_ENVELOPE: { code: "VALIDATION_FAILED" },
  /** An envelope names a key id the key ring does not hold (details `kid`). */
  UNKNOWN_KEY_ID: { code: "INTERNAL" },
  /** Ciphertext, IV, tag, key id or associated data do not match (details `kid`). */
  AUTHENTICATION_FAILED: { code: "INTERNAL" },
  /** A decrypted payload is not the JSON it should be. */
  NOT_JSON: { code: "VALIDATION_FAILED" },
  /** The request carries no credential (no `Authorization: Bearer …`). */
  CREDENTIAL_MISSING: { code: "UNAUTHENTICATED" },
  /** The credential is malformed, unknown, expired, revoked or signed by an untrusted key (one reason for all, on purpose). */
  CREDENTIAL_INVALID: { code: "UNAUTHENTICATED" },
  /** The actor's role lacks the permission the operation needs (details `permission`). */
  PERMISSION_DENIED: { code: "FORBIDDEN" },
  /** A call named another team than the one the actor belongs to. */
  TEAM_MISMATCH: { code: "FORBIDDEN" },
  /** Granting a role or scope with permissions the granting actor does not hold, or the owner role without being an owner. */
  ROLE_ESCALATION: { code: "FORBIDDEN" },
  /** The change would leave the team without an active owner. */
  LAST_OWNER: { code: "CONFLICT" },
  /** A custom role still held by members or API keys cannot be deleted (details `members`, `api_keys`). */
  ROLE_IN_USE: { code: "CONFLICT" },
  /** A scanner output (import) holds nothing but whitespace. */
  EMPTY_INPUT: { code: "VALIDATION_FAILED" },
  /** A scanner output has NUL bytes in its first KiB: binary, not text (details `byte`). */
  BINARY_INPUT: { code: "VALIDATION_FAILED" },
  /** No supported scanner format matches the first KiB (details `seen`, `supported`). */
  UNKNOWN_FORMAT: { code: "VALIDATION_FAILED" },
  /** The declared content type does not match the bytes (details `content_type`, `format`). */
  CONTENT_TYPE_MISMATCH: { code: "VALIDATION_FAILED" },
  /** Broken or truncated JSON / CSV (details `record`, `byte` or `line`). */
  MALFORMED_INPUT: { code: "VALIDATION_FAILED" },
  /** A CSV header lacks a required column (details `column`). */
  MISSING_COLUMN: { code: "VALIDATION_FAILED" },
  /** One record is larger than the importer buffers (details `record`, `limit`). */
  RECORD_TOO_LARGE: { code: "VALIDATION_FAILED" },
  /** More records were rejected than allowed (details `record`, `max_rejects`). */
  TOO_MANY_REJECTS: { code: "VALIDATION_FAILED" },
  /** An input with no record that could be stored. */
  NO_IMPORTABLE_RECORD: { code: "VALIDATION_FAILED" },
} as const satisfies Record<string, { readonly code: ErrorCode }>;

/** A stable reason of the taxonomy (`details.reason`). */
export type ErrorReason = keyof typeof ERROR_REASONS;

/** The reasons that refine one code: `ReasonFor<"CONFLICT">` is `"VERSION_CONFLICT" | "ILLEGAL_TRANSITION" | …`. */
export type ReasonFor<C extends ErrorCode> = {
  [R in ErrorReason]: (typeof ERROR_REASONS)[R]["code"] extends C ? R : never;
}[ErrorReason];

/** True when `value` is a known reason. */
export function isErrorReason(value: unknown): value is ErrorReason {
  return typeof value === "string" && Object.hasOwn(ERROR_REASONS, value);
}

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { type TeamId, TeamIdSchema } from "@cspm/repository";

/** The kinds of opaque token the platform issues. */
export const TOKEN_KINDS = { apiKey: "cspm-ak", session: "cspm-st" } as const;
/** `cspm-ak` (API key) or `cspm-st` (session). */
export type TokenKind = (typeof TOKEN_KINDS)[keyof typeof TOKEN_KINDS];

/** Random bytes in every secret: 256 bits. */
export const TOKEN_SECRET_BYTES = 32;
const SECRET = /^[A-Za-z0-9_-]{43}$/;
/** Characters of the secret kept in the visible prefix (48 of 256 bits; 208 stay unknown). */
const PREFIX_SECRET_CHARS = 8;

/** A freshly issued token: the token itself (shown once), its hash (stored) and its visible prefix (stored, shown in lists). */
export interface IssuedToken {
  readonly token: string;
  readonly hash: string;
  readonly prefix: string;
}

/** A token of ours taken apart: its kind, the team it names, and its hash. The team is a claim until the hash is found in it. */
export interface ParsedToken {
  readonly kind: TokenKind;
  readonly teamId: TeamId;
  readonly hash: string;
}

/** The lowercase hex SHA-256 of a token: what is stored and looked up. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * Issues a token `<kind>.<teamId>.<43 base64url characters of 32 random bytes>`. The team in the token only
 * says where to look: authentication scopes the lookup to that team and finds the token by its hash, so a
 * token naming another team simply is not found there.
 */
export function issueToken(kind: TokenKind, teamId: TeamId): IssuedToken {
  const secret = randomBytes(TOKEN_SECRET_BYTES).toString("base64url");
  const token = `${kind}.${teamId}.${secret}`;
  return { token, hash: hashToken(token), prefix: `${kind}.${teamId}.${secret.slice(0, PREFIX_SECRET_CHARS)}` };
}

/** Takes one of our tokens apart, or `null` for anything else (a JWT, garbage). Never throws, never logs. */
export function parseToken(token: string): ParsedToken | null {
  if (token.length > 300) return null;
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [kind, team, secret] = parts as [string, string, string];
  if (kind !== TOKEN_KINDS.apiKey && kind !== TOKEN_KINDS.session) return null;
  const teamId = TeamIdSchema.safeParse(team);
  if (!teamId.success || !SECRET.test(secret)) return null;
  return { kind, teamId: teamId.data, hash: hashToken(token) };
}

/** Compares two hex hashes in constant time (`crypto.timingSafeEqual`); `false` for different lengths. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}

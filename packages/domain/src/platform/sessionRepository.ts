import {
  BaseRepository,
  defineRepository,
  trustedFilter,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
} from "@cspm/repository";
import { z } from "zod";
import { RefIdSchema } from "../common/documentSchema";
import { SessionSchema } from "./sessionSchema";

const definition = defineRepository({ database: "PLATFORM", collection: "sessions", schema: SessionSchema, keyFields: ["token_hash"] });

/** A stored session as read back. */
export type SessionDocument = RepositoryDocument<typeof SessionSchema>;

const TokenHashArgument = z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex SHA-256");

/** Login sessions (`cspm_platform.sessions`): only token hashes are stored; MongoDB's TTL index removes expired ones. */
export class SessionRepository extends BaseRepository<typeof SessionSchema> {
  /** The registry binding: PLATFORM / sessions. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Stores a session. Throws `VALIDATION_FAILED`, `CONFLICT` (token hash already used). */
  async create(teamId: string, input: RepositoryInput<typeof SessionSchema>): Promise<SessionDocument> {
    return this.forTeam(teamId).insertOne(input);
  }

  /** The unrevoked, unexpired session with this token hash, or `null`. Throws `VALIDATION_FAILED`. */
  async findActive(teamId: string, tokenHash: string, now: Date = new Date()): Promise<SessionDocument | null> {
    return this.forTeam(teamId).findOne(
      trustedFilter({
        token_hash: parseInput(TokenHashArgument, tokenHash, "tokenHash"),
        revoked_at: { $exists: false },
        expires_at: { $gt: parseInput(z.date(), now, "now") },
      }),
    );
  }

  /** Revokes the session with this token hash; `true` when one was revoked. Throws `VALIDATION_FAILED`. */
  async revoke(teamId: string, tokenHash: string, at: Date = new Date()): Promise<boolean> {
    const result = await this.forTeam(teamId).updateOne(
      trustedFilter({ token_hash: parseInput(TokenHashArgument, tokenHash, "tokenHash"), revoked_at: { $exists: false } }),
      { $set: { revoked_at: parseInput(z.date(), at, "at") } },
    );
    return result.modifiedCount === 1;
  }

  /** Revokes every live session of a user (log out everywhere); returns how many. Throws `VALIDATION_FAILED`. */
  async revokeAllForUser(teamId: string, userId: string, at: Date = new Date()): Promise<number> {
    const result = await this.forTeam(teamId).updateMany(
      trustedFilter({ user_id: parseInput(RefIdSchema, userId, "userId"), revoked_at: { $exists: false } }),
      { $set: { revoked_at: parseInput(z.date(), at, "at") } },
    );
    return result.modifiedCount;
  }
}

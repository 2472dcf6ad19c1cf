import { SessionRepository, type SessionDocument } from "@cspm/domain";
import { NotFoundError } from "@cspm/errors";
import {
  ObjectIdHexSchema,
  parseInput,
  parseTeamId,
  type RepositoryFactory,
  type TeamId,
  toObjectId,
  trustedFilter,
} from "@cspm/repository";
import { z } from "zod";
import { issueToken, TOKEN_KINDS } from "./credentialTokens";

/** A session as returned: never its token or hash. */
export interface SessionView {
  readonly id: string;
  readonly user_id: string;
  readonly created_at: Date;
  readonly expires_at: Date;
  readonly revoked_at?: Date;
}

/** A new session and its token (shown once; only its SHA-256 is stored). */
export interface CreatedSession {
  readonly session: SessionView;
  readonly token: string;
}

/** Options of `createSession`. */
export interface CreateSessionOptions {
  /** Lifetime in seconds (60–2,592,000); default the service's `ttlSeconds`. */
  readonly ttlSeconds?: number;
  readonly ip?: string;
  readonly userAgent?: string;
}

function sessionView(doc: SessionDocument): SessionView {
  return {
    id: doc._id.toHexString(),
    user_id: doc.user_id,
    created_at: doc.created_at,
    expires_at: doc.expires_at,
    ...(doc.revoked_at === undefined ? {} : { revoked_at: doc.revoked_at }),
  };
}

const OptionsSchema = z.strictObject({
  ttlSeconds: z.number().int().min(60).max(2_592_000).optional(),
  ip: z.union([z.ipv4(), z.ipv6()]).optional(),
  userAgent: z.string().max(512).optional(),
});

/**
 * Login sessions of a team's users: opaque 256-bit tokens stored as their SHA-256 (`sessions.token_hash`,
 * unique), expiring through the collection's TTL index on `expires_at` (and refused by authentication the
 * moment they expire, before MongoDB's TTL monitor removes them), revocable and rotatable. How a user logs in
 * (OIDC, a password) is the host's; this issues the session afterwards. Throws `VALIDATION_FAILED`, `NOT_FOUND`.
 */
export class SessionService {
  readonly #sessions: SessionRepository;
  readonly #now: () => Date;
  readonly #ttlSeconds: number;

  constructor(deps: { readonly repositories: RepositoryFactory; readonly clock: () => Date; readonly ttlSeconds?: number }) {
    this.#sessions = deps.repositories.get(SessionRepository);
    this.#now = deps.clock;
    this.#ttlSeconds = deps.ttlSeconds ?? 43_200;
  }

  /** Starts a session for a user of the team; returns the token once. Throws `VALIDATION_FAILED`. */
  async createSession(teamId: TeamId, userId: string, options: CreateSessionOptions = {}): Promise<CreatedSession> {
    const team = parseTeamId(teamId);
    const user = parseInput(ObjectIdHexSchema, userId, "userId");
    const opts = parseInput(OptionsSchema, options, "options");
    const issued = issueToken(TOKEN_KINDS.session, team);
    const doc = await this.#sessions.create(team, {
      user_id: user,
      token_hash: issued.hash,
      expires_at: new Date(this.#now().getTime() + (opts.ttlSeconds ?? this.#ttlSeconds) * 1000),
      ...(opts.ip === undefined ? {} : { ip: opts.ip }),
      ...(opts.userAgent === undefined ? {} : { user_agent: opts.userAgent }),
    });
    return { session: sessionView(doc), token: issued.token };
  }

  /**
   * Replaces a live session by a new one of the same user (new token, fresh lifetime) and revokes the old
   * one. Throws `VALIDATION_FAILED`, `NOT_FOUND` (no live session with this id).
   */
  async rotateSession(teamId: TeamId, sessionId: string, options: CreateSessionOptions = {}): Promise<CreatedSession> {
    const team = parseTeamId(teamId);
    const old = await this.#revoke(team, sessionId);
    return this.createSession(team, old.user_id, options);
  }

  /** Revokes one live session. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async revokeSession(teamId: TeamId, sessionId: string): Promise<SessionView> {
    return sessionView(await this.#revoke(parseTeamId(teamId), sessionId));
  }

  /** Revokes every live session of a user (log out everywhere); returns how many. Throws `VALIDATION_FAILED`. */
  async revokeUserSessions(teamId: TeamId, userId: string): Promise<number> {
    return this.#sessions.revokeAllForUser(parseTeamId(teamId), userId, this.#now());
  }

  async #revoke(team: TeamId, sessionId: string): Promise<SessionDocument> {
    const id = parseInput(ObjectIdHexSchema, sessionId, "sessionId");
    const revoked = await this.#sessions
      .forTeam(team)
      .findOneAndUpdate(
        trustedFilter({ _id: toObjectId(id, "sessionId"), revoked_at: { $exists: false }, expires_at: { $gt: this.#now() } }),
        { $set: { revoked_at: this.#now() } },
      );
    if (revoked === null) throw new NotFoundError(`No live session ${id} in this team.`, { details: { id } });
    return revoked;
  }
}

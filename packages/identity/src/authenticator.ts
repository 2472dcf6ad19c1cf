import { ApiKeyRepository, type Permission, SessionRepository, UserRepository } from "@cspm/domain";
import { UnauthenticatedError } from "@cspm/errors";
import type { RepositoryFactory } from "@cspm/repository";
import type { Actor } from "./actor";
import { hashesEqual, parseToken, TOKEN_KINDS } from "./credentialTokens";
import { JwtVerifier } from "./jwtVerifier";
import type { LastUsedTracker } from "./lastUsedTracker";
import type { RoleCatalog } from "./roleCatalog";

/** Dependencies of `Authenticator`. */
export interface AuthenticatorDependencies {
  readonly repositories: RepositoryFactory;
  readonly roles: RoleCatalog;
  readonly lastUsed: LastUsedTracker;
  readonly clock: () => Date;
  /** Verifies IdP JWTs; without it a JWT is an invalid credential. */
  readonly jwt?: JwtVerifier;
}

const INVALID = "The credential is missing, malformed, unknown, expired or revoked.";

function invalid(): UnauthenticatedError {
  return new UnauthenticatedError(INVALID, { reason: "CREDENTIAL_INVALID" });
}

/**
 * Resolves a bearer credential to an `Actor`: an API key (`cspm-ak.…`), a session token (`cspm-st.…`) or an
 * IdP JWT. Our tokens are looked up by the SHA-256 of the whole token only — within the team the token names,
 * so a token can never resolve in another team — and the stored hash is compared again in constant time;
 * nothing is ever looked up by prefix, so answers do not depend on whether some part of a guess exists.
 * Every refusal is the same `UNAUTHENTICATED` (reason `CREDENTIAL_MISSING` or `CREDENTIAL_INVALID`) with one
 * message; the token never appears in an error, a log or a query other than as its hash.
 */
export class Authenticator {
  readonly #keys: ApiKeyRepository;
  readonly #sessions: SessionRepository;
  readonly #users: UserRepository;
  readonly #roles: RoleCatalog;
  readonly #lastUsed: LastUsedTracker;
  readonly #now: () => Date;
  readonly #jwt: JwtVerifier | undefined;

  constructor(deps: AuthenticatorDependencies) {
    this.#keys = deps.repositories.get(ApiKeyRepository);
    this.#sessions = deps.repositories.get(SessionRepository);
    this.#users = deps.repositories.get(UserRepository);
    this.#roles = deps.roles;
    this.#lastUsed = deps.lastUsed;
    this.#now = deps.clock;
    this.#jwt = deps.jwt;
  }

  /** Whether IdP JWTs are accepted. */
  get acceptsJwt(): boolean {
    return this.#jwt !== undefined;
  }

  /** The actor of an `Authorization` header value (`Bearer <token>`). Throws `UNAUTHENTICATED`; `UNAVAILABLE` when MongoDB is down. */
  async authenticateHeader(header: string | readonly string[] | undefined): Promise<Actor> {
    if (header === undefined || header === "") {
      throw new UnauthenticatedError("This route needs a credential: send Authorization: Bearer <api key | session token | JWT>.", {
        reason: "CREDENTIAL_MISSING",
      });
    }
    if (typeof header !== "string") throw invalid();
    const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
    if (match === null) throw invalid();
    return this.authenticate(match[1] as string);
  }

  /** The actor of a bare token. Throws `UNAUTHENTICATED`; `UNAVAILABLE` when MongoDB is down. */
  async authenticate(token: string): Promise<Actor> {
    const parsed = parseToken(token);
    if (parsed?.kind === TOKEN_KINDS.apiKey) return this.#apiKey(parsed.teamId, parsed.hash);
    if (parsed?.kind === TOKEN_KINDS.session) return this.#session(parsed.teamId, parsed.hash);
    if (this.#jwt !== undefined && JwtVerifier.looksLikeJwt(token)) return this.#jwtActor(this.#jwt, token);
    throw invalid();
  }

  async #apiKey(teamId: Actor["teamId"], hash: string): Promise<Actor> {
    const key = await this.#keys.findByHash(teamId, hash);
    const now = this.#now();
    if (key === null || !hashesEqual(key.key_hash, hash) || key.revoked_at !== undefined) throw invalid();
    if (key.expires_at !== undefined && key.expires_at.getTime() <= now.getTime()) throw invalid();
    const rolePermissions = await this.#roles.permissionsOf(teamId, key.role);
    if (rolePermissions === null) throw invalid();
    const permissions: ReadonlySet<Permission> =
      key.scopes === undefined ? rolePermissions : new Set(key.scopes.filter((p) => rolePermissions.has(p)));
    const id = key._id.toHexString();
    this.#lastUsed.touch(teamId, id);
    return { type: "api_key", id, teamId, via: "api_key", role: key.role, permissions, label: key.prefix, credentialId: `api_key:${id}` };
  }

  async #session(teamId: Actor["teamId"], hash: string): Promise<Actor> {
    const session = await this.#sessions.findActive(teamId, hash, this.#now());
    if (session === null || !hashesEqual(session.token_hash, hash)) throw invalid();
    const user = /^[0-9a-f]{24}$/.test(session.user_id) ? await this.#users.forTeam(teamId).findById(session.user_id) : null;
    if (user === null || user.status !== "active") throw invalid();
    const permissions = await this.#roles.permissionsOf(teamId, user.role);
    if (permissions === null) throw invalid();
    const sessionId = session._id.toHexString();
    return {
      type: "user",
      id: user._id.toHexString(),
      teamId,
      via: "session",
      role: user.role,
      permissions,
      label: user.email,
      credentialId: `session:${sessionId}`,
    };
  }

  async #jwtActor(verifier: JwtVerifier, token: string): Promise<Actor> {
    const verified = await verifier.verify(token);
    if (verified === null) throw invalid();
    for (const role of verified.roles) {
      const permissions = await this.#roles.permissionsOf(verified.teamId, role);
      if (permissions !== null) {
        return {
          type: "user",
          id: verified.subject,
          teamId: verified.teamId,
          via: "jwt",
          role,
          permissions,
          ...(verified.email === undefined ? {} : { label: verified.email }),
          credentialId: `jwt:${verified.subject}`,
        };
      }
    }
    throw invalid();
  }
}

/** The session id of an actor that authenticated with a session token, else `undefined`. */
export function sessionIdOf(actor: Actor): string | undefined {
  return actor.via === "session" && actor.credentialId.startsWith("session:") ? actor.credentialId.slice("session:".length) : undefined;
}

import { ApiKeyRepository, type ApiKeyDocument, type Permission, PERMISSIONS, RoleNameSchema } from "@cspm/domain";
import { NotFoundError, ValidationError } from "@cspm/errors";
import { ObjectIdHexSchema, parseInput, parseTeamId, type RepositoryFactory, type TeamId } from "@cspm/repository";
import { z } from "zod";
import type { Actor } from "./actor";
import { issueToken, TOKEN_KINDS } from "./credentialTokens";
import { assertCanGrant, type RoleCatalog } from "./roleCatalog";

/** An API key as returned: never its secret or hash. */
export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  /** The token's visible beginning (`cspm-ak.<team>.<8 characters>`), to tell keys apart. */
  readonly prefix: string;
  readonly role: string;
  readonly scopes?: Permission[];
  readonly status: "active" | "expired" | "revoked";
  readonly created_by: { readonly type: string; readonly id: string };
  readonly created_at: Date;
  readonly expires_at?: Date;
  readonly last_used_at?: Date;
  readonly revoked_at?: Date;
}

/** A new key and its token: the only time the token is ever available. */
export interface CreatedApiKey {
  readonly key: ApiKeyView;
  /** Send as `Authorization: Bearer <token>`. Shown once; only its SHA-256 is stored. */
  readonly token: string;
}

/** Input of `createKey`. */
export interface CreateApiKeyInput {
  readonly name: string;
  /** Built-in or custom role the key acts in. */
  readonly role: string;
  /** Narrows the role's permissions to these. */
  readonly scopes?: readonly Permission[];
  /** Days until the key expires (1–3650); never, when absent. */
  readonly expiresInDays?: number;
}

/** The input `createKey` validates (`CreateApiKeyInput`). */
export const CreateApiKeyInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  role: RoleNameSchema,
  scopes: z.array(z.enum(PERMISSIONS)).min(1).max(PERMISSIONS.length).optional(),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});

const ListSchema = z.strictObject({
  limit: z.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(4096).nullable().optional(),
});

/** The client-safe view of a stored key (an explicit whitelist: the hash never leaves). */
export function apiKeyView(doc: ApiKeyDocument, now: Date): ApiKeyView {
  const status = doc.revoked_at ? "revoked" : doc.expires_at && doc.expires_at.getTime() <= now.getTime() ? "expired" : "active";
  return {
    id: doc._id.toHexString(),
    name: doc.name,
    prefix: doc.prefix,
    role: doc.role,
    ...(doc.scopes === undefined ? {} : { scopes: [...doc.scopes] }),
    status,
    created_by: { type: doc.created_by.type, id: doc.created_by.id },
    created_at: doc.created_at,
    ...(doc.expires_at === undefined ? {} : { expires_at: doc.expires_at }),
    ...(doc.last_used_at === undefined ? {} : { last_used_at: doc.last_used_at }),
    ...(doc.revoked_at === undefined ? {} : { revoked_at: doc.revoked_at }),
  };
}

/**
 * API keys of a team: 256-bit random tokens shown once, stored as their SHA-256 with a visible prefix, a role
 * (narrowed by optional scopes), an optional expiry, last use (batched by `LastUsedTracker`) and revocation.
 * Methods throw `VALIDATION_FAILED`, `NOT_FOUND`, `FORBIDDEN` (`ROLE_ESCALATION`).
 */
export class ApiKeyService {
  readonly #keys: ApiKeyRepository;
  readonly #roles: RoleCatalog;
  readonly #now: () => Date;

  constructor(deps: { readonly repositories: RepositoryFactory; readonly roles: RoleCatalog; readonly clock: () => Date }) {
    this.#keys = deps.repositories.get(ApiKeyRepository);
    this.#roles = deps.roles;
    this.#now = deps.clock;
  }

  /**
   * Issues a key acting in `role` (narrowed to `scopes`); the grantor must hold every permission the key
   * gets, and only an owner issues owner keys. Returns the token once. Throws `VALIDATION_FAILED` (unknown
   * role), `FORBIDDEN` (`ROLE_ESCALATION`).
   */
  async createKey(teamId: TeamId, input: CreateApiKeyInput, grantor: Actor): Promise<CreatedApiKey> {
    const team = parseTeamId(teamId);
    const data = parseInput(CreateApiKeyInputSchema, input, "");
    const rolePermissions = await this.#roles.requireRole(team, data.role);
    const granted = data.scopes === undefined ? [...rolePermissions] : data.scopes.filter((p) => rolePermissions.has(p));
    if (data.scopes !== undefined && granted.length !== data.scopes.length) {
      throw new ValidationError("Scopes must be permissions of the key's role.", [
        { path: "scopes", message: `are not all granted by the role "${data.role}"` },
      ]);
    }
    assertCanGrant(grantor, data.role, granted);
    const now = this.#now();
    const issued = issueToken(TOKEN_KINDS.apiKey, team);
    const doc = await this.#keys.create(team, {
      name: data.name,
      prefix: issued.prefix,
      key_hash: issued.hash,
      role: data.role,
      ...(data.scopes === undefined ? {} : { scopes: data.scopes }),
      created_by: { type: grantor.type, id: grantor.id },
      ...(data.expiresInDays === undefined ? {} : { expires_at: new Date(now.getTime() + data.expiresInDays * 86_400_000) }),
    });
    return { key: apiKeyView(doc, now), token: issued.token };
  }

  /** A page of the team's keys, newest first, revoked and expired ones included. Throws `VALIDATION_FAILED`. */
  async listKeys(
    teamId: TeamId,
    options: { limit?: number; cursor?: string | null } = {},
  ): Promise<{ items: ApiKeyView[]; nextCursor: string | null }> {
    const team = parseTeamId(teamId);
    const query = parseInput(ListSchema, options, "");
    const page = await this.#keys.page(team, query);
    const now = this.#now();
    return { items: page.items.map((doc) => apiKeyView(doc, now)), nextCursor: page.nextCursor };
  }

  /** Revokes a key: from now on it answers 401. Idempotent (a revoked key stays revoked). Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async revokeKey(teamId: TeamId, id: string): Promise<ApiKeyView> {
    const team = parseTeamId(teamId);
    const keyId = parseInput(ObjectIdHexSchema, id, "id");
    const now = this.#now();
    const revoked = (await this.#keys.revoke(team, keyId, now)) ?? (await this.#keys.forTeam(team).findById(keyId));
    if (revoked === null) throw new NotFoundError(`No API key ${keyId} in this team.`, { details: { id: keyId } });
    return apiKeyView(revoked, now);
  }
}

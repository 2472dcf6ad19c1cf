import { ApiKeyRepository, type Permission, PERMISSIONS, RoleNameSchema, RoleRepository, UserRepository } from "@cspm/domain";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "@cspm/errors";
import { parseInput, parseTeamId, type RepositoryFactory, type TeamId, type WriteOptions } from "@cspm/repository";
import { z } from "zod";
import type { Actor } from "./actor";
import { BUILT_IN_ROLE_NAMES, BUILT_IN_ROLES, isBuiltInRole } from "./roles";

/** A role as listed: built-in or the team's own. */
export interface RoleView {
  readonly name: string;
  readonly permissions: Permission[];
  readonly built_in: boolean;
  readonly description?: string;
}

/** Input of `RoleCatalog.createRole`. */
export interface CreateRoleInput {
  readonly name: string;
  readonly permissions: readonly Permission[];
  readonly description?: string;
}

/** The input `createRole` validates (`CreateRoleInput`). */
export const CreateRoleInputSchema = z.strictObject({
  name: RoleNameSchema.refine((name) => !isBuiltInRole(name), "is the name of a built-in role"),
  permissions: z
    .array(z.enum(PERMISSIONS))
    .min(1)
    .max(PERMISSIONS.length)
    .refine((list) => new Set(list).size === list.length, "must not repeat a permission"),
  description: z.string().trim().max(500).optional(),
});

/**
 * Throws `FORBIDDEN` (reason `ROLE_ESCALATION`) unless `grantor` may hand out `permissions` under the role
 * `role`: nobody grants a permission they do not hold, and only an owner grants `owner`.
 */
export function assertCanGrant(grantor: Actor, role: string, permissions: Iterable<Permission>): void {
  const missing = [...permissions].filter((p) => !grantor.permissions.has(p));
  if (missing.length > 0 || (role === "owner" && grantor.role !== "owner")) {
    throw new ForbiddenError(
      role === "owner" && grantor.role !== "owner"
        ? "Only an owner can grant the owner role."
        : `Cannot grant permissions this credential does not hold: ${missing.join(", ")}.`,
      { reason: "ROLE_ESCALATION", details: { role, missing } },
    );
  }
}

/**
 * The roles of a team: the four built-in ones (code) and the team's custom roles (`cspm_platform.roles`).
 * Resolves a role name to its permission set for authentication. Methods throw `VALIDATION_FAILED`,
 * `NOT_FOUND`, `CONFLICT`, `FORBIDDEN`.
 */
export class RoleCatalog {
  readonly #roles: RoleRepository;
  readonly #users: UserRepository;
  readonly #keys: ApiKeyRepository;

  constructor(repositories: RepositoryFactory) {
    this.#roles = repositories.get(RoleRepository);
    this.#users = repositories.get(UserRepository);
    this.#keys = repositories.get(ApiKeyRepository);
  }

  /** The permissions of `role` in the team, or `null` when the team has no such role. One query for a custom role, none for a built-in. */
  async permissionsOf(teamId: TeamId, role: string): Promise<ReadonlySet<Permission> | null> {
    if (isBuiltInRole(role)) return new Set(BUILT_IN_ROLES[role]);
    if (!RoleNameSchema.safeParse(role).success) return null;
    const custom = await this.#roles.findByName(teamId, role);
    return custom === null ? null : new Set(custom.permissions);
  }

  /** Like `permissionsOf`, but throws `VALIDATION_FAILED` (path `role`) for an unknown role. */
  async requireRole(teamId: TeamId, role: string): Promise<ReadonlySet<Permission>> {
    const permissions = await this.permissionsOf(teamId, parseInput(RoleNameSchema, role, "role"));
    if (permissions === null)
      throw new ValidationError(`No role "${role}" in this team.`, [{ path: "role", message: "is not a role of this team" }]);
    return permissions;
  }

  /** Built-in roles first, then the team's custom roles by name. */
  async listRoles(teamId: TeamId): Promise<RoleView[]> {
    const team = parseTeamId(teamId);
    const custom = await this.#roles.list(team);
    return [
      ...BUILT_IN_ROLE_NAMES.map((name) => ({ name, permissions: [...BUILT_IN_ROLES[name]], built_in: true })),
      ...custom.map((r) => ({
        name: r.name,
        permissions: [...r.permissions],
        built_in: false,
        ...(r.description === undefined ? {} : { description: r.description }),
      })),
    ];
  }

  /** Creates a custom role; the grantor must hold every permission in it. Throws `VALIDATION_FAILED`, `FORBIDDEN` (`ROLE_ESCALATION`), `CONFLICT` (name taken). */
  async createRole(teamId: TeamId, input: CreateRoleInput, grantor: Actor, options: WriteOptions = {}): Promise<RoleView> {
    const team = parseTeamId(teamId);
    const data = parseInput(CreateRoleInputSchema, input, "");
    assertCanGrant(grantor, data.name, data.permissions);
    const role = await this.#roles.create(
      team,
      { name: data.name, permissions: data.permissions, ...(data.description === undefined ? {} : { description: data.description }) },
      options,
    );
    return {
      name: role.name,
      permissions: [...role.permissions],
      built_in: false,
      ...(role.description === undefined ? {} : { description: role.description }),
    };
  }

  /** Deletes a custom role nobody holds. Throws `VALIDATION_FAILED` (built-in), `NOT_FOUND`, `CONFLICT` (`ROLE_IN_USE`, details `members`, `api_keys`). */
  async deleteRole(teamId: TeamId, name: string, options: WriteOptions = {}): Promise<void> {
    const team = parseTeamId(teamId);
    const role = parseInput(RoleNameSchema, name, "name");
    if (isBuiltInRole(role))
      throw new ValidationError("Built-in roles cannot be deleted.", [{ path: "name", message: "is a built-in role" }]);
    const members = (await this.#users.listByRole(team, role)).filter((u) => u.status !== "disabled").length;
    const apiKeys = await this.#keys.countWithRole(team, role);
    if (members > 0 || apiKeys > 0) {
      throw new ConflictError(`The role "${role}" is still held by ${members} members and ${apiKeys} API keys.`, {
        reason: "ROLE_IN_USE",
        details: { members, api_keys: apiKeys },
      });
    }
    if (!(await this.#roles.deleteByName(team, role, options)))
      throw new NotFoundError(`No custom role "${role}" in this team.`, { details: { name: role } });
  }
}

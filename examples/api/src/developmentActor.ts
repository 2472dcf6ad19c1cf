import type { Permission } from "@cspm/domain";
import { ValidationError } from "@cspm/errors";
import { type Actor, BUILT_IN_ROLES } from "@cspm/identity";
import { TeamIdSchema } from "@cspm/repository";
import type { FastifyRequest } from "fastify";

/** The header the development mode reads the team from. */
export const TEAM_HEADER = "x-team-id";

/** The warning printed when the development team header is switched on. */
export const DEVELOPMENT_HEADER_WARNING =
  `WARNING: development mode: a request without a credential acts as OWNER of the team in its ${TEAM_HEADER} header. ` +
  "Anyone who can reach this server can act for any team. Never enable it outside a developer's machine.";

/** The owner's permissions, one read-only set shared by every development actor (as role sets are). */
const OWNER_PERMISSIONS: ReadonlySet<Permission> = new Set(BUILT_IN_ROLES.owner);

/**
 * Development only (behind `buildApp({ developmentTeamHeader: true })`, which prints a warning): the actor
 * of a request that carries no credential but an `x-team-id` header — the owner of that team, recorded in
 * the audit log with `via: "development"`. Throws `VALIDATION_FAILED` (path `headers.x-team-id`) for a
 * malformed header.
 */
export function developmentActor(request: FastifyRequest): Actor | undefined {
  const value = request.headers[TEAM_HEADER];
  if (value === undefined || value === "") return undefined;
  const parsed = TeamIdSchema.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError(`The ${TEAM_HEADER} header is not a team id.`, [
      { path: `headers.${TEAM_HEADER}`, message: "must be one team id: 1-128 letters, digits, '_' or '-'" },
    ]);
  }
  return {
    type: "system",
    id: "development-header",
    teamId: parsed.data,
    via: "development",
    role: "owner",
    permissions: OWNER_PERMISSIONS,
    credentialId: `development:${parsed.data}`,
  };
}

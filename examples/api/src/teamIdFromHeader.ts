import { ValidationError } from "@cspm/errors";
import { type TeamId, TeamIdSchema } from "@cspm/repository";
import type { FastifyRequest } from "fastify";

/** The header the example API reads the caller's team from. */
export const TEAM_HEADER = "x-team-id";

/**
 * Decides which team a request acts for. Throw a taxonomy error to refuse the request (it becomes the
 * error envelope). A real deployment derives the team from a verified credential — e.g. a JWT claim checked
 * by an auth plugin — never from a header the client controls.
 */
export type ResolveTeamId = (request: FastifyRequest) => TeamId | Promise<TeamId>;

/**
 * The demo's team resolver: the `x-team-id` header, checked for shape only. Throws `VALIDATION_FAILED`
 * (400; issue path `headers.x-team-id`) when it is missing, repeated or malformed. Trusting a client header
 * is only acceptable behind a gateway that sets it from a verified token.
 */
export const teamIdFromHeader: ResolveTeamId = (request) => {
  const value = request.headers[TEAM_HEADER];
  if (value === undefined || value === "") {
    throw new ValidationError(`The ${TEAM_HEADER} header is required.`, [{ path: `headers.${TEAM_HEADER}`, message: "is required" }]);
  }
  const parsed = TeamIdSchema.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError(`The ${TEAM_HEADER} header is not a team id.`, [
      { path: `headers.${TEAM_HEADER}`, message: "must be one team id: 1-128 letters, digits, '_' or '-'" },
    ]);
  }
  return parsed.data;
};

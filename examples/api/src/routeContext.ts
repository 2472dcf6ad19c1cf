import type { RequestScope } from "@cspm/container";
import type { TeamId } from "@cspm/repository";
import type { ResponseService } from "@cspm/response";

declare module "fastify" {
  interface FastifyRequest {
    /** The team the request acts for (from `resolveTeamId`); empty on public routes. */
    teamId: TeamId;
    /** This request's scope of the service container: resolve services and repositories from it. */
    scope: RequestScope;
  }
  interface FastifyContextConfig {
    /** A route that needs no team (health, index). */
    public?: boolean;
  }
}

/** What every route module gets from `buildApp`. */
export interface RouteContext {
  readonly responses: ResponseService;
  /** Body limit of `POST /findings/import`, in bytes. */
  readonly importBodyLimit: number;
  /** Findings per upsert round trip of an import. */
  readonly importBatchSize: number;
}

import type { RequestScope } from "@cspm/container";
import type { Actor } from "@cspm/identity";
import type { TeamId } from "@cspm/repository";
import type { ResponseService } from "@cspm/response";
import type { ActorServices } from "@cspm/services";

declare module "fastify" {
  interface FastifyRequest {
    /** Who is calling (from the bearer credential); absent on public routes. */
    actor: Actor | null;
    /** The actor's team: the only team the request can act for; empty on public routes. */
    teamId: TeamId;
    /** This request's scope of the service container. */
    scope: RequestScope;
    /** The actor-bound services: every read authorized, every mutation authorized and audited. Routes use only these. */
    services: ActorServices;
  }
  interface FastifyInstance {
    /** Every route of the API as `METHOD /path` (the documentation's own routes aside), in registration order. */
    readonly routeList: readonly string[];
  }
  interface FastifyContextConfig {
    /** A route that needs no credential and no team (health, index). */
    public?: boolean;
  }
}

/** What every route module gets from `buildApp`. */
export interface RouteContext {
  readonly responses: ResponseService;
  /** Hard cap of the streamed body of `POST /findings/import`, in bytes. */
  readonly importBodyLimit: number;
  /** Documents per write round trip of an import (1–1000). */
  readonly importBatchSize: number;
}

import type { AUDIT_ACTOR_TYPES, AUDIT_ACTOR_VIAS, Permission } from "@cspm/domain";
import { ForbiddenError } from "@cspm/errors";
import type { TeamId } from "@cspm/repository";
import { BUILT_IN_ROLES } from "./roles";

/** Who an actor is: a person, an API key, or the platform itself. */
export type ActorType = (typeof AUDIT_ACTOR_TYPES)[number];
/** How an actor authenticated. */
export type ActorVia = (typeof AUDIT_ACTOR_VIAS)[number];

/**
 * Who is acting, for which team, with which permissions: what every credential (API key, session, JWT)
 * resolves to, and what the actor-bound services check and record. `teamId` is the only team it may act for.
 */
export interface Actor {
  readonly type: ActorType;
  /** User id (users `_id`, or the IdP subject for a JWT), API key id, or a system name (`demo-seed`, `cli:ann`). */
  readonly id: string;
  readonly teamId: TeamId;
  readonly via: ActorVia;
  /** The role the actor acts in (built-in or custom). */
  readonly role: string;
  readonly permissions: ReadonlySet<Permission>;
  /** A non-secret label for people reading the audit log: an email, an API key's visible prefix. */
  readonly label?: string;
  /** One id per credential (rate limits count per credential): `api_key:<id>`, `session:<id>`, `jwt:<sub>`. */
  readonly credentialId: string;
}

/** True when the actor's role grants `permission`. */
export function hasPermission(actor: Actor, permission: Permission): boolean {
  return actor.permissions.has(permission);
}

/**
 * The one permission check of the data layer: throws `FORBIDDEN` (reason `PERMISSION_DENIED`, details
 * `permission`, `role`) unless the actor's role grants `permission`. The actor-bound services call it (through
 * `authorize`) before every read and every mutation.
 */
export function requirePermission(actor: Actor, permission: Permission): void {
  if (!actor.permissions.has(permission)) {
    throw new ForbiddenError(`The role "${actor.role}" does not have the permission "${permission}".`, {
      reason: "PERMISSION_DENIED",
      details: { permission, role: actor.role },
    });
  }
}

/** Throws `FORBIDDEN` (reason `TEAM_MISMATCH`) when `teamId` is not the actor's team: an actor never acts for another team. */
export function assertActsFor(actor: Actor, teamId: string): void {
  if (teamId !== actor.teamId) {
    throw new ForbiddenError("This credential cannot act for another team.", { reason: "TEAM_MISMATCH" });
  }
}

/** `assertActsFor` then `requirePermission`: what every actor-bound call runs first. Throws `FORBIDDEN`. */
export function authorize(actor: Actor, teamId: string, permission: Permission): void {
  assertActsFor(actor, teamId);
  requirePermission(actor, permission);
}

/**
 * An actor for the platform's own work in one team (the demo seed, a CLI run without an API key, a
 * migration), with the permissions of `role` (default `owner`). Never derived from a request.
 */
export function systemActor(teamId: TeamId, name: string, role: keyof typeof BUILT_IN_ROLES = "owner"): Actor {
  return {
    type: "system",
    id: name,
    teamId,
    via: "system",
    role,
    permissions: new Set(BUILT_IN_ROLES[role]),
    credentialId: `system:${name}`,
  };
}

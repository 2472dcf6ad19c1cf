import { ContractViolationError, ForbiddenError } from "@cspm/errors";
import { parseTeamId, type TeamId } from "./parseInput";
import { RepositoryCore } from "./repositoryCore";
import type { ObjectSchema, RepositoryContext, RepositoryDefinition } from "./repositoryDefinition";
import { ScopedRepository } from "./scopedRepository";
import type { WriteObserver } from "./writeObserver";

/**
 * A repository bound to one registry collection and its zod schema. It has no data methods of its own:
 * `forTeam(teamId)` (tenant-owned collections) or `shared()` (shared collections) returns the
 * `ScopedRepository` that has them, so nothing can be read or written without a scope.
 * Subclass it for domain query methods that take the team explicitly. The constructor throws
 * `VALIDATION_FAILED` (unknown or foreign collection) or `CONTRACT_VIOLATION` (legacy collection, bad schema or keyFields).
 * @example const findings = new BaseRepository({ provider }, { database: "CLOUD_SECURITY", collection: "prowler_findings", schema });
 * await findings.forTeam("team-a").findMany({ status: "FAIL" });
 */
export class BaseRepository<S extends ObjectSchema = ObjectSchema> {
  readonly #core: RepositoryCore<S>;
  readonly #scopes = new Map<string, ScopedRepository<S>>();
  #shared: ScopedRepository<S> | undefined;

  /**
   * `options.writeObserver` hears of every team-scoped write of this repository before and after it (derived
   * data such as finding rollups), so no caller can write around it.
   */
  constructor(context: RepositoryContext, definition: RepositoryDefinition<S>, options: { writeObserver?: WriteObserver } = {}) {
    this.#core = new RepositoryCore(context, definition, options.writeObserver);
  }

  /** The definition this repository was built from. */
  get definition(): RepositoryDefinition<S> {
    return this.#core.definition;
  }

  /** True when the registry marks the collection tenant-owned (every operation needs a team). */
  get tenantOwned(): boolean {
    return this.#core.tenantOwned;
  }

  /** `"<DATABASE_KEY>.<collection>"`, e.g. `"CLOUD_SECURITY.prowler_findings"`. */
  get key(): string {
    return this.#core.key;
  }

  /**
   * All data operations scoped to one team. A plain string is parsed with `TeamIdSchema` here (the one
   * tenancy check every path goes through). Throws `VALIDATION_FAILED` for a malformed team id (1-128
   * letters, digits, `_`, `-`) and `CONTRACT_VIOLATION` on a shared collection.
   */
  forTeam(teamId: TeamId | string): ScopedRepository<S> {
    const scopeCached = this.#scopes.get(teamId);
    if (scopeCached !== undefined) return scopeCached;
    const team = parseTeamId(teamId);
    if (!this.#core.tenantOwned) {
      throw new ContractViolationError(`${this.#core.key} is shared by all teams; use shared() instead of forTeam().`, {
        details: { repository: this.#core.key },
      });
    }
    const scope = new ScopedRepository(this.#core, team);
    if (this.#scopes.size >= 1_000) this.#scopes.clear();
    this.#scopes.set(team, scope);
    return scope;
  }

  /** All data operations on a collection shared by all teams. Throws `FORBIDDEN` on a tenant-owned collection. */
  shared(): ScopedRepository<S> {
    if (this.#core.tenantOwned) {
      throw new ForbiddenError(`${this.#core.key} is tenant-owned; use forTeam(teamId).`, { details: { repository: this.#core.key } });
    }
    this.#shared ??= new ScopedRepository(this.#core, null);
    return this.#shared;
  }
}

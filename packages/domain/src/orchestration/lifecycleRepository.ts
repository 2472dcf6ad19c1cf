import { BaseRepository, type ObjectSchema, type RepositoryDocument, parseInput, toObjectId } from "@cspm/repository";
import type { ObjectId } from "mongodb";
import { z } from "zod";
import { assertTransition, LifecycleStatusSchema, sourcesOf, TERMINAL_STATUSES, type LifecycleStatus } from "./lifecycle";

/** Options of a lifecycle transition. */
export interface TransitionOptions {
  /** The state the caller believes the document is in; the move happens only from exactly this state. */
  readonly from?: LifecycleStatus;
  /** When it happened (`started_at` for `running`, `finished_at` for terminal states). Default: now. */
  readonly at?: Date;
  /** Error text stored with `failed` (or a reason with `cancelled`). */
  readonly error?: string;
}

/**
 * A repository whose documents follow `LIFECYCLE_TRANSITIONS` (scan runs, jobs, sub-jobs). Every move is one
 * conditional `findOneAndUpdate({ _id, team_id, status: <legal source> }, { $set: { status } })`, so
 * concurrent movers cannot both succeed.
 */
export abstract class LifecycleRepository<S extends ObjectSchema> extends BaseRepository<S> {
  /** How messages name a document of this repository (`"job"`). */
  protected abstract readonly noun: string;

  /**
   * Moves one document to `to`. Throws `VALIDATION_FAILED` (bad id/state), `NOT_FOUND` (not this team's),
   * `CONFLICT` with details `{ from, to, reason: "ILLEGAL_TRANSITION" }` when the document's current state
   * (or `options.from`) cannot go to `to` — including when another worker moved it first.
   */
  async transition(
    teamId: string,
    id: ObjectId | string,
    to: LifecycleStatus,
    options: TransitionOptions = {},
  ): Promise<RepositoryDocument<S>> {
    return this.move(teamId, id, to, options, {});
  }

  /** `pending -> running`. Throws as `transition`. */
  async start(teamId: string, id: ObjectId | string, at?: Date): Promise<RepositoryDocument<S>> {
    return this.transition(teamId, id, "running", at === undefined ? {} : { at });
  }

  /** `running -> failed` with an error text. Throws as `transition`. */
  async fail(teamId: string, id: ObjectId | string, error: string, at?: Date): Promise<RepositoryDocument<S>> {
    return this.transition(teamId, id, "failed", at === undefined ? { error } : { error, at });
  }

  /** `pending | running -> cancelled`, with an optional reason. Throws as `transition`. */
  async cancel(teamId: string, id: ObjectId | string, reason?: string): Promise<RepositoryDocument<S>> {
    return this.transition(teamId, id, "cancelled", reason === undefined ? {} : { error: reason });
  }

  /** The move itself, with extra `$set` fields (validated by the base repository) for subclasses. */
  protected async move(
    teamId: string,
    id: ObjectId | string,
    to: LifecycleStatus,
    options: TransitionOptions,
    extra: Record<string, unknown>,
  ): Promise<RepositoryDocument<S>> {
    const scope = this.forTeam(teamId);
    const _id = toObjectId(id);
    const target = parseInput(LifecycleStatusSchema, to, "to");
    const from = options.from === undefined ? undefined : parseInput(LifecycleStatusSchema, options.from, "from");
    if (from !== undefined) assertTransition(from, target, this.noun);
    const sources = from === undefined ? sourcesOf(target) : [from];
    const at = parseInput(z.date(), options.at ?? new Date(), "at");
    const set: Record<string, unknown> = { ...extra };
    if (target === "running") set["started_at"] = at;
    if (TERMINAL_STATUSES.includes(target)) set["finished_at"] = at;
    if (options.error !== undefined) set["error"] = parseInput(z.string().max(4000), options.error, "error");
    return scope.moveStatus(_id, { from: sources, to: target, set, entity: this.noun });
  }
}

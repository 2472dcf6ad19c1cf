import {
  type AuditLogDocument,
  type AuditLogPageQuery,
  AuditLogRepository,
  AuditLogSchema,
  AuditOutboxRepository,
  type Permission,
} from "@cspm/domain";
import { isCspmError } from "@cspm/errors";
import type { CSPMDatabaseManager } from "@cspm/mongo";
import { type Page, parseTeamId, type RepositoryFactory, type TeamId } from "@cspm/repository";
import { type ClientSession, ObjectId } from "mongodb";
import { type Actor, authorize } from "./actor";
import { type AuditChanges, auditDigest } from "./auditDigest";

/** Who, for which team, in which request: what every audited call carries. */
export interface AuditContext {
  readonly actor: Actor;
  /** The team the call names; must be the actor's (else `FORBIDDEN`, recorded as `denied`). */
  readonly teamId: TeamId;
  readonly requestId?: string;
  readonly ip?: string;
}

/** Non-secret facts about a result, stored in the entry's `metadata`. */
export type AuditMetadata = Readonly<Record<string, string | number | boolean | null>>;

/**
 * How a mutation is audited. `transaction`: the change runs in a transaction (the callback receives its
 * `session` and must pass it to every write) and the entry is inserted in the same transaction. `outbox`: the
 * entry is written to `audit_outbox` first, the change runs, then the entry moves to `audit_logs` with its
 * outcome; after a crash the relay records it as `interrupted`.
 */
export type AuditMode = "transaction" | "outbox";

/** One audited mutation: its action name, the permission it needs, its target and its input (digested, never stored). */
export interface AuditedMutation<R> {
  /** Dotted action name, `<target type>.<verb>`: `cloud_account.create`, `findings.import`, `mute_rule.delete`. */
  readonly action: string;
  readonly permission: Permission;
  /** The target; leave `id` out when the change creates it and give `targetIdOf`. */
  readonly target: { readonly type: string; readonly id?: string };
  readonly targetIdOf?: (result: R) => string | undefined;
  /** The mutation's input: only its field names and a secret-free digest are recorded (`auditDigest`). */
  readonly changes?: unknown;
  readonly mode: AuditMode;
  readonly metadataOf?: (result: R) => AuditMetadata | undefined;
}

/** What the mutation callback receives: the transaction's session in `transaction` mode. */
export interface MutationScope {
  readonly session?: ClientSession;
}

/** Dependencies of `AuditTrail`. */
export interface AuditTrailDependencies {
  /** Runs `transaction`-mode mutations (`withTransaction`). */
  readonly manager: Pick<CSPMDatabaseManager, "withTransaction">;
  readonly repositories: RepositoryFactory;
  readonly clock: () => Date;
  /** Told when an entry could not be settled right away (it stays in the outbox for the relay). Default: ignore. */
  readonly onError?: (error: unknown) => void;
}

/** Options of `relayOutbox`. */
export interface RelayOptions {
  /** Only entries older than this are relayed: a live mutation settles its own (default 5 minutes). */
  readonly olderThanMs?: number;
  /** At most this many per call (default 500). */
  readonly limit?: number;
}

/** Placeholder target id of an entry whose target the mutation creates (replaced by `targetIdOf`). */
const NEW_TARGET = "new";

type EntryFields = Omit<Parameters<AuditLogRepository["record"]>[1], "outcome" | "error_code">;

/**
 * The audit trail, and the one gate every mutation goes through: `run(context, mutation, fn)` checks the
 * actor's team and permission (`authorize`), runs `fn`, and writes exactly one `audit_logs` entry — actor,
 * team, action, target, outcome (`success`, `failure` with the error code, `denied`), request id, time, and a
 * digest of the input — in the same transaction (`transaction` mode) or through the outbox (`outbox`
 * mode). Also the audit log's query API (`page`) and the outbox relay (`relayOutbox`).
 */
export class AuditTrail {
  readonly #manager: AuditTrailDependencies["manager"];
  readonly #log: AuditLogRepository;
  readonly #outbox: AuditOutboxRepository;
  readonly #now: () => Date;
  readonly #onError: (error: unknown) => void;

  constructor(deps: AuditTrailDependencies) {
    this.#manager = deps.manager;
    this.#log = deps.repositories.get(AuditLogRepository);
    this.#outbox = deps.repositories.get(AuditOutboxRepository);
    this.#now = deps.clock;
    this.#onError = deps.onError ?? (() => undefined);
  }

  /**
   * Authorizes, runs and audits one mutation (see the class). Rethrows whatever `fn` throws after recording
   * it as `failure`; throws `FORBIDDEN` (recorded as `denied`, `fn` not run). In `outbox` mode a failure to
   * write the outbox entry throws (`UNAVAILABLE`) before `fn` runs, so no change goes unaudited.
   * @example await audit.run({ actor, teamId, requestId }, { action: "findings.import", permission: "manage_scans",
   *   target: { type: "cloud_account", id }, mode: "outbox" }, () => importer.run(...));
   */
  async run<R>(context: AuditContext, mutation: AuditedMutation<R>, fn: (scope: MutationScope) => Promise<R>): Promise<R> {
    const { actor } = context;
    // Entries always go to the actor's own team: a call naming another team is refused and recorded there.
    const team = actor.teamId;
    const id = new ObjectId();
    const changes = auditDigest(mutation.changes);
    const fields: EntryFields = {
      _id: id,
      actor: {
        type: actor.type,
        id: actor.id,
        via: actor.via,
        role: actor.role,
        ...(actor.label === undefined ? {} : { label: actor.label.slice(0, 200) }),
      },
      action: mutation.action,
      target: { type: mutation.target.type, id: mutation.target.id ?? NEW_TARGET },
      ...(context.requestId === undefined ? {} : { request_id: context.requestId }),
      ...(changes === undefined ? {} : { changes: changes as AuditChanges }),
      occurred_at: this.#now(),
      // An address the schema cannot store (a zone id: fe80::1%eth0) is left out rather than failing the write.
      ...(context.ip === undefined || !AuditLogSchema.shape.ip.safeParse(context.ip).success ? {} : { ip: context.ip }),
    };
    try {
      authorize(actor, context.teamId, mutation.permission);
    } catch (error) {
      await this.#record(team, fields, "denied", error);
      throw error;
    }
    return mutation.mode === "transaction"
      ? this.#runInTransaction(team, fields, mutation, fn)
      : this.#runThroughOutbox(team, fields, mutation, fn);
  }

  /** A keyset page of the team's audit log, newest first (see `AuditLogRepository.page` for the filters). Throws `VALIDATION_FAILED`. */
  page(teamId: TeamId, query: AuditLogPageQuery = {}): Promise<Page<AuditLogDocument>> {
    return this.#log.page(parseTeamId(teamId), query);
  }

  /**
   * Moves outbox entries older than `olderThanMs` to `audit_logs` as `interrupted` — the process that
   * wrote them stopped (or lost MongoDB) between the change and its entry. Safe to run anywhere and
   * concurrently: an entry already moved (same `_id`) is not written twice. Returns how many it moved.
   * Throws `UNAVAILABLE` when MongoDB cannot be reached.
   */
  async relayOutbox(options: RelayOptions = {}): Promise<number> {
    const cutoff = new Date(this.#now().getTime() - (options.olderThanMs ?? 300_000));
    const pending = await this.#outbox.listOlderThan(cutoff, options.limit ?? 500);
    let moved = 0;
    for (const doc of pending) {
      const { team_id, ...entry } = doc.entry;
      await this.#insertOnce(team_id, { ...entry, _id: doc._id, outcome: "interrupted" });
      await this.#outbox.remove(doc._id);
      moved += 1;
    }
    return moved;
  }

  async #runInTransaction<R>(
    team: TeamId,
    fields: EntryFields,
    mutation: AuditedMutation<R>,
    fn: (scope: MutationScope) => Promise<R>,
  ): Promise<R> {
    try {
      return await this.#manager.withTransaction(async (session) => {
        const result = await fn({ session });
        await this.#log.record(team, this.#settled(fields, mutation, result, "success"), { session });
        return result;
      });
    } catch (error) {
      // The transaction rolled back: nothing changed, and the failure is recorded on its own.
      await this.#record(team, fields, "failure", error);
      throw error;
    }
  }

  async #runThroughOutbox<R>(
    team: TeamId,
    fields: EntryFields,
    mutation: AuditedMutation<R>,
    fn: (scope: MutationScope) => Promise<R>,
  ): Promise<R> {
    const { _id, ...entry } = fields;
    await this.#outbox.add({ _id: _id as ObjectId, entry: { team_id: team, ...entry } });
    let result: R;
    try {
      result = await fn({});
    } catch (error) {
      await this.#settle(team, { ...fields, outcome: "failure", error_code: codeOf(error) });
      throw error;
    }
    await this.#settle(team, this.#settled(fields, mutation, result, "success"));
    return result;
  }

  #settled<R>(
    fields: EntryFields,
    mutation: AuditedMutation<R>,
    result: R,
    outcome: "success",
  ): Parameters<AuditLogRepository["record"]>[1] {
    const targetId = fields.target.id === NEW_TARGET ? mutation.targetIdOf?.(result) : undefined;
    const metadata = mutation.metadataOf?.(result);
    return {
      ...fields,
      ...(targetId === undefined ? {} : { target: { ...fields.target, id: targetId } }),
      ...(metadata === undefined ? {} : { metadata }),
      outcome,
    };
  }

  /** Moves an outbox entry to the log with its outcome; on trouble it stays in the outbox for the relay. Never throws. */
  async #settle(team: TeamId, entry: Parameters<AuditLogRepository["record"]>[1]): Promise<void> {
    try {
      await this.#insertOnce(team, entry);
      await this.#outbox.remove(entry._id as ObjectId);
    } catch (error) {
      this.#onError(error);
    }
  }

  /** Records a denied or failed attempt on its own; an audit write failure is reported, the original error wins. */
  async #record(team: TeamId, fields: EntryFields, outcome: "denied" | "failure", error: unknown): Promise<void> {
    try {
      await this.#log.record(team, { ...fields, outcome, error_code: codeOf(error) });
    } catch (auditError) {
      this.#onError(auditError);
    }
  }

  /** Inserts an entry under its `_id`; one already stored (by the relay or a retry) is left as it is. */
  async #insertOnce(team: TeamId, entry: Parameters<AuditLogRepository["record"]>[1]): Promise<void> {
    try {
      await this.#log.record(team, entry);
    } catch (error) {
      if (isCspmError(error) && error.reason === "DUPLICATE_KEY") return;
      throw error;
    }
  }
}

function codeOf(error: unknown): string {
  return isCspmError(error) ? error.code : "INTERNAL";
}

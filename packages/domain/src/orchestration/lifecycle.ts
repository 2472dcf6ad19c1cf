import { ConflictError } from "@cspm/errors";
import { z } from "zod";

/** The states of a scan run, job or sub-job. */
export const LIFECYCLE_STATUSES = ["pending", "running", "completed", "failed", "cancelled"] as const;

/** One of `LIFECYCLE_STATUSES`. */
export const LifecycleStatusSchema = z.enum(LIFECYCLE_STATUSES);

/** A lifecycle state. */
export type LifecycleStatus = z.infer<typeof LifecycleStatusSchema>;

/**
 * The legal transitions: `pending -> running | cancelled`, `running -> completed | failed | cancelled`.
 * `completed`, `failed` and `cancelled` are terminal.
 */
export const LIFECYCLE_TRANSITIONS: Readonly<Record<LifecycleStatus, readonly LifecycleStatus[]>> = Object.freeze({
  pending: Object.freeze(["running", "cancelled"] as const),
  running: Object.freeze(["completed", "failed", "cancelled"] as const),
  completed: Object.freeze([] as const),
  failed: Object.freeze([] as const),
  cancelled: Object.freeze([] as const),
});

/** The states with no way out. */
export const TERMINAL_STATUSES: readonly LifecycleStatus[] = Object.freeze(["completed", "failed", "cancelled"] as const);

/** True when `from -> to` is in `LIFECYCLE_TRANSITIONS`. */
export function canTransition(from: LifecycleStatus, to: LifecycleStatus): boolean {
  return LIFECYCLE_TRANSITIONS[from].includes(to);
}

/** The states from which `to` may be entered (e.g. `running` from `pending`). */
export function sourcesOf(to: LifecycleStatus): LifecycleStatus[] {
  return LIFECYCLE_STATUSES.filter((from) => canTransition(from, to));
}

/** Throws `CONFLICT` with details `{ from, to }` unless `from -> to` is legal. */
export function assertTransition(from: LifecycleStatus, to: LifecycleStatus, what = "document"): void {
  if (!canTransition(from, to)) throw ConflictError.illegalTransition(from, to, what);
}

/** The lifecycle fields shared by scan runs, jobs and sub-jobs. */
export const LIFECYCLE_SHAPE = {
  status: LifecycleStatusSchema,
  started_at: z.date().optional(),
  finished_at: z.date().optional(),
  error: z.string().max(4000).optional(),
} as const;

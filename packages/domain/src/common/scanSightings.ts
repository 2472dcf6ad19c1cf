import { type FieldIssue, isCspmError, issuesFromZod, ValidationError } from "@cspm/errors";
import type { BaseRepository, ScopedPipelineUpdate } from "@cspm/repository";
import { type Document, ObjectId } from "mongodb";
import { z } from "zod";

/** How one finding compares with its state at the end of the previous scan that saw it. */
export const SIGHTING_DELTAS = ["new", "changed", "unchanged"] as const;

/** One of `SIGHTING_DELTAS`. */
export const SightingDeltaSchema = z.enum(SIGHTING_DELTAS);

/** `new` (first sighting), `changed` (a state field differs from the previous scan), `unchanged`. */
export type SightingDelta = z.infer<typeof SightingDeltaSchema>;

/**
 * The lifecycle fields every sighted document carries (findings, Nuclei matches). The write path sets them;
 * callers never pass them. `previous` is the state as the previous scan left it (kept while the same scan
 * writes the document again, so a re-run computes the same `delta`).
 */
export function sightingLifecycleShape<S extends z.ZodRawShape>(previousState: S) {
  return {
    delta: SightingDeltaSchema.optional(),
    previous: z.strictObject({ scan_id: z.string().max(128).optional(), resolved_at: z.date().optional(), ...previousState }).optional(),
    resolved_at: z.date().optional(),
    resolved_by_scan: z.string().min(1).max(128).optional(),
    reopened_at: z.date().optional(),
    reopened_by_scan: z.string().min(1).max(128).optional(),
  } as const;
}

/** The lifecycle fields, which an import never writes directly. */
const LIFECYCLE_FIELDS = new Set(["delta", "previous", "resolved_at", "resolved_by_scan", "reopened_at", "reopened_by_scan"]);
const SYSTEM_FIELDS = new Set(["_id", "team_id", "created_at", "updated_at", "version", "deleted_at"]);

/** What a sighting write needs to know about its collection. */
export interface SightingSpec {
  /** The natural key (with `team_id`, which is always added): the unique index of the collection. */
  readonly identity: readonly string[];
  /** The fields whose change makes a sighting `changed`. */
  readonly state: readonly string[];
  /** Optional data fields an import owns: removed when a newer sighting no longer has them. */
  readonly optional: readonly string[];
  /** Fields an import may leave out, kept as stored then (written with this value on insert): `{ muted: false }`. */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /**
   * Stored fields computed from each input document before it is validated (a numeric severity rank,
   * lower-cased search terms): written like the document's own fields.
   */
  readonly derive?: (doc: Readonly<Document>) => Document;
  /**
   * Extra `$set`/`$unset` stages run after `delta` and the reopen fields are computed, in the same write (the
   * finding's lifecycle `state`, its bounded `history`). They see the document as this sighting leaves it.
   */
  readonly after?: (scan: SightingScan) => Document[];
}

/** One scan's sighting of documents: which scan, when, and (for the counts) of which team. */
export interface SightingScan {
  readonly scanId: string;
  readonly seenAt: Date;
}

/** A document a sighting write could not store; the others of the batch were stored. */
export interface SightingError {
  /** Position in the input array. */
  readonly index: number;
  readonly code: string;
  readonly message: string;
  readonly issues?: readonly FieldIssue[];
}

/** What one sighting write did: `inserted` new documents, `updated` changed ones, `unchanged` ones left as they were. */
export interface SightingWriteResult {
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly errors: SightingError[];
}

/** The exact lifecycle counts of one scan (after its writes and its resolve sweep). */
export interface ScanLifecycleCounts {
  /** Documents first seen by the scan (`delta: "new"`). */
  readonly inserted: number;
  readonly changed: number;
  readonly unchanged: number;
  /** Documents the scan's sweep marked resolved. */
  readonly resolved: number;
  /** Documents resolved earlier and seen again by the scan. */
  readonly reopened: number;
}

/** A value as an aggregation expression: `$literal` where it could be read as a path or an expression. */
function literal(value: unknown): unknown {
  if (typeof value === "string") return value.startsWith("$") ? { $literal: value } : value;
  if (typeof value !== "object" || value === null || value instanceof Date || value instanceof ObjectId) return value;
  return { $literal: value };
}

function missing(path: string): Document {
  return { $eq: [{ $type: `$${path}` }, "missing"] };
}

/**
 * The filter and update pipeline that record one validated document as seen by `scan`: insert it (first
 * sighting), or update it keeping `first_seen_at` (moved back only by an earlier sighting imported late), the defaulted fields (a user's mute) and, when the same
 * scan writes it again, the `previous` state; then `delta` from `previous`, and a resolved document reopened.
 * `updated_at` moves only when something differs, so an identical re-write is a no-op for the server.
 */
export function sightingUpdate(
  doc: Document,
  spec: SightingSpec,
  scan: SightingScan,
  now: Date,
  given: ReadonlySet<string>,
): { filter: Document; update: Document[] } {
  const filter: Document = {};
  for (const field of spec.identity) filter[field] = doc[field];
  const scanId = literal(scan.scanId);
  const sameScan = { $eq: ["$scan_id", scanId] };
  const isNew = missing("_id");
  const previousState: Document = { scan_id: "$scan_id", resolved_at: "$resolved_at" };
  for (const field of spec.state) previousState[field] = `$${field}`;

  const written: Document = { scan_id: scanId, last_seen_at: scan.seenAt };
  const same: Document[] = [sameScan, { $eq: ["$last_seen_at", scan.seenAt] }];
  const kept: Document = {};
  for (const [field, value] of Object.entries(doc)) {
    if (SYSTEM_FIELDS.has(field) || LIFECYCLE_FIELDS.has(field) || field === "first_seen_at" || field === "last_seen_at") continue;
    if (field === "scan_id") continue;
    if (spec.defaults !== undefined && field in spec.defaults && !given.has(field)) {
      kept[field] = { $ifNull: [`$${field}`, literal(value)] };
      same.push({ $ne: [{ $type: `$${field}` }, "missing"] });
      continue;
    }
    written[field] = literal(value);
    same.push({ $eq: [`$${field}`, literal(value)] });
  }
  const dropped = spec.optional.filter((field) => doc[field] === undefined);
  for (const field of dropped) same.push(missing(field));

  const stateSame = spec.state.map((field) => ({ $eq: [`$previous.${field}`, `$${field}`] }));
  const wasResolved = { $ne: [{ $type: "$previous.resolved_at" }, "missing"] };
  const update: Document[] = [
    {
      $set: {
        updated_at: { $cond: [{ $and: same }, "$updated_at", now] },
        // The earliest sighting, whatever the import order: a scan imported after a later one moves it back.
        first_seen_at: { $min: [{ $ifNull: ["$first_seen_at", scan.seenAt] }, scan.seenAt] },
        previous: { $cond: [sameScan, "$previous", { $cond: [isNew, "$$REMOVE", previousState] }] },
        ...kept,
      },
    },
    // _id, created_at and team_id come from the repository (bulkUpdate stamps them, the scope is the filter's equality).
    { $set: written },
    {
      $set: {
        delta: { $cond: [missing("previous"), "new", { $cond: [{ $and: stateSame }, "unchanged", "changed"] }] },
        reopened_at: { $cond: [wasResolved, scan.seenAt, "$reopened_at"] },
        reopened_by_scan: { $cond: [wasResolved, scanId, "$reopened_by_scan"] },
      },
    },
    { $unset: ["resolved_at", "resolved_by_scan", ...dropped] },
    ...(spec.after?.(scan) ?? []),
  ];
  return { filter, update };
}

/**
 * The one write path of sighted documents (Prowler findings, Nuclei matches): validates each document with
 * the collection's schema, then records the whole batch as seen by one scan in ONE unordered `bulkWrite` of
 * update pipelines (no read first), keyed by the collection's unique identity. Later rules on the same
 * writes (rollup counters, mute rules) belong here.
 *
 * The writes go through the repository's team scope (`forTeam(teamId).bulkUpdate`), which adds the team to
 * every filter and refuses any stage that would write `team_id`: tenancy stays in the repository.
 */
export class SightingWriter {
  readonly #repository: BaseRepository<any>;
  readonly #schema: z.ZodType;
  readonly #spec: SightingSpec;

  constructor(repository: BaseRepository<any>, spec: SightingSpec) {
    this.#repository = repository;
    this.#schema = repository.definition.schema;
    this.#spec = spec;
  }

  /**
   * Records `docs` (without team, sighting times or lifecycle fields) as seen by `scan`; a document that fails
   * its schema is reported in `errors` by input index and the rest are written. Within one call a later
   * document with the same identity wins. `teamId` must already be validated (the caller scopes first).
   * Throws `UNAVAILABLE` / `INTERNAL` when the write as a whole fails.
   */
  async write(teamId: string, docs: readonly Document[], scan: SightingScan): Promise<SightingWriteResult> {
    const now = new Date();
    const errors: SightingError[] = [];
    const byIdentity = new Map<string, { index: number; op: ScopedPipelineUpdate }>();
    docs.forEach((input, index) => {
      const given = new Set(Object.keys(input).filter((k) => input[k] !== undefined));
      const source: Document = {
        ...input,
        ...this.#spec.derive?.(input),
        team_id: teamId,
        scan_id: scan.scanId,
        first_seen_at: scan.seenAt,
        last_seen_at: scan.seenAt,
      };
      for (const [field, value] of Object.entries(this.#spec.defaults ?? {})) if (source[field] === undefined) source[field] = value;
      for (const field of LIFECYCLE_FIELDS) delete source[field];
      const parsed = this.#schema.safeParse(source);
      if (!parsed.success) {
        const issues = issuesFromZod(parsed.error);
        errors.push({ index, code: "VALIDATION_FAILED", message: "The document is invalid.", issues });
        return;
      }
      const doc = parsed.data as Document;
      for (const key of Object.keys(doc)) if (doc[key] === undefined) delete doc[key];
      const { filter, update } = sightingUpdate(doc, this.#spec, scan, now, given);
      const key = JSON.stringify(this.#spec.identity.map((field) => doc[field]));
      byIdentity.set(key, { index, op: { filter, pipeline: update, upsert: true } });
    });
    const entries = [...byIdentity.values()];
    if (entries.length === 0) return { inserted: 0, updated: 0, unchanged: 0, errors };
    const result = await this.#repository.forTeam(teamId).bulkUpdate(entries.map((e) => e.op));
    for (const failure of result.errors) {
      errors.push({ index: entries[failure.index]?.index ?? -1, code: failure.code, message: failure.message });
    }
    errors.sort((a, b) => a.index - b.index);
    return { inserted: result.upserted, updated: result.modified, unchanged: result.matched - result.modified, errors };
  }
}

/** The pipeline (after the team scope) that counts one scan's lifecycle outcome in one round trip. */
export function scanCountsPipeline(scanId: string): Document[] {
  return [
    { $match: { $or: [{ scan_id: scanId }, { resolved_by_scan: scanId }, { reopened_by_scan: scanId }] } },
    {
      $facet: {
        delta: [{ $match: { scan_id: scanId } }, { $group: { _id: "$delta", n: { $sum: 1 } } }],
        resolved: [{ $match: { resolved_by_scan: scanId } }, { $count: "n" }],
        reopened: [{ $match: { reopened_by_scan: scanId } }, { $count: "n" }],
      },
    },
  ];
}

/** Reads the result of `scanCountsPipeline` into counts (zero where a facet is empty). */
export function scanCountsFrom(rows: readonly Document[]): ScanLifecycleCounts {
  const facet = rows[0] ?? {};
  const delta = new Map<string, number>();
  for (const row of (facet["delta"] as { _id: string; n: number }[] | undefined) ?? []) delta.set(String(row._id), row.n);
  const single = (name: string): number => ((facet[name] as { n: number }[] | undefined)?.[0]?.n ?? 0) as number;
  return {
    inserted: delta.get("new") ?? 0,
    changed: delta.get("changed") ?? 0,
    unchanged: delta.get("unchanged") ?? 0,
    resolved: single("resolved"),
    reopened: single("reopened"),
  };
}

/** Throws `VALIDATION_FAILED` unless `value` is a valid scan id and `seenAt` a valid date. */
export function parseSightingScan(scan: { scanId: unknown; seenAt?: unknown }): SightingScan {
  const parsed = z
    .object({
      scanId: z
        .string()
        .min(1)
        .max(128)
        .refine((v) => !v.startsWith("$"), "must not start with '$'"),
      seenAt: z.date(),
    })
    .safeParse({ scanId: scan.scanId, seenAt: scan.seenAt ?? new Date() });
  if (!parsed.success) {
    const issues = issuesFromZod(parsed.error);
    throw new ValidationError(`Invalid scan: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}.`, issues);
  }
  return parsed.data;
}

/** True when `error` is one of the taxonomy's validation errors. */
export function isValidationError(error: unknown): boolean {
  return isCspmError(error) && error.code === "VALIDATION_FAILED";
}

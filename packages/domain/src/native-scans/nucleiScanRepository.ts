import { ValidationError } from "@cspm/errors";
import {
  BaseRepository,
  defineRepository,
  trustedFilter,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
} from "@cspm/repository";
import { createHash } from "node:crypto";
import { z } from "zod";
import { RefIdSchema } from "../common/documentSchema";
import {
  parseSightingScan,
  type ScanLifecycleCounts,
  type SightingWriteResult,
  SightingWriter,
  scanCountsFrom,
  scanCountsPipeline,
} from "../common/scanSightings";
import { emptySeverityCounts, type Severity, type SeverityCounts } from "../common/severity";
import { NUCLEI_MATCH_IDENTITY_FIELDS, NUCLEI_MATCH_STATE_FIELDS, NucleiScanSchema } from "./nucleiScanSchema";

const definition = defineRepository({ database: "SECURITY_SCANS", collection: "nuclei_scans", schema: NucleiScanSchema });

/** A stored Nuclei match as read back. */
export type NucleiScanDocument = RepositoryDocument<typeof NucleiScanSchema>;

const TargetArgument = NucleiScanSchema.shape.target;

/** One match as a scan reports it to `recordSightings` (scan, identity and lifecycle fields come from the write). */
export type SightedNucleiMatch = Omit<
  RepositoryInput<typeof NucleiScanSchema>,
  | "scan_id"
  | "match_key"
  | "first_seen_at"
  | "last_seen_at"
  | "delta"
  | "previous"
  | "resolved_at"
  | "resolved_by_scan"
  | "reopened_at"
  | "reopened_by_scan"
>;

const NUCLEI_SIGHTINGS = {
  identity: NUCLEI_MATCH_IDENTITY_FIELDS,
  state: NUCLEI_MATCH_STATE_FIELDS,
  optional: ["matcher_name", "extracted_results", "classification", "metadata"],
} as const;

/**
 * The identity of a match within its target: template, protocol, matcher, where it matched and what it
 * extracted (two `tls-version` matches on one host differ only by their extracted version).
 */
export function nucleiMatchKey(
  match: Pick<SightedNucleiMatch, "template_id" | "type" | "matcher_name" | "matched_at" | "extracted_results">,
): string {
  const extracted = [...(match.extracted_results ?? [])].sort();
  return createHash("sha1")
    .update(JSON.stringify([match.template_id, match.type, match.matcher_name ?? null, match.matched_at, extracted]))
    .digest("hex");
}

/** Nuclei template matches (`cspm_native_scans.nuclei_scans`), one document per match. */
export class NucleiScanRepository extends BaseRepository<typeof NucleiScanSchema> {
  /** The registry binding: SECURITY_SCANS / nuclei_scans. */
  static readonly definition = definition;

  readonly #sightings: SightingWriter;

  constructor(context: RepositoryContext) {
    super(context, definition);
    this.#sightings = new SightingWriter(this, NUCLEI_SIGHTINGS);
  }

  /** Stores the matches of one scan (all or nothing on validation). Throws `VALIDATION_FAILED`. */
  async recordMatches(teamId: string, matches: readonly RepositoryInput<typeof NucleiScanSchema>[]): Promise<number> {
    if (matches.length === 0) return 0;
    return (await this.forTeam(teamId).insertMany(matches)).length;
  }

  /**
   * THE match write path of imports: records matches as seen by one scan, one document per match identity
   * (`target`, `match_key`) across scans, with the finding lifecycle (`first_seen_at`, `last_seen_at`,
   * `delta` on severity/name, reopened when a resolved match is seen again); idempotent within a scan. One
   * `bulkWrite` per call (at most 1,000 matches). Throws `VALIDATION_FAILED`, `UNAVAILABLE`.
   */
  async recordSightings(
    teamId: string,
    scanId: string,
    matches: readonly SightedNucleiMatch[],
    options: { seenAt?: Date } = {},
  ): Promise<SightingWriteResult> {
    this.forTeam(teamId);
    const scan = parseSightingScan({ scanId, seenAt: options.seenAt });
    if (matches.length > 1000) throw new ValidationError("At most 1000 matches per call.", [{ path: "matches", message: "at most 1000" }]);
    return this.#sightings.write(
      teamId,
      matches.map((m) => ({ ...m, match_key: nucleiMatchKey(m) })),
      scan,
    );
  }

  /**
   * The resolve sweep of a complete, full Nuclei scan: matches on `targets` (the targets the scan covered)
   * that it did not see become resolved. One `updateMany`; idempotent. Throws `VALIDATION_FAILED`, `UNAVAILABLE`.
   */
  async resolveUnseen(
    teamId: string,
    scope: { scanId: string; seenAt: Date; targets: readonly string[] },
    at = new Date(),
  ): Promise<number> {
    const scan = parseSightingScan({ scanId: scope.scanId, seenAt: scope.seenAt });
    const targets = parseInput(z.array(TargetArgument).max(100_000), [...scope.targets], "targets");
    if (targets.length === 0) return 0;
    const result = await this.forTeam(teamId).updateMany(
      trustedFilter({
        target: { $in: targets },
        match_key: { $exists: true },
        scan_id: { $ne: scan.scanId },
        resolved_at: { $exists: false },
        last_seen_at: { $lt: scan.seenAt },
      }),
      { $set: { resolved_at: parseInput(z.date(), at, "at"), resolved_by_scan: scan.scanId } },
    );
    return result.modifiedCount;
  }

  /** The exact lifecycle counts of one scan (one aggregation). Throws `VALIDATION_FAILED`, `UNAVAILABLE`. */
  async scanCounts(teamId: string, scanId: string): Promise<ScanLifecycleCounts> {
    return scanCountsFrom(await this.forTeam(teamId).aggregate(scanCountsPipeline(parseInput(RefIdSchema, scanId, "scanId"))));
  }

  /** The matches of the most recent scan of `target` (empty when never scanned). Throws `VALIDATION_FAILED`. */
  async latestForTarget(teamId: string, target: string): Promise<NucleiScanDocument[]> {
    const scope = this.forTeam(teamId);
    const t = parseInput(TargetArgument, target, "target");
    const newest = await scope.findOne({ target: t }, { sort: { scanned_at: -1 } });
    if (!newest) return [];
    return scope.findMany({ target: t, scan_id: newest.scan_id }, { sort: { _id: 1 }, limit: 1000 });
  }

  /** The matches of one scan. Throws `VALIDATION_FAILED`. */
  async findByScan(teamId: string, scanId: string): Promise<NucleiScanDocument[]> {
    return this.forTeam(teamId).findMany({ scan_id: parseInput(RefIdSchema, scanId, "scanId") }, { sort: { _id: 1 }, limit: 1000 });
  }

  /** Matches per severity (every severity present), optionally for one target and since a time. Throws `VALIDATION_FAILED`. */
  async countBySeverity(teamId: string, query: { target?: string; since?: Date } = {}): Promise<SeverityCounts> {
    const match: Record<string, unknown> = {};
    if (query.target !== undefined) match["target"] = parseInput(TargetArgument, query.target, "target");
    if (query.since !== undefined) match["scanned_at"] = { $gte: parseInput(z.date(), query.since, "since") };
    const rows = await this.forTeam(teamId).aggregate<{ _id: Severity; count: number }>([
      { $match: match },
      { $group: { _id: "$severity", count: { $sum: 1 } } },
    ]);
    const counts = emptySeverityCounts();
    for (const row of rows) if (row._id in counts) counts[row._id] = row.count;
    return counts;
  }

  /** Deletes matches scanned before `before` (retention); returns how many. Throws `VALIDATION_FAILED`. */
  async purgeOlderThan(teamId: string, before: Date): Promise<number> {
    return this.forTeam(teamId).deleteMany(trustedFilter({ scanned_at: { $lt: parseInput(z.date(), before, "before") } }));
  }
}

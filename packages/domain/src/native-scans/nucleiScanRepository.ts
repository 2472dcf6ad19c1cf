import {
  BaseRepository,
  defineRepository,
  trustedFilter,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
} from "@cspm/repository";
import { z } from "zod";
import { RefIdSchema } from "../common/documentSchema";
import { emptySeverityCounts, type Severity, type SeverityCounts } from "../common/severity";
import { NucleiScanSchema } from "./nucleiScanSchema";

const definition = defineRepository({ database: "SECURITY_SCANS", collection: "nuclei_scans", schema: NucleiScanSchema });

/** A stored Nuclei match as read back. */
export type NucleiScanDocument = RepositoryDocument<typeof NucleiScanSchema>;

const TargetArgument = NucleiScanSchema.shape.target;

/** Nuclei template matches (`cspm_native_scans.nuclei_scans`), one document per match. */
export class NucleiScanRepository extends BaseRepository<typeof NucleiScanSchema> {
  /** The registry binding: SECURITY_SCANS / nuclei_scans. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Stores the matches of one scan (all or nothing on validation). Throws `VALIDATION_FAILED`. */
  async recordMatches(teamId: string, matches: readonly RepositoryInput<typeof NucleiScanSchema>[]): Promise<number> {
    if (matches.length === 0) return 0;
    return (await this.forTeam(teamId).insertMany(matches)).length;
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

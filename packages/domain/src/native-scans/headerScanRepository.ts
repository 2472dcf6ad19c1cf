import {
  BaseRepository,
  defineRepository,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
} from "@cspm/repository";
import { z } from "zod";
import { RefIdSchema } from "../common/documentSchema";
import { recordSnapshots, type SnapshotWriteResult } from "../common/scanSnapshots";
import { HeaderScanSchema } from "./headerScanSchema";

const definition = defineRepository({ database: "SECURITY_SCANS", collection: "header_scans", schema: HeaderScanSchema });

/** A stored header scan as read back. */
export type HeaderScanDocument = RepositoryDocument<typeof HeaderScanSchema>;

/** HTTP security header checks (`cspm_native_scans.header_scans`), one document per URL and scan. */
export class HeaderScanRepository extends BaseRepository<typeof HeaderScanSchema> {
  /** The registry binding: SECURITY_SCANS / header_scans. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /**
   * THE import write path: stores one scan's header results, one document per target per scan (keyed by
   * [`target`] and `scan_id`, so re-running the scan rewrites them), with `fingerprint` and `delta`
   * against each target's previous scan. One aggregation plus one `bulkWrite` per call; invalid results in
   * `errors` by input index. Throws `VALIDATION_FAILED` (team / scan id), `UNAVAILABLE`.
   */
  async recordScans(
    teamId: string,
    scanId: string,
    scans: readonly Omit<RepositoryInput<typeof HeaderScanSchema>, "scan_id" | "fingerprint" | "delta">[],
  ): Promise<SnapshotWriteResult> {
    return recordSnapshots(this.forTeam(teamId), parseInput(RefIdSchema, scanId, "scanId"), scans, ["target"]);
  }

  /** Stores one scan result. Throws `VALIDATION_FAILED`. */
  async record(teamId: string, scan: RepositoryInput<typeof HeaderScanSchema>): Promise<HeaderScanDocument> {
    return this.forTeam(teamId).insertOne(scan);
  }

  /** The most recent scan of the URL `target`, or `null`. Throws `VALIDATION_FAILED`. */
  async latestForTarget(teamId: string, target: string): Promise<HeaderScanDocument | null> {
    return this.forTeam(teamId).findOne(
      { target: parseInput(z.string().min(1).max(2048), target, "target") },
      { sort: { scanned_at: -1 } },
    );
  }

  /** Per URL, the latest scan when its score is below `threshold`, worst first. Throws `VALIDATION_FAILED`. */
  async findBelowScore(teamId: string, threshold: number): Promise<HeaderScanDocument[]> {
    return this.forTeam(teamId).aggregate<HeaderScanDocument>([
      { $sort: { target: 1, scanned_at: -1 } },
      { $group: { _id: "$target", latest: { $first: "$$ROOT" } } },
      { $replaceRoot: { newRoot: "$latest" } },
      { $match: { score: { $lt: parseInput(z.number().min(0).max(100), threshold, "threshold") } } },
      { $sort: { score: 1, target: 1 } },
    ]);
  }
}

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
import { SslScanSchema } from "./sslScanSchema";

const definition = defineRepository({ database: "SECURITY_SCANS", collection: "ssl_scans", schema: SslScanSchema });

/** A stored SSL scan as read back. */
export type SslScanDocument = RepositoryDocument<typeof SslScanSchema>;

/** TLS certificate and protocol checks (`cspm_native_scans.ssl_scans`), one document per host, port and scan. */
export class SslScanRepository extends BaseRepository<typeof SslScanSchema> {
  /** The registry binding: SECURITY_SCANS / ssl_scans. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /**
   * THE import write path: stores one scan's SSL results, one document per target per scan (keyed by
   * [`target`, `port`] and `scan_id`, so re-running the scan rewrites them), with `fingerprint` and `delta`
   * against each target's previous scan. One aggregation plus one `bulkWrite` per call; invalid results in
   * `errors` by input index. Throws `VALIDATION_FAILED` (team / scan id), `UNAVAILABLE`.
   */
  async recordScans(
    teamId: string,
    scanId: string,
    scans: readonly Omit<RepositoryInput<typeof SslScanSchema>, "scan_id" | "fingerprint" | "delta">[],
  ): Promise<SnapshotWriteResult> {
    return recordSnapshots(this.forTeam(teamId), parseInput(RefIdSchema, scanId, "scanId"), scans, ["target", "port"]);
  }

  /** Stores one scan result. Throws `VALIDATION_FAILED`. */
  async record(teamId: string, scan: RepositoryInput<typeof SslScanSchema>): Promise<SslScanDocument> {
    return this.forTeam(teamId).insertOne(scan);
  }

  /** The most recent scan of `target` (on `port`, 443 by default), or `null`. Throws `VALIDATION_FAILED`. */
  async latestForTarget(teamId: string, target: string, port = 443): Promise<SslScanDocument | null> {
    return this.forTeam(teamId).findOne(
      { target: parseInput(SslScanSchema.shape.target, target, "target"), port: parseInput(SslScanSchema.shape.port, port, "port") },
      { sort: { scanned_at: -1 } },
    );
  }

  /**
   * Per host and port, the latest scan whose certificate expires before `before` (expired ones included),
   * soonest expiry first. Throws `VALIDATION_FAILED`.
   */
  async findExpiringCertificates(teamId: string, before: Date): Promise<SslScanDocument[]> {
    return this.forTeam(teamId).aggregate<SslScanDocument>([
      { $sort: { target: 1, port: 1, scanned_at: -1 } },
      { $group: { _id: { target: "$target", port: "$port" }, latest: { $first: "$$ROOT" } } },
      { $replaceRoot: { newRoot: "$latest" } },
      { $match: { "certificate.not_after": { $lt: parseInput(z.date(), before, "before") } } },
      { $sort: { "certificate.not_after": 1, target: 1 } },
    ]);
  }
}

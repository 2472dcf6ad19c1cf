import {
  BaseRepository,
  defineRepository,
  trustedFilter,
  type BulkUpsertResult,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
} from "@cspm/repository";
import { z } from "zod";
import { RefIdSchema } from "../common/documentSchema";
import { DEFAULT_LIST_LIMIT, ListLimitSchema } from "../common/listLimit";
import { emptySeverityCounts, SEVERITIES, SeveritySchema, type Severity, type SeverityCounts } from "../common/severity";
import { FINDING_IDENTITY_FIELDS, FINDING_STATUSES, ProwlerFindingSchema } from "./prowlerFindingSchema";

const definition = defineRepository({
  database: "CLOUD_SECURITY",
  collection: "prowler_findings",
  schema: ProwlerFindingSchema,
  keyFields: FINDING_IDENTITY_FIELDS,
});

/** How an import treats a stored finding: `first_seen_at` is written once, `muted` defaults to false and is kept unless given. */
const FINDING_IMPORT_RULES = { insertOnlyFields: ["first_seen_at"], defaults: { muted: false } } as const;

/** A stored finding as read back. */
export type ProwlerFindingDocument = RepositoryDocument<typeof ProwlerFindingSchema>;

/**
 * One finding of a scan as `upsertFromScan` takes it: the stored fields without the sighting times
 * (set from the scan) and with `muted` optional (kept as stored; `false` for a new finding).
 */
export type ScannedFinding = Omit<RepositoryInput<typeof ProwlerFindingSchema>, "first_seen_at" | "last_seen_at" | "muted"> & {
  muted?: boolean;
};

/** Options of `ProwlerFindingRepository.findFailing`. */
export interface FailingFindingsQuery {
  readonly accountId?: string;
  readonly severities?: readonly Severity[];
  readonly includeMuted?: boolean;
  readonly limit?: number;
}

/** Prowler check results (`cspm_cloud_security.prowler_findings`), one per team/account/check/resource/region. */
export class ProwlerFindingRepository extends BaseRepository<typeof ProwlerFindingSchema> {
  /** The registry binding: CLOUD_SECURITY / prowler_findings. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /**
   * Imports a scan's findings, idempotently: each is inserted or updated by its identity
   * (`account_id, check_id, resource_uid, region`). `last_seen_at` becomes `seenAt`; an existing finding keeps
   * its `first_seen_at` and (unless the input sets it) its `muted` flag; a new one starts unmuted. One
   * `bulkWrite` per 1,000 findings and no read: the server keeps those fields, so concurrent imports of the
   * same findings cannot reset them. Bad findings are reported in `errors` without stopping the rest.
   * Throws `VALIDATION_FAILED` (bad team id / `seenAt`).
   */
  async upsertFromScan(teamId: string, findings: readonly ScannedFinding[], options: { seenAt?: Date } = {}): Promise<BulkUpsertResult> {
    const scope = this.forTeam(teamId);
    const seenAt = parseInput(z.date(), options.seenAt ?? new Date(), "seenAt");
    const docs = findings.map((finding) => ({ ...finding, first_seen_at: seenAt, last_seen_at: seenAt }));
    return scope.bulkUpsert(docs, { keyFields: FINDING_IDENTITY_FIELDS, ...FINDING_IMPORT_RULES });
  }

  /**
   * Failing findings, most severe first then most recently seen; unmuted only unless `includeMuted`.
   * Throws `VALIDATION_FAILED`.
   */
  async findFailing(teamId: string, query: FailingFindingsQuery = {}): Promise<ProwlerFindingDocument[]> {
    const filter: Record<string, unknown> = { status: "FAIL" };
    if (query.includeMuted !== true) filter["muted"] = false;
    if (query.accountId !== undefined) filter["account_id"] = parseInput(z.string().min(1).max(253), query.accountId, "accountId");
    const severities = parseInput(z.array(SeveritySchema).min(1).optional(), query.severities, "severities");
    if (severities !== undefined) filter["severity"] = { $in: severities };
    // Severity names do not sort by rank, so rank order is applied per severity bucket.
    const wanted = SEVERITIES.filter((s) => severities === undefined || severities.includes(s));
    const limit = parseInput(ListLimitSchema, query.limit ?? DEFAULT_LIST_LIMIT, "limit");
    return this.collectBySeverity(teamId, filter, wanted, limit);
  }

  private async collectBySeverity(
    teamId: string,
    filter: Record<string, unknown>,
    severities: readonly Severity[],
    limit: number,
  ): Promise<ProwlerFindingDocument[]> {
    const results: ProwlerFindingDocument[] = [];
    for (const severity of severities) {
      if (results.length >= limit) break;
      const page = await this.forTeam(teamId).findMany(trustedFilter({ ...filter, severity }), {
        sort: { last_seen_at: -1, _id: 1 },
        limit: limit - results.length,
      });
      results.push(...page);
    }
    return results;
  }

  /**
   * Counts findings per severity (every severity present): failing, unmuted ones by default.
   * Throws `VALIDATION_FAILED`.
   */
  async countBySeverity(
    teamId: string,
    query: { accountId?: string; status?: (typeof FINDING_STATUSES)[number]; includeMuted?: boolean } = {},
  ): Promise<SeverityCounts> {
    const match: Record<string, unknown> = { status: parseInput(z.enum(FINDING_STATUSES), query.status ?? "FAIL", "status") };
    if (query.includeMuted !== true) match["muted"] = false;
    if (query.accountId !== undefined) match["account_id"] = parseInput(z.string().min(1).max(253), query.accountId, "accountId");
    const rows = await this.forTeam(teamId).aggregate<{ _id: Severity; count: number }>([
      { $match: match },
      { $group: { _id: "$severity", count: { $sum: 1 } } },
    ]);
    const counts = emptySeverityCounts();
    for (const row of rows) if (row._id in counts) counts[row._id] = row.count;
    return counts;
  }

  /** Counts findings per status (`PASS`/`FAIL`/`MANUAL`), unmuted only unless `includeMuted`. Throws `VALIDATION_FAILED`. */
  async countByStatus(
    teamId: string,
    query: { accountId?: string; includeMuted?: boolean } = {},
  ): Promise<Record<(typeof FINDING_STATUSES)[number], number>> {
    const match: Record<string, unknown> = {};
    if (query.includeMuted !== true) match["muted"] = false;
    if (query.accountId !== undefined) match["account_id"] = parseInput(z.string().min(1).max(253), query.accountId, "accountId");
    const rows = await this.forTeam(teamId).aggregate<{ _id: (typeof FINDING_STATUSES)[number]; count: number }>([
      { $match: match },
      { $group: { _id: "$status", count: { $sum: 1 } } },
    ]);
    const counts = { PASS: 0, FAIL: 0, MANUAL: 0 };
    for (const row of rows) if (row._id in counts) counts[row._id] = row.count;
    return counts;
  }

  /** The findings written by one scan. Throws `VALIDATION_FAILED`. */
  async findByScan(teamId: string, scanId: string, limit = 1000): Promise<ProwlerFindingDocument[]> {
    return this.forTeam(teamId).findMany(
      { scan_id: parseInput(RefIdSchema, scanId, "scanId") },
      { sort: { _id: 1 }, limit: parseInput(ListLimitSchema, limit, "limit") },
    );
  }

  /**
   * Mutes (or unmutes) a check on one resource, or on every resource of the check when `resourceUid` is
   * absent, optionally within one account; returns how many findings changed. Throws `VALIDATION_FAILED`.
   */
  async setMuted(
    teamId: string,
    target: { checkId: string; resourceUid?: string; accountId?: string },
    muted: boolean,
    reason?: string,
  ): Promise<number> {
    const filter: Record<string, unknown> = {
      check_id: parseInput(ProwlerFindingSchema.shape.check_id, target.checkId, "checkId"),
    };
    if (target.resourceUid !== undefined)
      filter["resource_uid"] = parseInput(z.string().min(1).max(2048), target.resourceUid, "resourceUid");
    if (target.accountId !== undefined) filter["account_id"] = parseInput(z.string().min(1).max(253), target.accountId, "accountId");
    const flag = parseInput(z.boolean(), muted, "muted");
    const update =
      flag && reason !== undefined
        ? { $set: { muted: true, muted_reason: parseInput(z.string().max(1000), reason, "reason") } }
        : flag
          ? { $set: { muted: true } }
          : { $set: { muted: false }, $unset: { muted_reason: "" } };
    const result = await this.forTeam(teamId).updateMany(trustedFilter(filter), update);
    return result.modifiedCount;
  }
}

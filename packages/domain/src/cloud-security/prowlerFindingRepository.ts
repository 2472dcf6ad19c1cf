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
import type { CloudProvider } from "../common/cloudProvider";
import { RefIdSchema } from "../common/documentSchema";
import { DEFAULT_LIST_LIMIT, ListLimitSchema } from "../common/listLimit";
import {
  parseSightingScan,
  type ScanLifecycleCounts,
  type SightingWriteResult,
  SightingWriter,
  scanCountsFrom,
  scanCountsPipeline,
} from "../common/scanSightings";
import { emptySeverityCounts, SEVERITIES, SeveritySchema, type Severity, type SeverityCounts } from "../common/severity";
import {
  FINDING_HISTORY_LIMIT,
  FINDING_IDENTITY_FIELDS,
  FINDING_STATE_FIELDS,
  FINDING_STATUSES,
  FindingSourceSchema,
  findingSearchTerms,
  ProwlerFindingSchema,
  SEVERITY_RANK,
} from "./prowlerFindingSchema";
import { FindingRollupMarkRepository } from "./findingRollupMarkRepository";

const definition = defineRepository({
  database: "CLOUD_SECURITY",
  collection: "prowler_findings",
  schema: ProwlerFindingSchema,
  keyFields: FINDING_IDENTITY_FIELDS,
});

/**
 * How a scan's sighting treats a stored finding: `first_seen_at` is the earliest sighting, `muted` defaults to false
 * and is kept unless the scan gives it, `delta` compares the state fields with the previous scan, and optional
 * fields the tool no longer reports are removed.
 */
const FINDING_SIGHTINGS = {
  identity: FINDING_IDENTITY_FIELDS,
  state: FINDING_STATE_FIELDS,
  optional: ["resource_name", "resource_tags", "description", "risk", "remediation", "observed_at"],
  defaults: { muted: false },
  derive: findingDerivedFields,
  after: findingLifecycleStages,
} as const;

/**
 * The stored fields derived from a finding's own fields (`severity_rank`, `search_terms`): what the write path
 * adds to every finding it writes. Exported for writers that insert findings directly (seeds, fixtures).
 */
export function findingDerivedFields(doc: Readonly<Record<string, unknown>>): { severity_rank?: number; search_terms: string[] } {
  return {
    ...(typeof doc["severity"] === "string" && doc["severity"] in SEVERITY_RANK
      ? { severity_rank: SEVERITY_RANK[doc["severity"] as Severity] }
      : {}),
    search_terms: findingSearchTerms(
      typeof doc["check_title"] === "string" ? doc["check_title"] : undefined,
      typeof doc["resource_name"] === "string" ? doc["resource_name"] : undefined,
    ),
  };
}

/**
 * The finding-only stages of a sighting, after `delta` and the reopen fields: `state` (`reopened` once a
 * resolved finding was seen again, else `open`), and `history`: when the sighting is `new` or `changed`, one
 * entry `{ scan_id, at, status, severity }` for this scan (replacing an entry the same scan wrote before, so a
 * re-run writes it once), the last 50 kept. Same write, no read.
 */
function findingLifecycleStages(scan: { scanId: string; seenAt: Date }): Record<string, unknown>[] {
  const withoutThisScan = {
    $filter: { input: { $ifNull: ["$history", []] }, as: "entry", cond: { $ne: ["$$entry.scan_id", { $literal: scan.scanId }] } },
  };
  const entry = { scan_id: { $literal: scan.scanId }, at: scan.seenAt, status: "$status", severity: "$severity" };
  return [
    {
      $set: {
        state: { $cond: [{ $eq: [{ $type: "$reopened_at" }, "missing"] }, "open", "reopened"] },
        history: {
          $cond: [
            { $in: ["$delta", ["new", "changed"]] },
            { $slice: [{ $concatArrays: [withoutThisScan, [entry]] }, -FINDING_HISTORY_LIMIT] },
            { $cond: [{ $eq: [{ $type: "$history" }, "missing"] }, "$$REMOVE", withoutThisScan] },
          ],
        },
      },
    },
  ];
}

/** The write batch of `recordSightings`: findings per `bulkWrite`. */
const SIGHTING_BATCH = 1000;

/** A stored finding as read back. */
export type ProwlerFindingDocument = RepositoryDocument<typeof ProwlerFindingSchema>;

/**
 * One finding of a scan as `upsertFromScan` takes it: the stored fields without the sighting times
 * (set from the scan) and with `muted` optional (kept as stored; `false` for a new finding).
 */
export type SightedFinding = Omit<
  RepositoryInput<typeof ProwlerFindingSchema>,
  | "scan_id"
  | "first_seen_at"
  | "last_seen_at"
  | "muted"
  | "delta"
  | "previous"
  | "resolved_at"
  | "resolved_by_scan"
  | "reopened_at"
  | "reopened_by_scan"
  | "state"
  | "history"
  | "severity_rank"
  | "search_terms"
> & {
  muted?: boolean;
};

/**
 * One finding of a scan as `upsertFromScan` (the earlier API) takes it: a `SightedFinding` of one of the four
 * cloud providers, with its `scan_id`.
 */
export type ScannedFinding = Omit<SightedFinding, "provider"> & { provider: CloudProvider; scan_id: string };

/** What the resolve sweep of a complete, full scan covers. */
export interface ResolveScope {
  /** The scan that is complete and full. */
  readonly scanId: string;
  /** When it saw its findings; only findings last seen before this are resolved. */
  readonly seenAt: Date;
  /** The accounts the scan covered. */
  readonly accountIds: readonly string[];
  /** The tools/products the scan covered (`prowler`, `aws-inspector` …). */
  readonly sources: readonly string[];
}

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

  readonly #sightings: SightingWriter;

  /**
   * Every team-scoped write of this repository marks the accounts it touches in `finding_rollup_marks`
   * before it is sent and after it succeeded (`FindingRollupRepository.refresh` rebuilds them), so no write
   * path can leave the rollups silently stale.
   */
  constructor(context: RepositoryContext) {
    const marks = new FindingRollupMarkRepository(context);
    super(context, definition, {
      writeObserver: { partitionField: "account_id", onWrite: (teamId, accountIds) => marks.mark(teamId, accountIds) },
    });
    this.#sightings = new SightingWriter(this, FINDING_SIGHTINGS);
  }

  /**
   * THE finding write path: records findings as seen by one scan, idempotently, by identity (`account_id,
   * check_id, resource_uid, region`). `last_seen_at` becomes `seenAt` and `scan_id` the scan; an existing
   * finding keeps its `first_seen_at` and (unless the input sets it) its `muted` flag; `delta` is `new`,
   * `changed` (status, severity or status_extended differ from the previous scan) or `unchanged`; a resolved
   * finding seen again is reopened (`reopened_at`, `reopened_by_scan`). Writing the same findings again within
   * the same scan ends in the same stored state. One `bulkWrite` of update pipelines per 1,000 findings and no
   * read. Bad findings are reported in `errors` (input index) without stopping the rest.
   * Throws `VALIDATION_FAILED` (bad team id / scan), `UNAVAILABLE`.
   */
  async recordSightings(
    teamId: string,
    scanId: string,
    findings: readonly SightedFinding[],
    options: { seenAt?: Date } = {},
  ): Promise<SightingWriteResult> {
    this.forTeam(teamId);
    const scan = parseSightingScan({ scanId, seenAt: options.seenAt });
    let inserted = 0;
    let updated = 0;
    let unchanged = 0;
    const errors: SightingWriteResult["errors"] = [];
    for (let start = 0; start < findings.length; start += SIGHTING_BATCH) {
      const result = await this.#sightings.write(teamId, findings.slice(start, start + SIGHTING_BATCH), scan);
      inserted += result.inserted;
      updated += result.updated;
      unchanged += result.unchanged;
      for (const error of result.errors) errors.push({ ...error, index: error.index + start });
    }
    return { inserted, updated, unchanged, errors };
  }

  /**
   * Imports a scan's findings through `recordSightings` (the scan id of each finding is its `scan_id`; a call
   * is expected to carry one scan). Kept for callers of the earlier API; the counts are the server's:
   * `updated` includes findings whose only change is the new sighting. Throws as `recordSightings`.
   */
  async upsertFromScan(teamId: string, findings: readonly ScannedFinding[], options: { seenAt?: Date } = {}): Promise<BulkUpsertResult> {
    this.forTeam(teamId);
    const seenAt = parseInput(z.date(), options.seenAt ?? new Date(), "seenAt");
    const byScan = new Map<string, { index: number; finding: SightedFinding }[]>();
    findings.forEach(({ scan_id, ...finding }, index) => {
      const group = byScan.get(String(scan_id)) ?? [];
      group.push({ index, finding });
      byScan.set(String(scan_id), group);
    });
    let inserted = 0;
    let updated = 0;
    let unchanged = 0;
    const errors: BulkUpsertResult["errors"] = [];
    for (const [scanId, group] of byScan) {
      const result = await this.recordSightings(
        teamId,
        scanId,
        group.map((g) => g.finding),
        { seenAt },
      );
      inserted += result.inserted;
      updated += result.updated;
      unchanged += result.unchanged;
      for (const error of result.errors)
        errors.push({
          index: group[error.index]?.index ?? -1,
          code: error.code as BulkUpsertResult["errors"][number]["code"],
          message: error.message,
          ...(error.issues === undefined ? {} : { issues: error.issues }),
        });
    }
    errors.sort((a, b) => a.index - b.index);
    return { inserted, updated, unchanged, errors };
  }

  /**
   * The resolve sweep of a scan marked complete and full: every finding of `scope.accountIds` and
   * `scope.sources` that the scan did not see (and that no later scan saw) gets `resolved_at` and
   * `resolved_by_scan`. One `updateMany`; idempotent (a resolved finding is not resolved again). Returns how
   * many it resolved now. Throws `VALIDATION_FAILED`, `UNAVAILABLE`.
   */
  async resolveUnseen(teamId: string, scope: ResolveScope, at = new Date()): Promise<number> {
    const scan = parseSightingScan({ scanId: scope.scanId, seenAt: scope.seenAt });
    const accounts = parseInput(z.array(z.string().min(1).max(253)).max(10_000), [...scope.accountIds], "accountIds");
    const sources = parseInput(z.array(FindingSourceSchema).max(100), [...scope.sources], "sources");
    if (accounts.length === 0 || sources.length === 0) return 0;
    const result = await this.forTeam(teamId).updateMany(
      trustedFilter({
        account_id: { $in: accounts },
        source: { $in: sources.includes("prowler") ? [...sources, null] : sources },
        scan_id: { $ne: scan.scanId },
        resolved_at: { $exists: false },
        last_seen_at: { $lt: scan.seenAt },
      }),
      { $set: { resolved_at: parseInput(z.date(), at, "at"), resolved_by_scan: scan.scanId, state: "resolved" } },
    );
    return result.modifiedCount;
  }

  /** The exact lifecycle counts of one scan (one aggregation). Throws `VALIDATION_FAILED`, `UNAVAILABLE`. */
  async scanCounts(teamId: string, scanId: string): Promise<ScanLifecycleCounts> {
    const id = parseInput(RefIdSchema, scanId, "scanId");
    return scanCountsFrom(await this.forTeam(teamId).aggregate(scanCountsPipeline(id)));
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

  /**
   * Mutes the findings a mute rule matches (`filter` from `muteRuleFindingFilter`), optionally only those of
   * one scan: `muted: true` and the rule id added to `muted_by_rule`. A rule owns the mute of what it
   * matches: once no rule is left on a finding, `releaseMuteRule` unmutes it. One `updateMany`; idempotent.
   * Returns how many findings it changed. Throws `VALIDATION_FAILED`, `UNAVAILABLE`.
   */
  async applyMuteRule(teamId: string, ruleId: string, filter: Record<string, unknown>, options: { scanId?: string } = {}): Promise<number> {
    const id = parseInput(z.string().regex(/^[0-9a-f]{24}$/), ruleId, "ruleId");
    const scope = options.scanId === undefined ? {} : { scan_id: parseInput(RefIdSchema, options.scanId, "scanId") };
    const result = await this.forTeam(teamId).updateMany(
      trustedFilter({
        ...filter,
        ...scope,
        muted_by_rule: { $ne: id },
      }),
      { $set: { muted: true }, $addToSet: { muted_by_rule: id } },
    );
    return result.modifiedCount;
  }

  /**
   * Takes a mute rule off every finding it muted: its id leaves `muted_by_rule`, and a finding no other rule
   * mutes is unmuted (`muted: false`, `muted_by_rule` removed). Two `updateMany`. Returns how many findings
   * were unmuted. Throws `VALIDATION_FAILED`, `UNAVAILABLE`.
   */
  async releaseMuteRule(teamId: string, ruleId: string): Promise<number> {
    const id = parseInput(z.string().regex(/^[0-9a-f]{24}$/), ruleId, "ruleId");
    const scope = this.forTeam(teamId);
    await scope.updateMany(trustedFilter({ muted_by_rule: id }), { $pull: { muted_by_rule: id } });
    const result = await scope.updateMany(trustedFilter({ muted_by_rule: { $size: 0 } }), {
      $set: { muted: false },
      $unset: { muted_by_rule: "" },
    });
    return result.modifiedCount;
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

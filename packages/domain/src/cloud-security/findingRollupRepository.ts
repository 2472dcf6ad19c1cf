import { CspmError, UnavailableError } from "@cspm/errors";
import {
  BaseRepository,
  defineRepository,
  type ObjectSchema,
  type RepositoryContext,
  type RepositoryDocument,
  type ScopedRepository,
  trustedFilter,
} from "@cspm/repository";
import { dataLayerInstruments } from "@cspm/telemetry";
import type { Document } from "mongodb";
import { SEVERITIES } from "../common/severity";
import { FindingFacetCellRepository, findingFacetCellsPipeline, toFacetCell } from "./findingFacetCellRepository";
import { ALL_ACCOUNTS_MARK, FindingRollupMarkRepository } from "./findingRollupMarkRepository";
import { FindingFacetCellSchema, FindingRollupSchema, TEAM_ROLLUP_ACCOUNT } from "./findingRollupSchema";
import { ProwlerFindingRepository } from "./prowlerFindingRepository";

const definition = defineRepository({ database: "CLOUD_SECURITY", collection: "finding_rollups", schema: FindingRollupSchema });

/** A stored rollup row. */
export type FindingRollupDocument = RepositoryDocument<typeof FindingRollupSchema>;

/** Accounts rebuilt per step of a refresh (one aggregation of their findings, then the row writes). */
const ACCOUNTS_PER_STEP = 20;
/**
 * Findings one rollup aggregation may cover: a step's accounts are split into aggregations of at most this
 * many findings (an account with more gets one of its own), so the work and memory of one aggregation stay
 * bounded however the findings are spread over accounts.
 */
const FINDINGS_PER_AGGREGATION = 50_000;
/** Rows per `bulkWrite` of a rebuild. */
const ROWS_PER_WRITE = 1_000;

/** Progress of a rollup refresh or rebuild, after each step. */
export interface RollupRefreshProgress {
  /** Accounts rebuilt so far and the accounts the refresh started with (it may find more marked on the way). */
  readonly accounts: number;
  readonly marked: number;
  /** Rollup rows written so far. */
  readonly rows: number;
}

/** What a refresh did. */
export interface RollupRefreshResult {
  readonly accounts: number;
  readonly rows: number;
}

/** What `verify` found: accounts whose stored rows differ from the rows recomputed from their findings. */
export interface RollupVerifyResult {
  readonly accounts: number;
  readonly mismatched: readonly string[];
}

const isStatus = (status: string): Document => ({ $eq: ["$status", status] });
const countIf = (condition: Document): Document => ({ $sum: { $cond: [condition, 1, 0] } });
/** The dimensions whose rows carry a check's title, severity and (team-wide) failing accounts. */
const CHECK_DIMENSIONS: readonly string[] = ["check", "check_week"];
const isCheckRow = (dimension: string): Document => ({ $in: [dimension, [...CHECK_DIMENSIONS]] });

/**
 * The aggregation that computes the rollup rows of some accounts from their unmuted findings: every finding
 * is counted once in its `all` row and once per dimension value (framework rows: PASS/FAIL findings, once per
 * `compliance` entry), grouped by account, provider, UTC day of `last_seen_at` and open/resolved; once in the
 * `check_week` row of its check and the UTC week (from Monday) of `last_seen_at`; and once in
 * the `first_seen` row of the day of its first sighting and, when resolved, once in the `resolved` row of the
 * day of its resolution (never before its first sighting's day). It runs through the finding repository's
 * team scope.
 */
export function findingRollupRowsPipeline(accountIds: readonly string[]): Document[] {
  const failing: Document = {};
  for (const severity of SEVERITIES)
    failing[`failed_${severity}`] = countIf({ $and: [isStatus("FAIL"), { $eq: ["$severity", severity] }] });
  const value = (field: string): Document => ({ $ifNull: [`$${field}`, null] });
  const dayOf = (field: string): Document => ({ $dateToString: { format: "%Y-%m-%d", date: `$${field}` } });
  const weekOf = (field: string): Document => ({
    $dateToString: { format: "%Y-%m-%d", date: { $dateTrunc: { date: `$${field}`, unit: "week", startOfWeek: "monday" } } },
  });
  const isDate = (field: string): Document => ({ $eq: [{ $type: `$${field}` }, "date"] });
  const seen = "$$seen";
  const first = "$$first";
  return [
    { $match: { muted: false, account_id: { $in: [...accountIds] } } },
    {
      $project: {
        _id: 0,
        account_id: 1,
        provider: value("provider"),
        status: 1,
        severity: 1,
        check_title: 1,
        open: { $eq: [value("resolved_at"), null] },
        dimensions: {
          $let: {
            vars: {
              seen: dayOf("last_seen_at"),
              week: weekOf("last_seen_at"),
              first: { $cond: [isDate("first_seen_at"), dayOf("first_seen_at"), null] },
            },
            in: {
              $concatArrays: [
                [
                  { d: "all", k: null, day: seen },
                  { d: "severity", k: value("severity"), day: seen },
                  { d: "service", k: value("service_name"), day: seen },
                  { d: "region", k: value("region"), day: seen },
                  { d: "check", k: value("check_id"), day: seen },
                  { d: "check_week", k: value("check_id"), day: "$$week" },
                ],
                { $cond: [{ $eq: [first, null] }, [], [{ d: "first_seen", k: null, day: first }]] },
                {
                  $cond: [
                    isDate("resolved_at"),
                    [{ d: "resolved", k: null, day: { $max: [dayOf("resolved_at"), { $ifNull: [first, ""] }] } }],
                    [],
                  ],
                },
                {
                  $cond: [
                    { $in: ["$status", ["PASS", "FAIL"]] },
                    {
                      $map: {
                        input: { $ifNull: ["$compliance", []] },
                        as: "c",
                        in: { d: "framework", k: { $ifNull: ["$$c.framework", null] }, day: seen },
                      },
                    },
                    [],
                  ],
                },
              ],
            },
          },
        },
      },
    },
    { $unwind: "$dimensions" },
    {
      $group: {
        _id: {
          account_id: "$account_id",
          provider: "$provider",
          day: "$dimensions.day",
          open: "$open",
          dimension: "$dimensions.d",
          key: "$dimensions.k",
        },
        total: { $sum: 1 },
        passed: countIf(isStatus("PASS")),
        failed: countIf(isStatus("FAIL")),
        manual: countIf(isStatus("MANUAL")),
        ...failing,
        title: { $first: { $cond: [isCheckRow("$dimensions.d"), value("check_title"), null] } },
        severity: { $first: { $cond: [isCheckRow("$dimensions.d"), value("severity"), null] } },
      },
    },
  ];
}

/**
 * `accountIds` in order, cut into consecutive groups holding at most `max` findings each (`sizes`: findings
 * per account, absent = 0); an account larger than `max` forms a group of its own. Rollup rows are per
 * account, so any grouping yields the same rows.
 */
export function packAccounts(accountIds: readonly string[], sizes: ReadonlyMap<string, number>, max: number): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let held = 0;
  for (const id of accountIds) {
    const size = sizes.get(id) ?? 0;
    if (current.length > 0 && held + size > max) {
      groups.push(current);
      current = [];
      held = 0;
    }
    current.push(id);
    held += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** The stored form of one grouped row: `row_key` names it within its account. */
function toRow(group: Document): Document {
  const id = (group["_id"] ?? {}) as Document;
  const provider = (id["provider"] ?? null) as string | null;
  const key = (id["key"] ?? null) as string | null;
  const row: Document = {
    account_id: id["account_id"],
    row_key: JSON.stringify([provider, id["day"], id["open"], id["dimension"], key]),
    provider,
    day: id["day"],
    open: id["open"] === true,
    team_view: id["dimension"] === "all",
    dimension: id["dimension"],
    key: key === null ? null : String(key),
  };
  for (const field of ["total", "passed", "failed", "manual", ...SEVERITIES.map((s) => `failed_${s}`)]) row[field] = group[field] ?? 0;
  if (CHECK_DIMENSIONS.includes(row["dimension"])) {
    row["title"] = group["title"] ?? null;
    row["severity"] = group["severity"] ?? null;
  }
  return row;
}

const COUNTED = [
  "total",
  "passed",
  "failed",
  "manual",
  ...SEVERITIES.map((s) => `failed_${s}`),
  "title",
  "severity",
  "team_view",
  "failing_accounts",
] as const;

/** The counted fields of a row as comparable text. */
const countsOf = (row: Document): string => JSON.stringify(COUNTED.map((field) => row[field] ?? null));

/** The counted fields of a facet cell as comparable text. */
const cellCountsOf = (cell: Document): string => JSON.stringify([cell["count"] ?? null, cell["frameworks"] ?? null]);

/** A comparable text of an account's rows (sorted by row key, counted fields only). */
function fingerprint(rows: readonly Document[], counts: (row: Document) => string = countsOf): string {
  return JSON.stringify(
    [...rows]
      .sort((a, b) => (String(a["row_key"]) < String(b["row_key"]) ? -1 : String(a["row_key"]) > String(b["row_key"]) ? 1 : 0))
      .map((row) => [row["account_id"], row["row_key"], counts(row)]),
  );
}

/** What `#sync` needs to know of the rows it writes: the collection's scope, schema and counted fields. */
interface RowTarget<S extends ObjectSchema> {
  readonly scope: ScopedRepository<S>;
  readonly schema: S;
  readonly counts: (row: Document) => string;
}

/** The aggregation of the team-wide rows from the account rows: every dimension but `all`, summed over accounts. */
function teamRowsPipeline(): Document[] {
  const sums: Document = {};
  for (const field of ["total", "passed", "failed", "manual", ...SEVERITIES.map((s) => `failed_${s}`)]) sums[field] = { $sum: `$${field}` };
  return [
    { $match: { account_id: { $ne: TEAM_ROLLUP_ACCOUNT }, dimension: { $ne: "all" } } },
    {
      $group: {
        _id: { provider: "$provider", day: "$day", open: "$open", dimension: "$dimension", key: "$key" },
        ...sums,
        title: { $first: "$title" },
        severity: { $first: "$severity" },
        failing: { $push: { $cond: [{ $gt: ["$failed", 0] }, "$account_id", null] } },
      },
    },
  ];
}

/** The stored form of one team-wide group. */
function toTeamRow(group: Document): Document {
  const row = toRow({ ...group, _id: { ...(group["_id"] as Document), account_id: TEAM_ROLLUP_ACCOUNT } });
  // The dashboard of all accounts reads team-wide check rows only for the days before its window's first
  // Monday (check_week rows cover the rest), by their own index range, so they stay out of the team view.
  row["team_view"] = row["dimension"] !== "check";
  if (CHECK_DIMENSIONS.includes(row["dimension"])) {
    const failing = (group["failing"] as unknown[]).filter((id): id is string => typeof id === "string");
    row["failing_accounts"] = [...new Set(failing)].sort();
  }
  return row;
}

/**
 * Finding rollups (`cspm_cloud_security.finding_rollups`): per team, account, provider, UTC day of last
 * sighting, open/resolved and dimension, the counts the dashboard and posture overviews read, so they cost
 * O(accounts × days) rows instead of O(findings). Rows are rebuilt per account from the findings whenever a
 * write marked the account (`FindingRollupMarkRepository`); `refresh` runs before every rollup read, so a
 * reader never sees rows older than the writes that finished before it started.
 */
export class FindingRollupRepository extends BaseRepository<typeof FindingRollupSchema> {
  /** The registry binding: CLOUD_SECURITY / finding_rollups. */
  static readonly definition = definition;

  readonly #findings: ProwlerFindingRepository;
  readonly #marks: FindingRollupMarkRepository;
  readonly #cells: FindingFacetCellRepository;

  constructor(context: RepositoryContext) {
    super(context, definition);
    this.#findings = new ProwlerFindingRepository(context);
    this.#marks = new FindingRollupMarkRepository(context);
    this.#cells = new FindingFacetCellRepository(context);
  }

  /**
   * Rebuilds the rows of every marked account of the team from its findings, a few accounts per step, and
   * clears each mark that no write bumped meanwhile. Idempotent and resumable: an interrupted refresh leaves
   * the accounts it did not reach marked. No marks: one indexed read. Throws `VALIDATION_FAILED`, `UNAVAILABLE`.
   */
  async refresh(teamId: string, onProgress?: (progress: RollupRefreshProgress) => void): Promise<RollupRefreshResult> {
    let first = await this.#marks.list(teamId, null, ACCOUNTS_PER_STEP);
    if (first.length === 0) return { accounts: 0, rows: 0 };
    const everything = first.find((mark) => mark.account_id === ALL_ACCOUNTS_MARK);
    if (everything !== undefined) {
      // A write whose accounts could not be told: mark every account that has findings or rows, then drop `*`.
      await this.#marks.mark(teamId, await this.accountsOf(teamId));
      await this.#marks.clear(teamId, [everything]);
      first = await this.#marks.list(teamId, null, ACCOUNTS_PER_STEP);
    }
    const marked = await this.#marks.forTeam(teamId).count();
    let accounts = 0;
    let rows = 0;
    let batch = first.filter((mark) => mark.account_id !== TEAM_ROLLUP_ACCOUNT);
    while (batch.length > 0) {
      const ids = batch.map((mark) => mark.account_id).filter((id) => id !== ALL_ACCOUNTS_MARK);
      const written = await this.#rebuild(teamId, ids);
      // The team-wide rows follow the account rows: marked after these landed, rebuilt below.
      if (written > 0) await this.#marks.mark(teamId, [TEAM_ROLLUP_ACCOUNT]);
      rows += written;
      await this.#marks.clear(teamId, batch);
      const oldest = Math.min(...batch.map((mark) => mark.marked_at.getTime()));
      dataLayerInstruments().rollupLag.record(Math.max(0, Date.now() - oldest) / 1000, { "cspm.rollup": "findings" });
      accounts += ids.length;
      onProgress?.({ accounts, marked: Math.max(marked, accounts), rows });
      const last = batch.at(-1)?.account_id ?? null;
      batch = (await this.#marks.list(teamId, last, ACCOUNTS_PER_STEP)).filter((mark) => mark.account_id !== TEAM_ROLLUP_ACCOUNT);
    }
    const team = await this.#marks.forTeam(teamId).findOne({ account_id: TEAM_ROLLUP_ACCOUNT });
    if (team !== null) {
      rows += await this.#sync(this.#rowTarget(teamId), [TEAM_ROLLUP_ACCOUNT], await this.#computeTeamRows(teamId));
      await this.#marks.clear(teamId, [team]);
    }
    return { accounts, rows };
  }

  /** Marks every account of the team stale and refreshes: a full rebuild from the findings (resumable by `refresh`). */
  async rebuild(teamId: string, onProgress?: (progress: RollupRefreshProgress) => void): Promise<RollupRefreshResult> {
    await this.#marks.mark(teamId, await this.accountsOf(teamId));
    return this.refresh(teamId, onProgress);
  }

  /**
   * Recomputes every account's rows from its findings and compares them with the stored ones, writing
   * nothing; `mismatched` lists the accounts that differ (stale or wrong). Throws `VALIDATION_FAILED`, `UNAVAILABLE`.
   */
  async verify(teamId: string, onProgress?: (progress: RollupRefreshProgress) => void): Promise<RollupVerifyResult> {
    const all = await this.accountsOf(teamId);
    const mismatched: string[] = [];
    let rows = 0;
    for (let start = 0; start < all.length; start += ACCOUNTS_PER_STEP) {
      const ids = all.slice(start, start + ACCOUNTS_PER_STEP);
      const expected = await this.#compute(teamId, ids, findingRollupRowsPipeline, toRow);
      const expectedCells = await this.#compute(teamId, ids, findingFacetCellsPipeline, toFacetCell);
      const stored: Document[] = [];
      for await (const row of this.forTeam(teamId).stream(trustedFilter({ account_id: { $in: ids } }))) stored.push(row);
      const storedCells: Document[] = [];
      for await (const cell of this.#cells.forTeam(teamId).stream(trustedFilter({ account_id: { $in: ids } }))) storedCells.push(cell);
      const of = (list: readonly Document[], id: string) => list.filter((row) => row["account_id"] === id);
      for (const id of ids) {
        const rowsDiffer = fingerprint(of(expected, id)) !== fingerprint(of(stored, id));
        const cellsDiffer = fingerprint(of(expectedCells, id), cellCountsOf) !== fingerprint(of(storedCells, id), cellCountsOf);
        if (rowsDiffer || cellsDiffer) mismatched.push(id);
      }
      rows += expected.length;
      onProgress?.({ accounts: Math.min(start + ids.length, all.length), marked: all.length, rows });
    }
    const teamRows: Document[] = [];
    for await (const row of this.forTeam(teamId).stream({ account_id: TEAM_ROLLUP_ACCOUNT })) teamRows.push(row);
    if (fingerprint(teamRows) !== fingerprint(await this.#computeTeamRows(teamId))) mismatched.push(TEAM_ROLLUP_ACCOUNT);
    return { accounts: all.length, mismatched };
  }

  /** Every account id with findings or rollup rows in the team, sorted. Throws `VALIDATION_FAILED`, `UNAVAILABLE`. */
  async accountsOf(teamId: string): Promise<string[]> {
    const fromFindings = await this.#findings.forTeam(teamId).distinct("account_id");
    const fromRows = await this.forTeam(teamId).distinct("account_id");
    const fromCells = await this.#cells.forTeam(teamId).distinct("account_id");
    return [...new Set([...fromFindings, ...fromRows, ...fromCells].map(String))].filter((id) => id !== TEAM_ROLLUP_ACCOUNT).sort();
  }

  /** The earliest time a write marked the team's rollups stale, or null when they are fresh (the rollup lag). */
  async staleSince(teamId: string): Promise<Date | null> {
    return this.#marks.oldest(teamId);
  }

  /** The rows (or cells) `pipeline` computes from the findings of `accountIds`, in bounded aggregations. */
  async #compute(
    teamId: string,
    accountIds: readonly string[],
    pipeline: (accountIds: readonly string[]) => Document[],
    stored: (group: Document) => Document,
  ): Promise<Document[]> {
    const rows: Document[] = [];
    for (const group of await this.#aggregationGroups(teamId, accountIds)) {
      for (const row of await this.#findings.forTeam(teamId).aggregate<Document>(pipeline(group))) rows.push(stored(row));
    }
    return rows;
  }

  #rowTarget(teamId: string): RowTarget<typeof FindingRollupSchema> {
    return { scope: this.forTeam(teamId), schema: FindingRollupSchema, counts: countsOf };
  }

  #cellTarget(teamId: string): RowTarget<typeof FindingFacetCellSchema> {
    return { scope: this.#cells.forTeam(teamId), schema: FindingFacetCellSchema, counts: cellCountsOf };
  }

  /**
   * `accountIds` split into groups of at most `FINDINGS_PER_AGGREGATION` findings (one count aggregation);
   * one group when they hold no more than that in all.
   */
  async #aggregationGroups(teamId: string, accountIds: readonly string[]): Promise<string[][]> {
    if (accountIds.length <= 1) return [[...accountIds]];
    const counts = await this.#findings
      .forTeam(teamId)
      .aggregate<Document>([{ $match: { account_id: { $in: [...accountIds] } } }, { $group: { _id: "$account_id", n: { $sum: 1 } } }]);
    const sizes = new Map(counts.map((row) => [String(row["_id"]), Number(row["n"]) || 0]));
    return packAccounts(accountIds, sizes, FINDINGS_PER_AGGREGATION);
  }

  /** The team-wide rows recomputed from the stored account rows. */
  async #computeTeamRows(teamId: string): Promise<Document[]> {
    return (await this.forTeam(teamId).aggregate<Document>(teamRowsPipeline())).map(toTeamRow);
  }

  /**
   * Brings the stored rollup rows and facet cells of some accounts to the recomputed ones: writes only the
   * rows whose counts changed (upserts by `row_key` on the unique `team_account_row_unique`, so two concurrent
   * rebuilds cannot double a row) and deletes the rows that no longer exist. Returns the rows written.
   */
  async #rebuild(teamId: string, accountIds: readonly string[]): Promise<number> {
    if (accountIds.length === 0) return 0;
    const rows = await this.#sync(
      this.#rowTarget(teamId),
      accountIds,
      await this.#compute(teamId, accountIds, findingRollupRowsPipeline, toRow),
    );
    const cells = await this.#compute(teamId, accountIds, findingFacetCellsPipeline, toFacetCell);
    return rows + (await this.#sync(this.#cellTarget(teamId), accountIds, cells));
  }

  /** Makes the stored rows of `accountIds` in `target` exactly `rows` (see `#rebuild`); returns the rows written or deleted. */
  async #sync<S extends ObjectSchema>(target: RowTarget<S>, accountIds: readonly string[], rows: readonly Document[]): Promise<number> {
    const { scope, counts } = target;
    const stored = new Map<string, Document>();
    for await (const row of scope.stream(trustedFilter({ account_id: { $in: [...accountIds] } })))
      stored.set(`${row.account_id}\u0000${row.row_key}`, row);
    const changed: Document[] = [];
    const added: Document[] = [];
    for (const row of rows) {
      const key = `${row["account_id"]}\u0000${row["row_key"]}`;
      const before = stored.get(key);
      stored.delete(key);
      if (before === undefined) added.push(row);
      else if (counts(before) !== counts(row)) changed.push(row);
    }
    // New rows are inserted (far cheaper than upserts); a row a concurrent rebuild inserted first makes the
    // chunk fail with CONFLICT, and the chunk is then upserted instead.
    for (let start = 0; start < added.length; start += ROWS_PER_WRITE) {
      const chunk = added.slice(start, start + ROWS_PER_WRITE);
      try {
        await scope.insertMany(chunk as never[], { ordered: false });
      } catch (error) {
        if (!(error instanceof CspmError) || error.code !== "CONFLICT") throw error;
        changed.push(...chunk);
      }
    }
    for (let start = 0; start < changed.length; start += ROWS_PER_WRITE) {
      const operations = changed.slice(start, start + ROWS_PER_WRITE).map((row) => {
        const parsed = target.schema.partial().parse(row) as Document;
        const set = { ...literal(parsed), updated_at: new Date() };
        return { filter: { account_id: parsed["account_id"], row_key: parsed["row_key"] }, pipeline: [{ $set: set }], upsert: true };
      });
      // Two rebuilds inserting the same new row race on the unique index: the loser's retry updates it.
      let pending = operations;
      for (let attempt = 0; pending.length > 0; attempt++) {
        const result = await scope.bulkUpdate(pending);
        if (result.errors.length === 0) break;
        if (attempt >= 2 || result.errors.some((e) => e.code !== "CONFLICT")) {
          throw new UnavailableError("Could not write finding rollups.", { details: { errors: result.errors.length } });
        }
        pending = result.errors.map((e) => pending[e.index]).filter((op): op is (typeof pending)[number] => op !== undefined);
      }
    }
    const removed = [...stored.values()].map((row) => row["_id"]);
    for (let start = 0; start < removed.length; start += ROWS_PER_WRITE) {
      await scope.deleteMany(trustedFilter({ _id: { $in: removed.slice(start, start + ROWS_PER_WRITE) } }));
    }
    return added.length + changed.length + removed.length;
  }
}

/** A `$set` stage value that stores `doc` as is: strings starting with `$` would be field paths, so they are wrapped in `$literal`. */
function literal(doc: Document): Document {
  const out: Document = {};
  for (const [field, value] of Object.entries(doc))
    out[field] = typeof value === "string" && value.startsWith("$") ? { $literal: value } : value;
  return out;
}

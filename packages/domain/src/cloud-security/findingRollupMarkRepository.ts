import { UnavailableError } from "@cspm/errors";
import { BaseRepository, defineRepository, type RepositoryContext, type RepositoryDocument, trustedFilter } from "@cspm/repository";
import { FindingRollupMarkSchema } from "./findingRollupSchema";

const definition = defineRepository({ database: "CLOUD_SECURITY", collection: "finding_rollup_marks", schema: FindingRollupMarkSchema });

/** A stored rollup mark. */
export type FindingRollupMarkDocument = RepositoryDocument<typeof FindingRollupMarkSchema>;

/** The mark that stands for every account of the team (a write whose accounts cannot be told). */
export const ALL_ACCOUNTS_MARK = "*";

/**
 * Which accounts' finding rollups are stale (`cspm_cloud_security.finding_rollup_marks`). Every write of
 * `prowler_findings` marks the accounts it touches before it is sent and again after it succeeded (the
 * repository's write observer), so a rebuild that read the findings before a write landed keeps the mark.
 */
export class FindingRollupMarkRepository extends BaseRepository<typeof FindingRollupMarkSchema> {
  /** The registry binding: CLOUD_SECURITY / finding_rollup_marks. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /**
   * Marks `accountIds` (null: every account, as `*`) stale: one `bulkWrite` bumping each mark's generation.
   * Throws `VALIDATION_FAILED`, `UNAVAILABLE`.
   */
  async mark(teamId: string, accountIds: readonly string[] | null, at = new Date()): Promise<void> {
    const accounts = accountIds === null ? [ALL_ACCOUNTS_MARK] : accountIds;
    if (accounts.length === 0) return;
    const operations = accounts.map((account_id) => ({
      filter: { account_id },
      pipeline: [{ $set: { generation: { $add: [{ $ifNull: ["$generation", 0] }, 1] }, marked_at: { $ifNull: ["$marked_at", at] } } }],
      upsert: true,
    }));
    // Two concurrent first marks of one account race on the unique index; the loser's retry finds the mark.
    for (let attempt = 0; ; attempt++) {
      const result = await this.forTeam(teamId).bulkUpdate(operations);
      if (result.errors.length === 0) return;
      if (attempt >= 2 || result.errors.some((e) => e.code !== "CONFLICT")) {
        throw new UnavailableError("Could not mark finding rollups stale.", { details: { errors: result.errors.length } });
      }
    }
  }

  /** The team's marks in account order, after `afterAccountId`, at most `limit`. Throws `VALIDATION_FAILED`, `UNAVAILABLE`. */
  async list(teamId: string, afterAccountId: string | null, limit: number): Promise<FindingRollupMarkDocument[]> {
    const filter = afterAccountId === null ? {} : trustedFilter({ account_id: { $gt: afterAccountId } });
    return this.forTeam(teamId).findMany(filter, { sort: { account_id: 1 }, limit });
  }

  /** The earliest `marked_at` of the team's marks (null: rollups are fresh). Throws `VALIDATION_FAILED`, `UNAVAILABLE`. */
  async oldest(teamId: string): Promise<Date | null> {
    const marks = await this.forTeam(teamId).findMany({}, { sort: { account_id: 1 }, limit: 10_000, projection: { marked_at: 1 } });
    return marks.reduce<Date | null>((min, m) => (min === null || m.marked_at < min ? m.marked_at : min), null);
  }

  /**
   * Clears the marks a rebuild has caught up with: each only if its generation is still the one the rebuild
   * saw (a write since then keeps it). Throws `UNAVAILABLE`.
   */
  async clear(teamId: string, seen: readonly Pick<FindingRollupMarkDocument, "account_id" | "generation">[]): Promise<void> {
    if (seen.length === 0) return;
    await this.forTeam(teamId).deleteMany(
      trustedFilter({ $or: seen.map((mark) => ({ account_id: mark.account_id, generation: mark.generation })) }),
    );
  }
}

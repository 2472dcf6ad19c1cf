import { BaseRepository, defineRepository, type RepositoryContext, type RepositoryDocument } from "@cspm/repository";
import type { Document } from "mongodb";
import { FACET_CELL_FIELDS, FindingFacetCellSchema } from "./findingRollupSchema";

const definition = defineRepository({ database: "CLOUD_SECURITY", collection: "finding_facet_cells", schema: FindingFacetCellSchema });

/** A stored facet cell. */
export type FindingFacetCellDocument = RepositoryDocument<typeof FindingFacetCellSchema>;

/**
 * The aggregation that computes the facet cells of some accounts from all their findings (muted and resolved
 * ones included): findings grouped by account and every `FACET_CELL_FIELDS` value (missing = null), with their
 * number and, per framework, their compliance entries (one count per entry, as the explorer's framework facet
 * counts them). It runs through the finding repository's team scope; `toFacetCell` gives the stored form.
 */
export function findingFacetCellsPipeline(accountIds: readonly string[]): Document[] {
  const cell: Document = { account_id: "$account_id" };
  for (const field of FACET_CELL_FIELDS) cell[field] = { $ifNull: [`$${field}`, null] };
  return [
    { $match: { account_id: { $in: [...accountIds] } } },
    {
      $project: {
        _id: 0,
        cell,
        // One entry for the finding itself, one per compliance entry (its framework, null when it has none).
        entries: {
          $concatArrays: [
            [{ finding: true, framework: null }],
            {
              $map: {
                input: { $ifNull: ["$compliance", []] },
                as: "c",
                in: { finding: false, framework: { $ifNull: ["$$c.framework", null] } },
              },
            },
          ],
        },
      },
    },
    { $unwind: "$entries" },
    { $group: { _id: { cell: "$cell", finding: "$entries.finding", framework: "$entries.framework" }, n: { $sum: 1 } } },
    { $group: { _id: "$_id.cell", parts: { $push: { finding: "$_id.finding", framework: "$_id.framework", n: "$n" } } } },
  ];
}

/** The stored form of one group of `findingFacetCellsPipeline`: `row_key` names the cell within its account. */
export function toFacetCell(group: Document): Document {
  const cell = (group["_id"] ?? {}) as Document;
  const parts = (group["parts"] ?? []) as { finding: boolean; framework: string | null; n: number }[];
  const row: Document = { account_id: cell["account_id"] };
  for (const field of FACET_CELL_FIELDS) row[field] = cell[field] ?? null;
  row["row_key"] = JSON.stringify(FACET_CELL_FIELDS.map((field) => row[field]));
  row["count"] = parts.filter((part) => part.finding === true).reduce((sum, part) => sum + part.n, 0);
  row["frameworks"] = parts
    .filter((part) => part.finding !== true)
    .map((part) => ({ framework: part.framework ?? null, count: part.n }))
    .sort((a, b) => (JSON.stringify(a.framework) < JSON.stringify(b.framework) ? -1 : 1));
  return row;
}

/**
 * Facet cells (`cspm_cloud_security.finding_facet_cells`): per team and account, the findings sharing every
 * value the explorer facets by, so facet counts under a filter on those values read O(cells) documents
 * instead of O(findings). Written only by `FindingRollupRepository` (refresh, rebuild), from the findings,
 * under the same marks as the rollup rows; read through `forTeam` after a refresh.
 */
export class FindingFacetCellRepository extends BaseRepository<typeof FindingFacetCellSchema> {
  /** The registry binding: CLOUD_SECURITY / finding_facet_cells. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }
}

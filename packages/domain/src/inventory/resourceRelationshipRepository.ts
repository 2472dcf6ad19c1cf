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
import { ResourceRelationshipSchema } from "./resourceRelationshipSchema";

const definition = defineRepository({
  database: "INVENTORY",
  collection: "resource_relationships",
  schema: ResourceRelationshipSchema,
  keyFields: ["source_uid", "target_uid", "relationship"],
});

/** A stored relationship as read back. */
export type ResourceRelationshipDocument = RepositoryDocument<typeof ResourceRelationshipSchema>;

const UidArgument = z.string().min(1).max(2048);

/** Edges between resources (`cspm_inventory.resource_relationships`), unique per source, target and kind. */
export class ResourceRelationshipRepository extends BaseRepository<typeof ResourceRelationshipSchema> {
  /** The registry binding: INVENTORY / resource_relationships. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Inserts or refreshes edges; per-edge problems in `errors`. */
  async upsertEdges(teamId: string, edges: readonly RepositoryInput<typeof ResourceRelationshipSchema>[]): Promise<BulkUpsertResult> {
    return this.forTeam(teamId).bulkUpsert(edges, { keyFields: ["source_uid", "target_uid", "relationship"] });
  }

  /** Edges leaving `uid`. Throws `VALIDATION_FAILED`. */
  async outgoing(teamId: string, uid: string): Promise<ResourceRelationshipDocument[]> {
    return this.forTeam(teamId).findMany(
      { source_uid: parseInput(UidArgument, uid, "uid") },
      { sort: { relationship: 1, target_uid: 1 }, limit: 1000 },
    );
  }

  /** Edges arriving at `uid`. Throws `VALIDATION_FAILED`. */
  async incoming(teamId: string, uid: string): Promise<ResourceRelationshipDocument[]> {
    return this.forTeam(teamId).findMany(
      { target_uid: parseInput(UidArgument, uid, "uid") },
      { sort: { relationship: 1, source_uid: 1 }, limit: 1000 },
    );
  }

  /** Every edge touching `uid`, either direction. Throws `VALIDATION_FAILED`. */
  async neighbours(teamId: string, uid: string): Promise<ResourceRelationshipDocument[]> {
    const u = parseInput(UidArgument, uid, "uid");
    return this.forTeam(teamId).findMany(trustedFilter({ $or: [{ source_uid: u }, { target_uid: u }] }), { sort: { _id: 1 }, limit: 1000 });
  }
}

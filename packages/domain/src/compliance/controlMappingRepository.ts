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
import { ControlMappingSchema } from "./controlMappingSchema";
import { ControlIdSchema } from "./controlSchema";
import { FrameworkIdSchema } from "./frameworkSchema";

const definition = defineRepository({
  database: "COMPLIANCE",
  collection: "control_mappings",
  schema: ControlMappingSchema,
  keyFields: ["framework_id", "control_id", "check_id"],
});

/** A stored control mapping as read back. */
export type ControlMappingDocument = RepositoryDocument<typeof ControlMappingSchema>;

/** How many check ids one look-up sends. */
const CHECK_CHUNK = 1000;

/** Check-to-control mappings (`cspm_compliance.control_mappings`, shared catalogue). */
export class ControlMappingRepository extends BaseRepository<typeof ControlMappingSchema> {
  /** The registry binding: COMPLIANCE / control_mappings. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Inserts mappings (existing ones are left as they are); per-mapping problems in `errors`. */
  async upsertMappings(mappings: readonly RepositoryInput<typeof ControlMappingSchema>[]): Promise<BulkUpsertResult> {
    return this.shared().bulkUpsert(mappings, { keyFields: ["framework_id", "control_id", "check_id"] });
  }

  /**
   * Makes the stored mappings of one framework exactly `mappings` (all of that framework): upserts them, then
   * deletes the framework's mappings not among them; running it twice changes nothing. Returns how many were
   * inserted and removed. Throws `VALIDATION_FAILED` (a mapping of another framework, bad ids).
   */
  async replaceFrameworkMappings(
    frameworkId: string,
    mappings: readonly { control_id: string; check_id: string }[],
  ): Promise<{ inserted: number; removed: number; errors: BulkUpsertResult["errors"] }> {
    const framework = parseInput(FrameworkIdSchema, frameworkId, "frameworkId");
    const result = await this.upsertMappings(
      mappings.map((m) => ({ framework_id: framework, control_id: m.control_id, check_id: m.check_id })),
    );
    const keep = new Map<string, string[]>();
    for (const m of mappings) keep.set(m.control_id, [...(keep.get(m.control_id) ?? []), m.check_id]);
    const stale: Record<string, unknown>[] = [{ control_id: { $nin: [...keep.keys()] } }];
    for (const [control, checks] of keep) stale.push({ control_id: control, check_id: { $nin: checks } });
    const removed = await this.shared().deleteMany(trustedFilter({ framework_id: framework, $or: stale }));
    return { inserted: result.inserted, removed, errors: result.errors };
  }

  /** The check ids that evidence one control. Throws `VALIDATION_FAILED`. */
  async checksForControl(frameworkId: string, controlId: string): Promise<string[]> {
    const rows = await this.shared().findMany(
      {
        framework_id: parseInput(FrameworkIdSchema, frameworkId, "frameworkId"),
        control_id: parseInput(ControlIdSchema, controlId, "controlId"),
      },
      { sort: { check_id: 1 }, limit: 1000 },
    );
    return rows.map((row) => row.check_id);
  }

  /**
   * The mappings of many checks (optionally within one framework), batched one query per 1,000 check ids.
   * Throws `VALIDATION_FAILED`.
   */
  async findByCheckIds(checkIds: readonly string[], frameworkId?: string): Promise<ControlMappingDocument[]> {
    const ids = [...new Set(parseInput(z.array(ControlMappingSchema.shape.check_id), checkIds, "checkIds"))];
    const framework = frameworkId === undefined ? undefined : parseInput(FrameworkIdSchema, frameworkId, "frameworkId");
    const found: ControlMappingDocument[] = [];
    for (let start = 0; start < ids.length; start += CHECK_CHUNK) {
      const chunk = ids.slice(start, start + CHECK_CHUNK);
      const filter = framework === undefined ? { check_id: { $in: chunk } } : { check_id: { $in: chunk }, framework_id: framework };
      for await (const row of this.shared().stream(trustedFilter(filter), { sort: { framework_id: 1, control_id: 1, check_id: 1 } }))
        found.push(row);
    }
    return found;
  }
}

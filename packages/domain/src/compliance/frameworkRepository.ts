import {
  BaseRepository,
  defineRepository,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
  trustedFilter,
} from "@cspm/repository";
import { z } from "zod";
import { FrameworkIdSchema, FrameworkSchema, frameworkIdFor } from "./frameworkSchema";

const definition = defineRepository({
  database: "COMPLIANCE",
  collection: "frameworks",
  schema: FrameworkSchema,
  keyFields: ["framework_id"],
});

/** A stored framework as read back. */
export type FrameworkDocument = RepositoryDocument<typeof FrameworkSchema>;

/** Compliance frameworks (`cspm_compliance.frameworks`, shared catalogue). */
export class FrameworkRepository extends BaseRepository<typeof FrameworkSchema> {
  /** The registry binding: COMPLIANCE / frameworks. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Inserts or updates a framework by `framework_id`. Throws `VALIDATION_FAILED`. */
  async upsertFramework(framework: RepositoryInput<typeof FrameworkSchema>): Promise<FrameworkDocument> {
    return (await this.shared().upsert(framework)).document;
  }

  /** The framework with this id, or `null`. Throws `VALIDATION_FAILED`. */
  async findByFrameworkId(frameworkId: string): Promise<FrameworkDocument | null> {
    return this.shared().findOne({ framework_id: parseInput(FrameworkIdSchema, frameworkId, "frameworkId") });
  }

  /**
   * The frameworks of `provider` that findings' compliance keys name (`CIS-2.0` …), as key -> framework;
   * keys with no loaded catalogue are absent. One query. Throws `VALIDATION_FAILED`.
   */
  async resolveComplianceKeys(provider: string, keys: readonly string[]): Promise<Map<string, FrameworkDocument>> {
    const p = parseInput(z.string().regex(/^[a-z0-9]{2,32}$/), provider, "provider");
    const wanted = parseInput(z.array(z.string().min(1).max(128)).max(1000), [...keys], "keys");
    const ids = [...new Set(wanted.map((key) => frameworkIdFor(p, key)))];
    const found = await this.shared().findMany(trustedFilter({ framework_id: { $in: ids } }), { limit: 1000 });
    const byId = new Map(found.map((f) => [f.framework_id, f]));
    const resolved = new Map<string, FrameworkDocument>();
    for (const key of wanted) {
      const framework = byId.get(frameworkIdFor(p, key));
      if (framework !== undefined) resolved.set(key, framework);
    }
    return resolved;
  }

  /** Every framework, by name. */
  async listAll(): Promise<FrameworkDocument[]> {
    return this.shared().findMany({}, { sort: { name: 1, framework_version: 1 }, limit: 1000 });
  }
}

import {
  BaseRepository,
  defineRepository,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
} from "@cspm/repository";
import { FrameworkIdSchema, FrameworkSchema } from "./frameworkSchema";

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

  /** Every framework, by name. */
  async listAll(): Promise<FrameworkDocument[]> {
    return this.shared().findMany({}, { sort: { name: 1, framework_version: 1 }, limit: 1000 });
  }
}

import {
  BaseRepository,
  defineRepository,
  type BulkUpsertResult,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
} from "@cspm/repository";
import { ControlIdSchema, ControlSchema } from "./controlSchema";
import { FrameworkIdSchema } from "./frameworkSchema";

const definition = defineRepository({
  database: "COMPLIANCE",
  collection: "controls",
  schema: ControlSchema,
  keyFields: ["framework_id", "control_id"],
});

/** A stored control as read back. */
export type ControlDocument = RepositoryDocument<typeof ControlSchema>;

/** Controls of each framework (`cspm_compliance.controls`, shared catalogue). */
export class ControlRepository extends BaseRepository<typeof ControlSchema> {
  /** The registry binding: COMPLIANCE / controls. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Inserts or updates controls by `(framework_id, control_id)`; per-control problems in `errors`. */
  async upsertControls(controls: readonly RepositoryInput<typeof ControlSchema>[]): Promise<BulkUpsertResult> {
    return this.shared().bulkUpsert(controls, { keyFields: ["framework_id", "control_id"] });
  }

  /** The controls of a framework, by control id. Throws `VALIDATION_FAILED`. */
  async listForFramework(frameworkId: string): Promise<ControlDocument[]> {
    return this.shared().findMany(
      { framework_id: parseInput(FrameworkIdSchema, frameworkId, "frameworkId") },
      { sort: { control_id: 1 }, limit: 1000 },
    );
  }

  /** One control, or `null`. Throws `VALIDATION_FAILED`. */
  async findControl(frameworkId: string, controlId: string): Promise<ControlDocument | null> {
    return this.shared().findOne({
      framework_id: parseInput(FrameworkIdSchema, frameworkId, "frameworkId"),
      control_id: parseInput(ControlIdSchema, controlId, "controlId"),
    });
  }
}

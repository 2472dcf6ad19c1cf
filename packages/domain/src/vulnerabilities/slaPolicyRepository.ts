import { NotFoundError } from "@cspm/errors";
import {
  BaseRepository,
  defineRepository,
  trustedFilter,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
  toObjectId,
} from "@cspm/repository";
import type { ObjectId } from "mongodb";
import { SlaPolicySchema } from "./slaPolicySchema";

const definition = defineRepository({
  database: "VULNERABILITIES",
  collection: "sla_policies",
  schema: SlaPolicySchema,
  keyFields: ["name"],
});

/** A stored SLA policy as read back. */
export type SlaPolicyDocument = RepositoryDocument<typeof SlaPolicySchema>;

/** SLA policies (`cspm_vulnerabilities.sla_policies`): days to remediate per severity; at most one default per team. */
export class SlaPolicyRepository extends BaseRepository<typeof SlaPolicySchema> {
  /** The registry binding: VULNERABILITIES / sla_policies. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Creates a policy (not the default; see `setDefault`). Throws `VALIDATION_FAILED`, `CONFLICT` (name taken). */
  async create(teamId: string, input: Omit<RepositoryInput<typeof SlaPolicySchema>, "is_default">): Promise<SlaPolicyDocument> {
    return this.forTeam(teamId).insertOne({ ...input, is_default: false });
  }

  /** The policy named `name`, or `null`. Throws `VALIDATION_FAILED`. */
  async findByName(teamId: string, name: string): Promise<SlaPolicyDocument | null> {
    return this.forTeam(teamId).findOne({ name: parseInput(SlaPolicySchema.shape.name, name, "name") });
  }

  /** The team's default policy, or `null`. */
  async getDefault(teamId: string): Promise<SlaPolicyDocument | null> {
    return this.forTeam(teamId).findOne({ is_default: true });
  }

  /** Makes one policy the team's only default. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async setDefault(teamId: string, id: ObjectId | string): Promise<SlaPolicyDocument> {
    const scope = this.forTeam(teamId);
    const _id = toObjectId(id);
    const target = await scope.findById(_id);
    if (!target) throw new NotFoundError(`No SLA policy ${_id.toHexString()} in this team.`, { details: { id: _id.toHexString() } });
    await scope.updateMany(trustedFilter({ is_default: true, _id: { $ne: _id } }), { $set: { is_default: false } });
    return scope.update(_id, { is_default: true });
  }
}

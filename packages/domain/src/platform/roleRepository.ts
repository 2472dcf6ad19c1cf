import {
  BaseRepository,
  defineRepository,
  parseInput,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  type WriteOptions,
} from "@cspm/repository";
import { RoleNameSchema } from "./permissionSchema";
import { RoleSchema } from "./roleSchema";

const definition = defineRepository({ database: "PLATFORM", collection: "roles", schema: RoleSchema, keyFields: ["name"] });

/** A stored custom role as read back. */
export type RoleDocument = RepositoryDocument<typeof RoleSchema>;

/** Custom roles of a team (`cspm_platform.roles`), unique by name. */
export class RoleRepository extends BaseRepository<typeof RoleSchema> {
  /** The registry binding: PLATFORM / roles. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Stores a role. Throws `VALIDATION_FAILED`, `CONFLICT` (name taken). */
  async create(teamId: string, input: RepositoryInput<typeof RoleSchema>, options: WriteOptions = {}): Promise<RoleDocument> {
    return this.forTeam(teamId).insertOne(input, options);
  }

  /** The team's role with this name, or `null`. Throws `VALIDATION_FAILED`. */
  async findByName(teamId: string, name: string): Promise<RoleDocument | null> {
    return this.forTeam(teamId).findOne({ name: parseInput(RoleNameSchema, name, "name") });
  }

  /** Every custom role of the team by name (at most 1,000). */
  async list(teamId: string): Promise<RoleDocument[]> {
    return this.forTeam(teamId).findMany({}, { sort: { name: 1 }, limit: 1000 });
  }

  /** Deletes the role; `true` when it existed. Throws `VALIDATION_FAILED`. */
  async deleteByName(teamId: string, name: string, options: WriteOptions = {}): Promise<boolean> {
    return this.forTeam(teamId).deleteOne({ name: parseInput(RoleNameSchema, name, "name") }, options);
  }
}

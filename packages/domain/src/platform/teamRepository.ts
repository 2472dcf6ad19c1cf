import { BaseRepository, defineRepository, type RepositoryContext, type RepositoryDocument, type RepositoryInput } from "@cspm/repository";
import { z } from "zod";
import { parseArgument } from "../common/parseArgument";
import { TeamSchema } from "./teamSchema";

const definition = defineRepository({ database: "PLATFORM", collection: "teams", schema: TeamSchema, keyFields: ["slug"] });

/** A stored team as read back. */
export type TeamDocument = RepositoryDocument<typeof TeamSchema>;

/** The teams of the platform (`cspm_platform.teams`, shared by design: a team is not owned by a team). */
export class TeamRepository extends BaseRepository<typeof TeamSchema> {
  /** The registry binding: PLATFORM / teams. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Creates a team. Throws `VALIDATION_FAILED`, `CONFLICT` (slug taken, `details.reason: DUPLICATE_KEY`). */
  async create(input: RepositoryInput<typeof TeamSchema>): Promise<TeamDocument> {
    return this.shared().insertOne(input);
  }

  /** The team with this slug, or `null`. Throws `VALIDATION_FAILED` for a non-string slug. */
  async findBySlug(slug: string): Promise<TeamDocument | null> {
    return this.shared().findOne({ slug: parseArgument(z.string().min(1).max(63), slug, "slug") });
  }

  /** Every active team, by name. */
  async listActive(): Promise<TeamDocument[]> {
    return this.shared().findMany({ status: "active" }, { sort: { name: 1 } });
  }
}

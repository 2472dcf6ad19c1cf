import {
  BaseRepository,
  defineRepository,
  MAX_FIND_LIMIT,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
} from "@cspm/repository";
import { z } from "zod";
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
    return this.shared().findOne({ slug: parseInput(z.string().min(1).max(63), slug, "slug") });
  }

  /** The active teams by name, at most 10,000 (`MAX_FIND_LIMIT`); `streamActive()` reads every one. */
  async listActive(): Promise<TeamDocument[]> {
    return this.shared().findMany({ status: "active" }, { sort: { name: 1 }, limit: MAX_FIND_LIMIT });
  }

  /** Every active team, by name, fetched 500 at a time (bounded memory). Throws `UNAVAILABLE` from the loop. */
  streamActive(): AsyncIterable<TeamDocument> {
    return this.shared().stream({ status: "active" }, { sort: { name: 1, _id: 1 } });
  }
}

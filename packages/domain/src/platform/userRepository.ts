import {
  BaseRepository,
  defineRepository,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
  toObjectId,
} from "@cspm/repository";
import { z } from "zod";
import { ListLimitSchema } from "../common/listLimit";
import { RoleNameSchema } from "./permissionSchema";
import { UserSchema } from "./userSchema";

const definition = defineRepository({ database: "PLATFORM", collection: "users", schema: UserSchema, keyFields: ["email"] });

/** A stored user as read back. */
export type UserDocument = RepositoryDocument<typeof UserSchema>;

const EmailArgument = z.string().trim().toLowerCase().pipe(z.email());

/** Users of a team (`cspm_platform.users`); emails are stored lowercase and unique per team. */
export class UserRepository extends BaseRepository<typeof UserSchema> {
  /** The registry binding: PLATFORM / users. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Creates a user (email lowercased). Throws `VALIDATION_FAILED`, `CONFLICT` (email taken in this team). */
  async create(teamId: string, input: RepositoryInput<typeof UserSchema>): Promise<UserDocument> {
    const email = parseInput(EmailArgument, input.email, "email");
    return this.forTeam(teamId).insertOne({ ...input, email });
  }

  /** The team's user with this email (case-insensitive), or `null`. Throws `VALIDATION_FAILED`. */
  async findByEmail(teamId: string, email: string): Promise<UserDocument | null> {
    return this.forTeam(teamId).findOne({ email: parseInput(EmailArgument, email, "email") });
  }

  /** The team's users with `role`, by email, at most `limit` (1..1,000, default 1,000). Throws `VALIDATION_FAILED`. */
  async listByRole(teamId: string, role: string, limit = 1000): Promise<UserDocument[]> {
    return this.forTeam(teamId).findMany(
      { role: parseInput(RoleNameSchema, role, "role") },
      { sort: { email: 1 }, limit: parseInput(ListLimitSchema, limit, "limit") },
    );
  }

  /** Sets `last_login_at`. Throws `VALIDATION_FAILED`, `NOT_FOUND` (no such user in this team). */
  async recordLogin(teamId: string, userId: string, at: Date = new Date()): Promise<UserDocument> {
    return this.forTeam(teamId).update(toObjectId(userId, "userId"), { last_login_at: parseInput(z.date(), at, "at") });
  }
}

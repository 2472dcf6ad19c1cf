import { UserRepository, type UserDocument } from "@cspm/domain";
import { ConflictError, ForbiddenError, NotFoundError } from "@cspm/errors";
import { ObjectIdHexSchema, parseInput, parseTeamId, type RepositoryFactory, type TeamId } from "@cspm/repository";
import { z } from "zod";
import type { Actor } from "./actor";
import { assertCanGrant, type RoleCatalog } from "./roleCatalog";
import type { SessionService } from "./sessionService";

/** A member of a team as returned (never a password hash). */
export interface MemberView {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly role: string;
  readonly status: "active" | "invited" | "disabled";
  readonly created_at: Date;
  readonly last_login_at?: Date;
}

/** Input of `addMember`. */
export interface AddMemberInput {
  readonly email: string;
  readonly name: string;
  readonly role: string;
}

/** The input `addMember` validates (`AddMemberInput`). */
export const AddMemberInputSchema = z.strictObject({
  email: z.string().trim().toLowerCase().pipe(z.email()).pipe(z.string().max(254)),
  name: z.string().trim().min(1).max(200),
  role: z.string().min(1).max(64),
});

/** The client-safe view of a user record (explicit whitelist). */
export function memberView(doc: UserDocument): MemberView {
  return {
    id: doc._id.toHexString(),
    email: doc.email,
    name: doc.name,
    role: doc.role,
    status: doc.status,
    created_at: doc.created_at,
    ...(doc.last_login_at === undefined ? {} : { last_login_at: doc.last_login_at }),
  };
}

/**
 * Members of a team: a user record per team (`cspm_platform.users`) with the role the user holds there.
 * Adding, re-roling and removing check that the grantor holds what it grants (only owners touch owners),
 * and that a team never loses its last active owner. Removing disables the user and revokes their sessions.
 * Methods throw `VALIDATION_FAILED`, `NOT_FOUND`, `CONFLICT` (`DUPLICATE_KEY`, `LAST_OWNER`), `FORBIDDEN` (`ROLE_ESCALATION`).
 */
export class MemberService {
  readonly #users: UserRepository;
  readonly #roles: RoleCatalog;
  readonly #sessions: SessionService;

  constructor(deps: { readonly repositories: RepositoryFactory; readonly roles: RoleCatalog; readonly sessions: SessionService }) {
    this.#users = deps.repositories.get(UserRepository);
    this.#roles = deps.roles;
    this.#sessions = deps.sessions;
  }

  /** The team's members by email (at most 1,000). */
  async listMembers(teamId: TeamId): Promise<MemberView[]> {
    const docs = await this.#users.forTeam(parseTeamId(teamId)).findMany({}, { sort: { email: 1 }, limit: 1000 });
    return docs.map(memberView);
  }

  /** One member. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async getMember(teamId: TeamId, userId: string): Promise<MemberView> {
    return memberView(await this.#get(parseTeamId(teamId), userId));
  }

  /** The team's member with this email, or `null`. Throws `VALIDATION_FAILED`. */
  async findByEmail(teamId: TeamId, email: string): Promise<MemberView | null> {
    const doc = await this.#users.findByEmail(parseTeamId(teamId), email);
    return doc === null ? null : memberView(doc);
  }

  /** Adds an active member with a role the grantor may grant. Throws `VALIDATION_FAILED`, `FORBIDDEN`, `CONFLICT` (email taken). */
  async addMember(teamId: TeamId, input: AddMemberInput, grantor: Actor): Promise<MemberView> {
    const team = parseTeamId(teamId);
    const data = parseInput(AddMemberInputSchema, input, "");
    assertCanGrant(grantor, data.role, await this.#roles.requireRole(team, data.role));
    return memberView(await this.#users.create(team, { email: data.email, name: data.name, role: data.role, status: "active" }));
  }

  /** Gives a member another role. Throws `VALIDATION_FAILED`, `NOT_FOUND`, `FORBIDDEN`, `CONFLICT` (`LAST_OWNER`). */
  async changeRole(teamId: TeamId, userId: string, role: string, grantor: Actor): Promise<MemberView> {
    const team = parseTeamId(teamId);
    const user = await this.#get(team, userId);
    assertCanGrant(grantor, role, await this.#roles.requireRole(team, role));
    if (user.role === "owner" && role !== "owner") await this.#assertNotLastOwner(team, grantor);
    return memberView(await this.#users.forTeam(team).update(user._id, { role }));
  }

  /** Disables a member and revokes their sessions. Throws `VALIDATION_FAILED`, `NOT_FOUND`, `FORBIDDEN`, `CONFLICT` (`LAST_OWNER`). */
  async removeMember(teamId: TeamId, userId: string, grantor: Actor): Promise<MemberView> {
    const team = parseTeamId(teamId);
    const user = await this.#get(team, userId);
    if (user.role === "owner") await this.#assertNotLastOwner(team, grantor);
    const disabled = await this.#users.forTeam(team).update(user._id, { status: "disabled" });
    await this.#sessions.revokeUserSessions(team, user._id.toHexString());
    return memberView(disabled);
  }

  async #get(team: TeamId, userId: string): Promise<UserDocument> {
    const id = parseInput(ObjectIdHexSchema, userId, "userId");
    const user = await this.#users.forTeam(team).findById(id);
    if (user === null) throw new NotFoundError(`No member ${id} in this team.`, { details: { id } });
    return user;
  }

  async #assertNotLastOwner(team: TeamId, grantor: Actor): Promise<void> {
    if (grantor.role !== "owner") throw new ForbiddenError("Only an owner can change or remove an owner.", { reason: "ROLE_ESCALATION" });
    const owners = (await this.#users.listByRole(team, "owner")).filter((u) => u.status === "active").length;
    if (owners <= 1) throw new ConflictError("The team would be left without an active owner.", { reason: "LAST_OWNER" });
  }
}

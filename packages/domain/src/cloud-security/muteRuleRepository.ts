import { BaseRepository, defineRepository, type RepositoryContext, type RepositoryDocument } from "@cspm/repository";
import { MuteRuleSchema } from "./muteRuleSchema";

const definition = defineRepository({ database: "CLOUD_SECURITY", collection: "mute_rules", schema: MuteRuleSchema });

/** A stored mute rule as read back. */
export type MuteRuleDocument = RepositoryDocument<typeof MuteRuleSchema>;

/** At most this many enabled rules are applied by one import. */
export const MAX_ACTIVE_MUTE_RULES = 500;

/** The team's mute rules (`cspm_cloud_security.mute_rules`); `MuteRuleService` manages them, every import reads the enabled ones. */
export class MuteRuleRepository extends BaseRepository<typeof MuteRuleSchema> {
  /** The registry binding: CLOUD_SECURITY / mute_rules. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** The team's enabled rules, oldest first (index `team_enabled_id`). Throws `VALIDATION_FAILED`, `UNAVAILABLE`. */
  async findEnabled(teamId: string): Promise<MuteRuleDocument[]> {
    return this.forTeam(teamId).findMany({ enabled: true }, { sort: { enabled: 1, _id: 1 }, limit: MAX_ACTIVE_MUTE_RULES });
  }
}

import { BaseRepository, defineRepository, type RepositoryContext, type RepositoryDocument, parseInput } from "@cspm/repository";
import { SettingSchema } from "./settingSchema";

const definition = defineRepository({ database: "PLATFORM", collection: "settings", schema: SettingSchema, keyFields: ["key"] });

/** A stored setting as read back. */
export type SettingDocument = RepositoryDocument<typeof SettingSchema>;

const KeyArgument = SettingSchema.shape.key;

/** Per-team settings by key (`cspm_platform.settings`). */
export class SettingRepository extends BaseRepository<typeof SettingSchema> {
  /** The registry binding: PLATFORM / settings. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** The value of `key`, or `undefined` when unset. Throws `VALIDATION_FAILED`. */
  async get(teamId: string, key: string): Promise<unknown> {
    const setting = await this.forTeam(teamId).findOne({ key: parseInput(KeyArgument, key, "key") });
    return setting?.value;
  }

  /** Sets `key` to `value` (insert or replace). Throws `VALIDATION_FAILED`. */
  async set(teamId: string, key: string, value: unknown): Promise<SettingDocument> {
    const result = await this.forTeam(teamId).upsert({ key: parseInput(KeyArgument, key, "key"), value });
    return result.document;
  }

  /** Removes `key`; `true` when it existed. Throws `VALIDATION_FAILED`. */
  async remove(teamId: string, key: string): Promise<boolean> {
    return this.forTeam(teamId).deleteOne({ key: parseInput(KeyArgument, key, "key") });
  }

  /** Every setting of the team as a `{ key: value }` object. */
  async listAll(teamId: string): Promise<Record<string, unknown>> {
    const settings = await this.forTeam(teamId).findMany({}, { sort: { key: 1 }, limit: 1000 });
    return Object.fromEntries(settings.map((s) => [s.key, s.value]));
  }
}

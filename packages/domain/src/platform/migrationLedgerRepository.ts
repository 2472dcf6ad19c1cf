import { BaseRepository, defineRepository, type RepositoryContext, type RepositoryDocument, type RepositoryInput } from "@cspm/repository";
import { parseArgument } from "../common/parseArgument";
import { MigrationLedgerEntrySchema } from "./migrationLedgerEntrySchema";

const definition = defineRepository({
  database: "PLATFORM",
  collection: "migration_ledger",
  schema: MigrationLedgerEntrySchema,
  keyFields: ["id"],
});

/** A stored ledger entry as read back. */
export type MigrationLedgerEntryDocument = RepositoryDocument<typeof MigrationLedgerEntrySchema>;

/** The migration ledger (`cspm_platform.migration_ledger`, shared): one entry per migration id. */
export class MigrationLedgerRepository extends BaseRepository<typeof MigrationLedgerEntrySchema> {
  /** The registry binding: PLATFORM / migration_ledger. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** The entry of migration `id`, or `null`. Throws `VALIDATION_FAILED`. */
  async findEntry(id: string): Promise<MigrationLedgerEntryDocument | null> {
    return this.shared().findOne({ id: parseArgument(MigrationLedgerEntrySchema.shape.id, id, "id") });
  }

  /** Records the outcome of migration `id` (insert or replace). Throws `VALIDATION_FAILED`. */
  async record(entry: RepositoryInput<typeof MigrationLedgerEntrySchema>): Promise<MigrationLedgerEntryDocument> {
    return (await this.shared().upsert(entry)).document;
  }

  /** Every applied migration, oldest first. */
  async listApplied(): Promise<MigrationLedgerEntryDocument[]> {
    return this.shared().findMany({ outcome: "applied" }, { sort: { applied_at: 1 }, limit: 1000 });
  }
}

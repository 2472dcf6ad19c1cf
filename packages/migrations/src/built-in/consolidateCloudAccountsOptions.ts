import type { AssociatedData } from "@cspm/crypto";

/** The identity an account's credentials are bound to. */
export interface CloudAccountIdentity {
  readonly team_id: string;
  readonly provider: string;
  readonly account_id: string;
}

/** Settings of `0002-consolidate-cloud-accounts`, passed as `config.cloudAccounts`. */
export interface ConsolidateCloudAccountsOptions {
  /** Legacy documents per batch (one target write and one marking write per batch). Default 500. */
  readonly batchSize?: number;
  /** Delete legacy documents once they are marked migrated. Default false: they are kept, marked. */
  readonly deleteSources?: boolean;
  /**
   * What to do with legacy documents that cannot be mapped (no team, unknown provider, malformed account id):
   * `"fail"` (default) stops before any account is written and lists them; `"skip"` leaves them unmarked and
   * reports their ids.
   */
  readonly onInvalid?: "fail" | "skip";
  /**
   * Associated data the credentials envelope is bound to. Default `{ team_id, provider, account_id }` — what
   * `CentralAccountService` presents to decrypt; it must match whatever service reads them.
   */
  readonly credentialsAad?: (identity: CloudAccountIdentity) => AssociatedData | undefined;
  /**
   * Reshapes legacy plaintext credentials before encryption. Default `legacyCredentialKeys`: renames the old
   * key spellings (`aws_access_key_id`, `secretAccessKey`, `roleArn`, `clientSecret` …) to the platform's.
   */
  readonly mapCredentials?: (credentials: Readonly<Record<string, unknown>>, identity: CloudAccountIdentity) => Record<string, unknown>;
  /**
   * Called after a batch's accounts are written and before its sources are marked — the point a crash hurts
   * most. For observability and for tests that simulate a crash by throwing here.
   */
  readonly onBatchWritten?: (batch: {
    readonly index: number;
    readonly sources: number;
    readonly accounts: number;
  }) => void | Promise<void>;
}

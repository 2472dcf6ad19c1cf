import { type RequestScope, type ServiceContainer, TOKENS } from "@cspm/container";
import { NotFoundError, ValidationError } from "@cspm/errors";
import { type ByteSource, type ImportOptions, type ImportSummary, importRepositories, importScan } from "@cspm/ingest";
import type { TeamId } from "@cspm/repository";
import type { AccountSummary, ActorServices } from "@cspm/services";

/** Anything that resolves container tokens and repository classes: a `ServiceContainer` or a `RequestScope`. */
export type ImportServiceResolver = Pick<ServiceContainer, "resolve"> | Pick<RequestScope, "resolve">;

/** Options of `auditedImport`: `@cspm/ingest`'s import options for one team, plus the registered account. */
export interface AuditedImportOptions
  extends Pick<
    ImportOptions,
    | "scanRunId"
    | "full"
    | "complete"
    | "batchSize"
    | "maxRejects"
    | "target"
    | "contentType"
    | "onProgress"
    | "onScanRun"
    | "maxRecordBytes"
  > {
  readonly teamId: TeamId;
  readonly source: ByteSource;
  /**
   * The registered cloud account the file belongs to: its document id or its provider account id. Every
   * record must belong to it; an unknown (or deleted) account is `NOT_FOUND` before anything is read.
   * Without it the records name their accounts.
   */
  readonly account?: string | undefined;
  /** Stored on the scan run (`requested_by`). */
  readonly requestedBy: string;
}

/** The error of an import that ran and failed (bad input after some batches, nothing importable): it carries the summary. */
export class ImportFailedError extends ValidationError {
  readonly summary: ImportSummary;

  constructor(summary: ImportSummary) {
    const where =
      summary.failure?.record === undefined
        ? ""
        : ` (record ${summary.failure.record}${summary.failure.line === undefined ? "" : `, line ${summary.failure.line}`})`;
    super(
      `${summary.error ?? "The import failed."}${where}`,
      summary.errors.slice(0, 20).map((e) => ({ path: `${e.record}${e.path ? `.${e.path}` : ""}`, message: e.message })),
      {
        details: {
          ...(summary.failure === undefined ? {} : { ...summary.failure }),
          scan_run_id: summary.scan_run_id,
          records: summary.records,
          rejected: summary.rejected,
          written: summary.written,
        },
      },
    );
    this.summary = summary;
  }
}

/**
 * Imports one scanner output with `@cspm/ingest` as the acting actor: ONE audited mutation `findings.import`
 * (permission `manage_scans`, through the audit outbox: an import writes in batches, not in one
 * transaction) — the permission is checked before a byte is read. Inside it: the registered account (when
 * given), `importScan` (format detection, batches, scan run, lifecycle, resolve sweep with `full`), the
 * account's last scan, and the team's cached dashboards dropped once anything was written. Used by the
 * worker CLI and the API's `POST /findings/import`. Throws `FORBIDDEN`, `NOT_FOUND` (account, scan run),
 * `VALIDATION_FAILED` (an unsupported input, with `details.reason`; `ImportFailedError` for a failed run,
 * audited as a failure), `PAYLOAD_TOO_LARGE` / `UNAVAILABLE` from the source or MongoDB.
 */
export function auditedImport(scope: ImportServiceResolver, acting: ActorServices, options: AuditedImportOptions): Promise<ImportSummary> {
  const resolver = scope as Pick<ServiceContainer, "resolve">;
  const { teamId, source } = options;
  return acting.audited(
    {
      action: "findings.import",
      permission: "manage_scans",
      target: options.account === undefined ? { type: "scan_run" } : { type: "cloud_account", id: options.account },
      ...(options.account === undefined ? { targetIdOf: (s: ImportSummary) => s.scan_run_id ?? undefined } : {}),
      changes: {
        account: options.account ?? null,
        source: source.label,
        scan_run_id: options.scanRunId ?? null,
        full: options.full === true,
        complete: options.complete !== false,
      },
      mode: "outbox",
      metadataOf: (s: ImportSummary) => ({
        scan_run_id: s.scan_run_id,
        status: s.status,
        format: s.format,
        records: s.records,
        written: s.written,
        inserted: s.inserted,
        changed: s.changed,
        unchanged: s.unchanged,
        resolved: s.resolved,
        reopened: s.reopened,
        rejected: s.rejected,
      }),
    },
    teamId,
    async () => {
      const accounts = resolver.resolve(TOKENS.CentralAccountService);
      let account: AccountSummary | undefined;
      if (options.account !== undefined) {
        account = (await accounts.resolveAccounts(teamId, [options.account])).get(options.account);
        if (account === undefined || account.deleted) {
          throw new NotFoundError(`No cloud account "${options.account}" in this team.`, {
            details: { account: options.account, hint: "Register the account first (POST /accounts, or the worker's --create-account)." },
          });
        }
      }
      const { account: _given, teamId: _team, source: _source, requestedBy, ...rest } = options;
      let summary: ImportSummary;
      try {
        summary = await importScan(importRepositories({ get: (repository) => resolver.resolve(repository as never) }), source, {
          ...rest,
          teamId,
          requestedBy: requestedBy.slice(0, 128),
          ...(account === undefined ? {} : { account: account.account_id }),
        });
      } catch (error) {
        // Whole batches may have been written before MongoDB or the source failed: drop the cached figures anyway.
        await resolver
          .resolve(TOKENS.AggregationService)
          .invalidate(teamId)
          .catch(() => undefined);
        throw error;
      }
      if (account !== undefined && summary.scan_run_id !== null) {
        const status = summary.status === "failed" ? "failed" : summary.status === "running" ? "running" : "completed";
        await accounts.recordLastScan(teamId, account.id, { status });
      }
      if (summary.written > 0) await resolver.resolve(TOKENS.AggregationService).invalidate(teamId);
      if (summary.status === "failed") throw new ImportFailedError(summary);
      return summary;
    },
  );
}

import { parseTeamId } from "@cspm/repository";
import type { RequestScope, ServiceContainer } from "@cspm/container";
import { TOKENS } from "@cspm/container";
import { ProwlerFindingRepository, ProwlerFindingSchema, ScanRunRepository, type CloudProvider } from "@cspm/domain";
import { isCspmError, NotFoundError, ValidationError } from "@cspm/errors";
import type { AccountSummary, AggregationService, CentralAccountService } from "@cspm/services";
import { mapFinding, type FindingFormat, type MappedFinding } from "./prowlerFormat";
import type { FindingSource } from "./findingSource";

/** What an import needs; `importDependenciesFrom(services)` resolves them from a container or request scope. */
export interface ImportDependencies {
  readonly findings: ProwlerFindingRepository;
  readonly scanRuns: ScanRunRepository;
  readonly accounts: CentralAccountService;
  /** When given, the team's cached dashboard summaries are dropped after the import. */
  readonly aggregation?: AggregationService;
}

/** Progress of an import: `validating` reads the source once (bytes), `writing` upserts (findings). */
export interface ImportProgress {
  readonly phase: "validating" | "writing";
  /** Findings read so far (validating) or processed so far (writing). */
  readonly done: number;
  /** Elements in the source; known once validation has finished. */
  readonly total?: number;
  readonly bytesRead?: number;
  readonly totalBytes?: number;
}

/** Options of `importProwler`. */
export interface ImportOptions {
  readonly teamId: string;
  /** The account: its document id (24 hex) or its provider account id (`123456789012`). */
  readonly account: string;
  readonly source: FindingSource;
  /** Findings per upsert round trip, 1–10,000 (default 1,000). */
  readonly batchSize?: number;
  /** When the findings were seen (their `last_seen_at`); default: now. */
  readonly seenAt?: Date;
  /** Stored on the scan run as `requested_by` (a user id, `worker-cli` …). */
  readonly requestedBy?: string;
  /** At most this many issues are listed in the report (default 100); all are counted. */
  readonly maxReportedIssues?: number;
  readonly onProgress?: (progress: ImportProgress) => void;
}

/** One element of the source that was not imported. */
export interface ImportIssue {
  /** Position of the element in the source (0-based). */
  readonly index: number;
  /** Field of the finding (`account_id`, `status`), or `""` for the whole element. */
  readonly path: string;
  readonly message: string;
  readonly check_id?: string;
}

/** What `importProwler` did. A `failed` run wrote nothing, or stopped at a read error after `written` findings. */
export interface ImportReport {
  readonly status: "completed" | "failed";
  /** Why the run failed. */
  readonly error?: string;
  readonly scan_run_id: string;
  readonly team_id: string;
  readonly account: { readonly id: string; readonly account_id: string; readonly provider: CloudProvider; readonly name: string };
  readonly source: string;
  readonly format: FindingFormat | null;
  /** Elements in the source. */
  readonly total: number;
  /** Findings stored (inserted + updated + unchanged). */
  readonly written: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  /** Elements not stored (see `issues`). */
  readonly rejected: number;
  readonly passed: number;
  readonly failed: number;
  readonly manual: number;
  readonly issues: readonly ImportIssue[];
  readonly issues_truncated: boolean;
  readonly duration_ms: number;
}

/** Anything that resolves container tokens and repository classes: a `ServiceContainer` or a `RequestScope`. */
export type ImportServiceResolver = Pick<ServiceContainer, "resolve"> | Pick<RequestScope, "resolve">;

/** The repositories and services an import uses, from a container or request scope. */
export function importDependenciesFrom(services: ImportServiceResolver): ImportDependencies {
  const resolver = services as Pick<ServiceContainer, "resolve">;
  return {
    findings: resolver.resolve(ProwlerFindingRepository),
    scanRuns: resolver.resolve(ScanRunRepository),
    accounts: resolver.resolve(TOKENS.CentralAccountService),
    aggregation: resolver.resolve(TOKENS.AggregationService),
  };
}

/**
 * Looks up the account an import targets, by document id or provider account id, in one query.
 * Throws `VALIDATION_FAILED` (bad team id), `NOT_FOUND` (no live account of the team; register it first).
 */
export async function resolveImportAccount(accounts: CentralAccountService, teamId: string, account: string): Promise<AccountSummary> {
  const found = (await accounts.resolveAccounts(parseTeamId(teamId), [account])).get(account);
  if (found === undefined || found.deleted) {
    throw new NotFoundError(`No cloud account "${account}" in this team.`, {
      details: { account, hint: "Register the account first (POST /accounts, or the worker's --create-account)." },
    });
  }
  return found;
}

const DEFAULT_BATCH = 1000;
const VALIDATION_SCAN_ID = "import-validation";

/**
 * Maps one element and checks it belongs to the target account; with `at`, also validates it against the
 * stored schema (the validation pass; the write pass leaves that to the repository, which reports per finding).
 */
function checkElement(
  element: unknown,
  teamId: string,
  target: AccountSummary,
  at?: Date,
): { finding: MappedFinding; format: FindingFormat } | { issues: ImportIssue[]; format: FindingFormat | undefined; checkId?: string } {
  const mapped = mapFinding(element);
  const checkId = checkIdOf(element);
  if (!mapped.ok)
    return {
      issues: mapped.issues.map((i) => ({ index: -1, ...i })),
      format: mapped.format,
      ...(checkId === undefined ? {} : { checkId }),
    };
  const { finding } = mapped;
  if (finding.provider !== target.provider || finding.account_id !== target.account_id) {
    return {
      format: mapped.format,
      checkId: finding.check_id,
      issues: [
        {
          index: -1,
          path: "account_id",
          message: `belongs to ${finding.provider} account ${finding.account_id}, not to ${target.provider} account ${target.account_id}`,
        },
      ],
    };
  }
  if (at === undefined) return { finding, format: mapped.format };
  const stored = ProwlerFindingSchema.safeParse({
    ...finding,
    team_id: teamId,
    scan_id: VALIDATION_SCAN_ID,
    muted: finding.muted ?? false,
    first_seen_at: at,
    last_seen_at: at,
  });
  if (!stored.success) {
    return {
      format: mapped.format,
      checkId: finding.check_id,
      issues: stored.error.issues.map((issue) => ({ index: -1, path: issue.path.map(String).join("."), message: issue.message })),
    };
  }
  return { finding, format: mapped.format };
}

/** The check id of an element that could not be mapped, for the report. */
function checkIdOf(element: unknown): string | undefined {
  const e = element as { CheckID?: unknown; metadata?: { event_code?: unknown } } | null;
  const id = e?.CheckID ?? e?.metadata?.event_code;
  return typeof id === "string" ? id.slice(0, 200) : undefined;
}

function describe(error: unknown): string {
  if (isCspmError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Imports a Prowler output (native JSON or OCSF) into one account as one scan run (pending -> running ->
 * completed|failed): the source is validated in full before the first write, then upserted idempotently in
 * batches, so a re-run inserts nothing (see README "What an import does"). Throws `VALIDATION_FAILED` (bad
 * options), `NOT_FOUND` (unknown account), `UNAVAILABLE` (MongoDB; the run is marked failed first when possible).
 */
export async function importProwler(deps: ImportDependencies, options: ImportOptions): Promise<ImportReport> {
  const started = Date.now();
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    throw new ValidationError("batchSize must be an integer from 1 to 10000.", [
      { path: "batchSize", message: "must be an integer from 1 to 10000" },
    ]);
  }
  const maxIssues = options.maxReportedIssues ?? 100;
  const seenAt = options.seenAt ?? new Date();
  const { teamId, source } = options;
  const account = await resolveImportAccount(deps.accounts, teamId, options.account);

  const run = await deps.scanRuns.create(teamId, {
    account_id: account.account_id,
    provider: account.provider,
    scanner: "prowler",
    ...(options.requestedBy === undefined ? {} : { requested_by: options.requestedBy }),
  });
  const runId = run._id.toHexString();
  await deps.scanRuns.start(teamId, runId);
  await deps.accounts.recordLastScan(parseTeamId(teamId), account.id, { status: "running" });

  const counts = { total: 0, written: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, passed: 0, failed: 0, manual: 0 };
  const issues: ImportIssue[] = [];
  let issuesTruncated = false;
  let format: FindingFormat | null = null;
  const report = (status: "completed" | "failed", error?: string): ImportReport => ({
    status,
    ...(error === undefined ? {} : { error }),
    scan_run_id: runId,
    team_id: teamId,
    account: { id: account.id, account_id: account.account_id, provider: account.provider, name: account.name },
    source: source.label,
    format,
    ...counts,
    issues,
    issues_truncated: issuesTruncated,
    duration_ms: Date.now() - started,
  });
  const addIssues = (index: number, found: readonly ImportIssue[], checkId?: string): void => {
    for (const issue of found) {
      if (issues.length >= maxIssues) {
        issuesTruncated = true;
        return;
      }
      issues.push({ ...issue, index, ...(checkId === undefined ? {} : { check_id: checkId }) });
    }
  };
  const fail = async (reason: string): Promise<ImportReport> => {
    await deps.scanRuns.fail(teamId, runId, reason.slice(0, 4000));
    await deps.accounts.recordLastScan(parseTeamId(teamId), account.id, { status: "failed" });
    if (counts.written > 0) await deps.aggregation?.invalidate(parseTeamId(teamId));
    return report("failed", reason);
  };

  try {
    // Pass 1: read and validate everything before the first write.
    let valid = 0;
    let total = 0;
    try {
      let bytes = 0;
      for await (const element of source.elements((read) => {
        bytes = read;
      })) {
        const checked = checkElement(element, teamId, account, seenAt);
        format ??= checked.format ?? null;
        if ("finding" in checked) valid += 1;
        total += 1;
        if (total % 500 === 0) {
          options.onProgress?.({
            phase: "validating",
            done: total,
            bytesRead: bytes,
            ...(source.sizeBytes === undefined ? {} : { totalBytes: source.sizeBytes }),
          });
        }
      }
      options.onProgress?.({
        phase: "validating",
        done: total,
        total,
        bytesRead: bytes,
        ...(source.sizeBytes === undefined ? {} : { totalBytes: source.sizeBytes }),
      });
    } catch (error) {
      if (!isCspmError(error) || error.code !== "VALIDATION_FAILED") throw error;
      counts.total = total;
      addIssues(
        total,
        (error as ValidationError).issues.map((i) => ({ index: total, path: "", message: i.message })),
      );
      return await fail(`${source.label} could not be read: ${describe(error)} Nothing was written.`);
    }
    counts.total = total;
    if (total > 0 && valid === 0) {
      // Collect the issues for the report (a second, cheap pass over a source with nothing to write).
      let index = 0;
      for await (const element of source.elements()) {
        const checked = checkElement(element, teamId, account, seenAt);
        if (!("finding" in checked)) {
          counts.rejected += 1;
          addIssues(index, checked.issues, checked.checkId);
        }
        index += 1;
      }
      return await fail(
        `${source.label} holds no finding that can be imported into ${account.provider} account ${account.account_id} (${total} rejected). Nothing was written.`,
      );
    }

    // Pass 2: map again and upsert in batches.
    let batch: { finding: MappedFinding; index: number }[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const current = batch;
      batch = [];
      const result = await deps.findings.upsertFromScan(
        teamId,
        current.map(({ finding }) => ({ ...finding, scan_id: runId })),
        { seenAt },
      );
      counts.inserted += result.inserted;
      counts.updated += result.updated;
      counts.unchanged += result.unchanged;
      const failedAt = new Set<number>();
      for (const error of result.errors) {
        failedAt.add(error.index);
        const entry = current[error.index];
        counts.rejected += 1;
        addIssues(
          entry?.index ?? -1,
          error.issues?.map((i) => ({ index: -1, path: i.path, message: i.message })) ?? [{ index: -1, path: "", message: error.message }],
          entry?.finding.check_id,
        );
      }
      current.forEach(({ finding }, i) => {
        if (failedAt.has(i)) return;
        counts.written += 1;
        if (finding.status === "PASS") counts.passed += 1;
        else if (finding.status === "FAIL") counts.failed += 1;
        else counts.manual += 1;
      });
      options.onProgress?.({ phase: "writing", done: counts.written + counts.rejected, total });
    };
    let index = 0;
    try {
      for await (const element of source.elements()) {
        const checked = checkElement(element, teamId, account);
        if ("finding" in checked) {
          batch.push({ finding: checked.finding, index });
          if (batch.length >= batchSize) await flush();
        } else {
          counts.rejected += 1;
          addIssues(index, checked.issues, checked.checkId);
        }
        index += 1;
      }
    } catch (error) {
      if (!isCspmError(error) || error.code !== "VALIDATION_FAILED") throw error;
      await flush();
      return await fail(
        `${source.label} changed while it was imported: ${describe(error)} ${counts.written} findings were written before the error.`,
      );
    }
    await flush();
    options.onProgress?.({ phase: "writing", done: total, total });
    await deps.scanRuns.complete(teamId, runId, { findings: counts.written, passed: counts.passed, failed: counts.failed });
    await deps.accounts.recordLastScan(parseTeamId(teamId), account.id, { status: "completed" });
    await deps.aggregation?.invalidate(parseTeamId(teamId));
    return report("completed");
  } catch (error) {
    // Infrastructure failure (MongoDB unreachable …): mark the run failed when we still can, then rethrow.
    try {
      await deps.scanRuns.fail(
        teamId,
        runId,
        `Import aborted after ${counts.written} findings were written: ${describe(error)}`.slice(0, 4000),
      );
      await deps.accounts.recordLastScan(parseTeamId(teamId), account.id, { status: "failed" });
    } catch {
      // The original error is the one to report.
    }
    throw error;
  }
}

import {
  FindingRollupRepository,
  HeaderScanRepository,
  type MuteRuleDocument,
  MuteRuleRepository,
  muteRuleMatches,
  NucleiScanRepository,
  ProwlerFindingRepository,
  type SCANNERS,
  type ScanRunDocument,
  ScanRunRepository,
  type SightedFinding,
  type SightedNucleiMatch,
  SslScanRepository,
} from "@cspm/domain";
import { isCspmError, ValidationError } from "@cspm/errors";
import { ATTRIBUTES, dataLayerInstruments, hashTeamId, withSpan } from "@cspm/telemetry";
import type { FormatId, HeaderScanInput, IngestCollection, IngestTool, RecordRejection, SslScanInput } from "./formats/formatDefinition";
import { type InputErrorReason, inputError, inputErrorReason } from "./ingestErrors";
import { acceptedRecords, type IngestOptions, openIngestion } from "./ingestRecords";
import type { ByteSource } from "./read/byteSource";

/** The repositories an import writes through (resolve them from a `RepositoryFactory` or a container). */
export interface ImportRepositories {
  readonly findings: ProwlerFindingRepository;
  readonly nuclei: NucleiScanRepository;
  readonly ssl: SslScanRepository;
  readonly headers: HeaderScanRepository;
  readonly scanRuns: ScanRunRepository;
  /** The team's mute rules: every enabled one mutes the findings it matches in the same write. Absent: none applied. */
  readonly muteRules?: MuteRuleRepository;
  /**
   * The finding rollups: a completed import of findings rebuilds the accounts it marked, so the first
   * dashboard after it is already cheap. Absent (or if that rebuild fails): the next rollup read rebuilds them.
   */
  readonly rollups?: FindingRollupRepository;
}

/** Anything that hands out repository instances by class: `RepositoryFactory`, a container's `resolve`. */
export interface RepositoryResolver {
  get<R>(repository: new (...args: never[]) => R): R;
}

/** The repositories of an import from a `RepositoryFactory` (`factory.get(XRepository)`). */
export function importRepositories(repositories: RepositoryResolver): ImportRepositories {
  return {
    findings: repositories.get(ProwlerFindingRepository),
    nuclei: repositories.get(NucleiScanRepository),
    ssl: repositories.get(SslScanRepository),
    headers: repositories.get(HeaderScanRepository),
    scanRuns: repositories.get(ScanRunRepository),
    muteRules: repositories.get(MuteRuleRepository),
    rollups: repositories.get(FindingRollupRepository),
  };
}

/**
 * The one place an import applies mute rules: each finding of a batch that an enabled rule matches is written
 * with `muted: true` and the ids of the matching rules (`muted_by_rule`) in the same batched write; the others
 * are written without them, so their stored mute state is kept.
 */
export function withMuteRules(findings: readonly SightedFinding[], rules: readonly MuteRuleDocument[]): SightedFinding[] {
  if (rules.length === 0) return [...findings];
  return findings.map((finding) => {
    const ids = rules.filter((rule) => muteRuleMatches(rule, finding)).map((rule) => rule._id.toHexString());
    return ids.length === 0 ? finding : { ...finding, muted: true, muted_by_rule: ids };
  });
}

/** Progress of an import. */
export interface ImportProgress {
  readonly bytes: number;
  readonly totalBytes: number | undefined;
  readonly records: number;
  readonly written: number;
}

/** Options of `importScan`. */
export interface ImportOptions extends IngestOptions {
  readonly teamId: string;
  /** Import into this scan run (a re-run of a cut import, or several files of one scan); default: a new run. */
  readonly scanRunId?: string;
  /** The file is a complete scan of its accounts (targets): findings it does not contain are resolved. */
  readonly full?: boolean;
  /** Complete the scan run at the end (default true); false leaves it running for more files. */
  readonly complete?: boolean;
  /** Documents per write round trip, 1–1,000 (default 1,000). */
  readonly batchSize?: number;
  /** When the scan saw its findings (`last_seen_at`); default: the scan run's start, so a re-run sees the same time. */
  readonly seenAt?: Date;
  /** Stored on a new scan run as `requested_by`. */
  readonly requestedBy?: string;
  /** At most this many rejections are listed in the summary (default 100); all are counted. */
  readonly maxListedErrors?: number;
  readonly onProgress?: (progress: ImportProgress) => void;
  /** Called once the scan run is known (created or resumed), before the first write: its id is what a re-run takes. */
  readonly onScanRun?: (scanRunId: string) => void;
}

/** What an import did. Counts are exact; `errors` lists the first rejections. */
export interface ImportSummary {
  readonly status: "completed" | "running" | "failed";
  readonly error?: string;
  /** Why a `failed` import stopped when the input was at fault: the input error's reason and where (record index, line). */
  readonly failure?: { readonly reason: InputErrorReason; readonly record?: number; readonly line?: number };
  readonly scan_run_id: string | null;
  readonly team_id: string;
  readonly source: string;
  readonly format: FormatId | null;
  readonly tool: IngestTool | null;
  readonly collection: IngestCollection | null;
  readonly records: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly collections: Partial<Record<IngestCollection, number>>;
  /** Documents stored by this import. */
  readonly written: number;
  /** The scan run's lifecycle counts (findings and Nuclei matches: of the whole run; SSL/header: of this import). */
  readonly inserted: number;
  readonly changed: number;
  readonly unchanged: number;
  readonly resolved: number;
  readonly reopened: number;
  /** Findings only: stored findings by status. */
  readonly passed: number;
  readonly failed: number;
  readonly manual: number;
  readonly errors: readonly RecordRejection[];
  readonly errors_truncated: boolean;
  readonly duration_ms: number;
}

const SCANNER_OF: Readonly<Record<IngestTool, (typeof SCANNERS)[number]>> = {
  prowler: "prowler",
  asff: "asff",
  nuclei: "nuclei",
  sslyze: "ssl",
  testssl: "ssl",
  humble: "headers",
  drheader: "headers",
  observatory: "headers",
};

function describe(error: unknown): string {
  if (isCspmError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Imports one scanner output into its collection as (part of) one scan run: streams and maps it record by
 * record, writes whole batches (one round trip each), and at the end completes the run — after the resolve
 * sweep when `full` — with the exact lifecycle counts. Idempotent: the same file imported again into the same
 * run, or a cut import re-run, ends in the same stored state; an identical file in a new run is all
 * `unchanged`. A malformed input fails the run after the batches already written (nothing of a partial batch
 * is written); a file with no importable record fails it too. Throws `VALIDATION_FAILED` (bad options, or an
 * input that is not a supported format: nothing is written and no run is created), `NOT_FOUND` / `CONFLICT`
 * (the given scan run), `UNAVAILABLE` (MongoDB; the run is marked failed when still possible).
 */
export function importScan(repositories: ImportRepositories, source: ByteSource, options: ImportOptions): Promise<ImportSummary> {
  return withSpan("importScan", { [ATTRIBUTES.TEAM_HASH]: hashTeamId(options.teamId) }, async (span) => {
    const summary = await runImport(repositories, source, options);
    if (summary.format !== null) span.setAttribute(ATTRIBUTES.INGEST_FORMAT, summary.format);
    span.setAttribute(ATTRIBUTES.RESULT_COUNT, summary.written);
    return summary;
  });
}

async function runImport(repositories: ImportRepositories, source: ByteSource, options: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) {
    throw new ValidationError("batchSize must be an integer from 1 to 1000.", [{ path: "batchSize", message: "must be 1..1000" }]);
  }
  const { teamId } = options;
  repositories.scanRuns.forTeam(teamId);
  const maxListed = options.maxListedErrors ?? 100;
  let run: ScanRunDocument | undefined =
    options.scanRunId === undefined ? undefined : await repositories.scanRuns.resume(teamId, options.scanRunId);
  if (run !== undefined) options.onScanRun?.(run._id.toHexString());
  const ingestion = await openIngestion(source, {
    ...options,
    ...(run?.started_at === undefined ? {} : { scannedAt: options.scannedAt ?? run.started_at }),
  });
  const collection = ingestion.collection;
  const errors: RecordRejection[] = [];
  const counts = { written: 0, inserted: 0, changed: 0, unchanged: 0, resolved: 0, reopened: 0, passed: 0, failed: 0, manual: 0 };
  const accounts = new Set<string>();
  const sources = new Set<string>();
  const targets = new Set<string>();
  let firstAccount: string | undefined;
  let firstProvider: SightedFinding["provider"] | undefined;
  let batch: unknown[] = [];
  let muteRules: Promise<MuteRuleDocument[]> | undefined;

  const ensureRun = async (): Promise<ScanRunDocument> => {
    if (run !== undefined) return run;
    const created = await repositories.scanRuns.create(teamId, {
      account_id: options.account ?? firstAccount ?? "unknown",
      scanner: SCANNER_OF[ingestion.tool],
      ...(firstProvider === undefined ? {} : { provider: firstProvider }),
      ...(options.requestedBy === undefined ? {} : { requested_by: options.requestedBy }),
    });
    run = await repositories.scanRuns.start(teamId, created._id);
    options.onScanRun?.(run._id.toHexString());
    return run;
  };
  const seenAt = (r: ScanRunDocument): Date => options.seenAt ?? r.started_at ?? new Date();

  let failure: ImportSummary["failure"];
  const summary = (status: ImportSummary["status"], error?: string): ImportSummary => ({
    status,
    ...(error === undefined ? {} : { error }),
    ...(failure === undefined ? {} : { failure }),
    scan_run_id: run?._id.toHexString() ?? null,
    team_id: teamId,
    source: ingestion.label,
    format: ingestion.format,
    tool: ingestion.tool,
    collection,
    records: ingestion.stats.records,
    accepted: acceptedRecords(ingestion.stats),
    rejected: ingestion.stats.rejected,
    collections: { [collection]: ingestion.stats.documents[collection] },
    ...counts,
    errors,
    errors_truncated: ingestion.stats.rejected > errors.length,
    duration_ms: Date.now() - started,
  });

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const current = batch;
    batch = [];
    const attributes = { [ATTRIBUTES.INGEST_FORMAT]: ingestion.format, [ATTRIBUTES.RESULT_COUNT]: current.length };
    const writtenBefore = counts.written;
    await withSpan("ingest.batch", attributes, () => writeBatch(current));
    dataLayerInstruments().ingestRecords.add(counts.written - writtenBefore, {
      [ATTRIBUTES.INGEST_FORMAT]: ingestion.format,
      outcome: "accepted",
    });
  };
  const writeBatch = async (current: unknown[]): Promise<void> => {
    const r = await ensureRun();
    const runId = r._id.toHexString();
    let failedIndexes: { index: number; message: string }[] = [];
    if (collection === "prowler_findings") {
      // The enabled rules as the import starts writing (one read per import).
      muteRules ??= repositories.muteRules === undefined ? Promise.resolve([]) : repositories.muteRules.findEnabled(teamId);
      const sighted = withMuteRules(current as SightedFinding[], await muteRules);
      const result = await repositories.findings.recordSightings(teamId, runId, sighted, { seenAt: seenAt(r) });
      failedIndexes = result.errors.map((e) => ({
        index: e.index,
        message: e.issues?.map((i) => `${i.path} ${i.message}`).join("; ") ?? e.message,
      }));
      const failed = new Set(failedIndexes.map((f) => f.index));
      (current as SightedFinding[]).forEach((finding, i) => {
        if (failed.has(i)) return;
        counts.written += 1;
        if (finding.status === "PASS") counts.passed += 1;
        else if (finding.status === "FAIL") counts.failed += 1;
        else counts.manual += 1;
      });
    } else if (collection === "nuclei_scans") {
      const result = await repositories.nuclei.recordSightings(teamId, runId, current as SightedNucleiMatch[], { seenAt: seenAt(r) });
      failedIndexes = result.errors.map((e) => ({ index: e.index, message: e.message }));
      counts.written += current.length - failedIndexes.length;
    } else {
      const repo = collection === "ssl_scans" ? repositories.ssl : repositories.headers;
      const result = await repo.recordScans(teamId, runId, current as never[]);
      failedIndexes = result.errors.map((e) => ({ index: e.index, message: e.message }));
      counts.written += result.inserted + result.changed + result.unchanged;
      counts.inserted += result.inserted;
      counts.changed += result.changed;
      counts.unchanged += result.unchanged;
    }
    for (const failure of failedIndexes) {
      if (errors.length < maxListed) errors.push({ record: -1, path: "", message: `not stored: ${failure.message}` });
    }
    options.onProgress?.({
      bytes: ingestion.stats.bytes,
      totalBytes: ingestion.sizeBytes,
      records: ingestion.stats.records,
      written: counts.written,
    });
  };

  const fail = async (message: string, cause: unknown): Promise<ImportSummary> => {
    const reason = inputErrorReason(cause);
    if (reason !== undefined) {
      const where = (cause as { details?: { record?: unknown; line?: unknown } }).details ?? {};
      failure = {
        reason,
        ...(typeof where.record === "number" ? { record: where.record } : {}),
        ...(typeof where.line === "number" ? { line: where.line } : {}),
      };
    }
    try {
      const r = await ensureRun();
      await repositories.scanRuns.fail(teamId, r._id, message.slice(0, 4000));
    } catch {
      // The failure being reported is the one that matters.
    }
    return summary("failed", message);
  };

  try {
    try {
      for await (const event of ingestion.events) {
        if (event.kind === "rejection") {
          dataLayerInstruments().ingestRecords.add(1, { [ATTRIBUTES.INGEST_FORMAT]: ingestion.format, outcome: "rejected" });
          if (errors.length < maxListed) errors.push(event.rejection);
          continue;
        }
        if (event.collection === "prowler_findings") {
          accounts.add(event.document.account_id);
          sources.add(event.document.source ?? "prowler");
          firstAccount ??= event.document.account_id;
          firstProvider ??= event.document.provider;
        } else if (event.collection === "nuclei_scans") {
          targets.add(event.document.target);
          firstAccount ??= event.document.target.slice(0, 253);
        } else {
          firstAccount ??= (event.document as SslScanInput | HeaderScanInput).target.slice(0, 253);
        }
        batch.push(event.document);
        if (batch.length >= batchSize) await flush();
      }
    } catch (error) {
      if (inputErrorReason(error) === undefined) throw error;
      // Whole committed batches stay; the partial batch is not written. A re-run into the same run completes it.
      return await fail(`${describe(error)} ${counts.written} document(s) were written before it, in whole batches.`, error);
    }
    await flush();
    if (counts.written === 0) {
      const reason = inputError(
        "NO_IMPORTABLE_RECORD",
        `${ingestion.label} holds no importable record (${ingestion.stats.records} read, ${ingestion.stats.rejected} rejected).`,
      );
      return await fail(reason.message, reason);
    }
    const r = await ensureRun();
    const runId = r._id.toHexString();
    if (options.complete === false) return summary("running");
    if (options.full === true) {
      if (collection === "prowler_findings") {
        await repositories.findings.resolveUnseen(teamId, {
          scanId: runId,
          seenAt: seenAt(r),
          accountIds: [...accounts],
          sources: [...sources],
        });
      } else if (collection === "nuclei_scans") {
        await repositories.nuclei.resolveUnseen(teamId, { scanId: runId, seenAt: seenAt(r), targets: [...targets] });
      }
    }
    if (collection === "prowler_findings" || collection === "nuclei_scans") {
      const lifecycle = await (collection === "prowler_findings" ? repositories.findings : repositories.nuclei).scanCounts(teamId, runId);
      Object.assign(counts, lifecycle);
    }
    await repositories.scanRuns.complete(teamId, r._id, {
      findings: counts.written,
      passed: counts.passed,
      failed: counts.failed,
      records: ingestion.stats.records,
      rejected: ingestion.stats.rejected,
      lifecycle: {
        inserted: counts.inserted,
        changed: counts.changed,
        unchanged: counts.unchanged,
        resolved: counts.resolved,
        reopened: counts.reopened,
      },
      full: options.full === true,
    });
    // The accounts stay marked if this fails, so the next rollup read rebuilds them: the import itself stands.
    if (collection === "prowler_findings" && counts.written > 0) await repositories.rollups?.refresh(teamId).catch(() => undefined);
    return summary("completed");
  } catch (error) {
    if (run !== undefined) {
      try {
        await repositories.scanRuns.fail(
          teamId,
          run._id,
          `Import stopped after ${counts.written} documents: ${describe(error)}`.slice(0, 4000),
        );
      } catch {
        // MongoDB is gone; the run stays `running` and a re-run into it resumes it.
      }
    }
    throw error;
  }
}

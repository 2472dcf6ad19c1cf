import type {
  FormatDefinition,
  FormatId,
  IngestCollection,
  IngestDocument,
  IngestTool,
  MapOutput,
  RecordRejection,
} from "./formats/formatDefinition";
import { inputError } from "./ingestErrors";
import { type ByteSource, peek } from "./read/byteSource";
import { csvRecords } from "./read/csvRecords";
import { type Container, DETECTION_BYTES, detectFormat } from "./read/detectFormat";
import { jsonLines, jsonRecords } from "./read/jsonRecords";

/** Options of `openIngestion`. */
export interface IngestOptions {
  /** The explicit account: needed for anonymised ids (`<account_uid>`); every record must agree with it. */
  readonly account?: string | undefined;
  /** The scanned URL or host for outputs that do not name it (drHEADer's single-URL report). */
  readonly target?: string | undefined;
  /** When the scan ran, for outputs without a timestamp (default: now). */
  readonly scannedAt?: Date;
  /** Stop with `TOO_MANY_REJECTS` once more than this many records were rejected (default: never). */
  readonly maxRejects?: number;
  /** The declared content type (an HTTP request's): it must agree with what the bytes are. */
  readonly contentType?: string | undefined;
  /** Bytes one record may take before the input is refused (default 16 MiB). */
  readonly maxRecordBytes?: number;
  /** Characters one field may hold; a longer field rejects its record (default 1 MiB). */
  readonly maxFieldChars?: number;
}

/** One outcome of ingestion: a document for a collection (from record `record`), or a rejected record. */
export type IngestEvent =
  | ({ readonly kind: "document"; readonly record: number } & IngestDocument)
  | { readonly kind: "rejection"; readonly rejection: RecordRejection };

/** Running counts of an ingestion; exact once `events` is exhausted. */
export interface IngestStats {
  /** Records read from the input (array elements, lines, CSV rows). */
  records: number;
  /** Records with at least one rejection. */
  rejected: number;
  /** Documents produced, per collection. */
  readonly documents: Record<IngestCollection, number>;
  /** Bytes read so far. */
  bytes: number;
}

/** An ingestion in progress: the detected format, its events (read once) and counts. */
export interface Ingestion {
  readonly format: FormatId;
  readonly tool: IngestTool;
  readonly collection: IngestCollection;
  readonly container: Container;
  readonly label: string;
  readonly sizeBytes: number | undefined;
  readonly stats: IngestStats;
  readonly events: AsyncIterable<IngestEvent>;
}

const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;
const DEFAULT_MAX_FIELD_CHARS = 1024 * 1024;

/** Records accepted so far: read and not rejected. */
export function acceptedRecords(stats: IngestStats): number {
  return stats.records - stats.rejected;
}

/** True when some string in `value` is longer than `max` or holds a NUL byte (a quick pass without paths). */
function hasBadField(value: unknown, max: number, depth = 0): boolean {
  if (typeof value === "string") return value.length > max || value.indexOf("\u0000") >= 0;
  if (typeof value !== "object" || value === null || depth > 64) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (hasBadField(item, max, depth + 1)) return true;
    return false;
  }
  for (const key in value) if (hasBadField((value as Record<string, unknown>)[key], max, depth + 1)) return true;
  return false;
}

/** The first string field longer than `max` characters or holding a NUL byte, as a rejection reason (with its path). */
function fieldProblem(value: unknown, max: number, path = "", depth = 0): { path: string; message: string } | undefined {
  if (typeof value === "string") {
    if (value.length > max) return { path, message: `is ${value.length} characters long; a field may hold at most ${max}` };
    if (value.includes("\u0000")) return { path, message: "contains a NUL byte" };
    return undefined;
  }
  if (typeof value !== "object" || value === null || depth > 64) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = fieldProblem(value[i], max, `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const found = fieldProblem(item, max, path === "" ? key : `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

const CONTENT_FAMILIES: Readonly<Record<string, "json" | "csv" | "any">> = {
  "application/json": "json",
  "application/x-ndjson": "json",
  "application/ndjson": "json",
  "application/jsonl": "json",
  "application/x-jsonlines": "json",
  "application/jsonlines": "json",
  "text/csv": "csv",
  "application/csv": "csv",
  "text/plain": "any",
  "application/octet-stream": "any",
};

function checkContentType(contentType: string | undefined, container: Container, format: FormatDefinition, label: string): void {
  if (contentType === undefined) return;
  const type = contentType.split(";", 1)[0]?.trim().toLowerCase() ?? "";
  const family = CONTENT_FAMILIES[type];
  if (family === undefined) {
    throw inputError(
      "CONTENT_TYPE_MISMATCH",
      `${label}: content type "${type}" is not accepted; send application/json, application/x-ndjson or text/csv.`,
      {
        content_type: type,
      },
    );
  }
  const actual = container === "csv" ? "csv" : "json";
  if (family !== "any" && family !== actual) {
    throw inputError(
      "CONTENT_TYPE_MISMATCH",
      `${label}: the content type says ${type}, but the body is ${actual === "csv" ? "CSV" : "JSON"} (${format.id}).`,
      { content_type: type, format: format.id },
    );
  }
}

/**
 * Opens an input for ingestion: detects its format from the first KiB, then streams it record by record into
 * normalized documents (or per-record rejections, which never stop the stream unless `maxRejects` is passed).
 * Only the record being read is held in memory. Throws `VALIDATION_FAILED` (`EMPTY_INPUT`, `BINARY_INPUT`,
 * `UNKNOWN_FORMAT`, `CONTENT_TYPE_MISMATCH`); iterating `events` throws `VALIDATION_FAILED` (`MALFORMED_INPUT`,
 * `MISSING_COLUMN`, `RECORD_TOO_LARGE`, `TOO_MANY_REJECTS`) with the record index / line.
 */
export async function openIngestion(source: ByteSource, options: IngestOptions = {}): Promise<Ingestion> {
  const peeked = await peek(source, DETECTION_BYTES);
  const { format, container } = detectFormat(peeked.head, source.label);
  checkContentType(options.contentType, container, format, source.label);
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const maxFieldChars = options.maxFieldChars ?? DEFAULT_MAX_FIELD_CHARS;
  const stats: IngestStats = {
    records: 0,
    rejected: 0,
    bytes: 0,
    documents: { prowler_findings: 0, nuclei_scans: 0, ssl_scans: 0, header_scans: 0 },
  };
  const counted = (async function* () {
    for await (const chunk of peeked.chunks) {
      stats.bytes += chunk.length;
      yield chunk;
    }
  })();
  const mapper = format.createMapper({ account: options.account, target: options.target, scannedAt: options.scannedAt ?? new Date() });
  let lastRejected = -1;

  function* emit(output: MapOutput, fallbackRecord: number): Generator<IngestEvent> {
    for (const rejection of output.rejections) {
      if (rejection.record !== lastRejected) {
        lastRejected = rejection.record;
        stats.rejected += 1;
        if (options.maxRejects !== undefined && stats.rejected > options.maxRejects) {
          throw inputError(
            "TOO_MANY_REJECTS",
            `${source.label}: more than ${options.maxRejects} records rejected (the last at record ${rejection.record}${rejection.line === undefined ? "" : `, line ${rejection.line}`}: ${rejection.path ? `${rejection.path} ` : ""}${rejection.message}).`,
            { record: rejection.record, line: rejection.line, max_rejects: options.maxRejects },
          );
        }
      }
      yield { kind: "rejection", rejection };
    }
    for (const document of output.documents) {
      stats.documents[document.collection] += 1;
      yield { kind: "document", record: fallbackRecord, ...document };
    }
  }

  async function* items(): AsyncGenerator<{
    kind: "record" | "bad" | "context";
    index?: number;
    line?: number;
    value?: unknown;
    key?: string;
    message?: string;
  }> {
    const label = source.label;
    if (container === "csv") {
      const layout = format.layout as Extract<FormatDefinition["layout"], { kind: "csv" }>;
      yield* csvRecords(counted, { delimiter: layout.delimiter, requiredColumns: layout.requiredColumns, maxRecordBytes, label });
    } else if (container === "lines") {
      yield* jsonLines(counted, { maxRecordBytes });
    } else {
      const layout = format.layout as Extract<FormatDefinition["layout"], { kind: "json" }>;
      const recordPaths = container === "array" ? ["$.*"] : container === "object" ? (layout.objectPaths ?? ["$"]) : ["$"];
      yield* jsonRecords(counted, {
        recordPaths,
        ...(container === "object" && layout.contextKeys !== undefined ? { contextKeys: layout.contextKeys } : {}),
        multipleValues: container === "values",
        maxRecordBytes,
        label,
      });
    }
  }

  const events = (async function* (): AsyncGenerator<IngestEvent> {
    let lastIndex = -1;
    for await (const item of items()) {
      if (item.kind === "context") {
        mapper.context?.(item.key as string, item.value);
        continue;
      }
      const index = item.index as number;
      stats.records += 1;
      lastIndex = index;
      const line = item.line;
      if (item.kind === "bad") {
        yield* emit(
          {
            documents: [],
            rejections: [{ record: index, ...(line === undefined ? {} : { line }), path: "", message: item.message as string }],
          },
          index,
        );
        continue;
      }
      const problem = hasBadField(item.value, maxFieldChars) ? fieldProblem(item.value, maxFieldChars) : undefined;
      if (problem !== undefined) {
        yield* emit({ documents: [], rejections: [{ record: index, ...(line === undefined ? {} : { line }), ...problem }] }, index);
        continue;
      }
      yield* emit(mapper.map({ index, ...(line === undefined ? {} : { line }), value: item.value }), index);
    }
    if (mapper.end) yield* emit(mapper.end(), lastIndex);
  })();

  return {
    format: format.id,
    tool: format.tool,
    collection: format.collection,
    container,
    label: source.label,
    sizeBytes: source.sizeBytes,
    stats,
    events,
  };
}

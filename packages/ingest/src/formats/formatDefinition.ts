import type { HeaderScan, SightedFinding, SightedNucleiMatch, SslScan } from "@cspm/domain";

/** The tools whose output `@cspm/ingest` reads. */
export const INGEST_TOOLS = ["prowler", "asff", "nuclei", "sslyze", "testssl", "humble", "drheader", "observatory"] as const;

/** One of `INGEST_TOOLS`. */
export type IngestTool = (typeof INGEST_TOOLS)[number];

/** The collections ingested documents go to. */
export const INGEST_COLLECTIONS = ["prowler_findings", "nuclei_scans", "ssl_scans", "header_scans"] as const;

/** One of `INGEST_COLLECTIONS`. */
export type IngestCollection = (typeof INGEST_COLLECTIONS)[number];

/** An SSL scan result as a mapper produces it (team, scan and fingerprint come from the write). */
export type SslScanInput = Omit<
  SslScan,
  "team_id" | "scan_id" | "fingerprint" | "delta" | "_id" | "created_at" | "updated_at" | "version" | "deleted_at"
>;

/** A header scan result as a mapper produces it. */
export type HeaderScanInput = Omit<
  HeaderScan,
  "team_id" | "scan_id" | "fingerprint" | "delta" | "_id" | "created_at" | "updated_at" | "version" | "deleted_at"
>;

/** A normalized, schema-shaped document for one collection. */
export type IngestDocument =
  | { readonly collection: "prowler_findings"; readonly document: SightedFinding }
  | { readonly collection: "nuclei_scans"; readonly document: SightedNucleiMatch }
  | { readonly collection: "ssl_scans"; readonly document: SslScanInput }
  | { readonly collection: "header_scans"; readonly document: HeaderScanInput };

/** A record that was not turned into a document: where (`record` index from 0, `line` from 1) and why. */
export interface RecordRejection {
  readonly record: number;
  readonly line?: number;
  /** The field (`account_id`, `finding_info.desc`), or `""` for the whole record. */
  readonly path: string;
  readonly message: string;
}

/** One record as read: its position and its parsed value (a JSON value, or a CSV row keyed by header). */
export interface RawRecord {
  readonly index: number;
  readonly line?: number;
  readonly value: unknown;
}

/** What a mapper made of the records it was given so far. */
export interface MapOutput {
  readonly documents: readonly IngestDocument[];
  readonly rejections: readonly RecordRejection[];
}

/** What mapping may use besides the record. */
export interface MapperOptions {
  /** The explicit account (`--account`). */
  readonly account?: string | undefined;
  /** The scanned URL or host, for outputs that do not name it (drHEADer's single-URL report). */
  readonly target?: string | undefined;
  /** When the scan ran, for outputs without a timestamp. */
  readonly scannedAt: Date;
}

/**
 * Turns records into documents. Most formats map each record on its own; some group several records into one
 * document (testssl.sh rows of one host, drHEADer rules of one URL) and emit it when the group ends or at `end`.
 */
export interface RecordMapper {
  map(record: RawRecord): MapOutput;
  /** Top-level values beside the records (a scan date), in document order. */
  context?(key: string, value: unknown): void;
  end?(): MapOutput;
}

/** How the records of a format are laid out in its files. */
export type RecordLayout =
  | {
      readonly kind: "json";
      /** Records may also come one per line (JSON Lines). */
      readonly lines: boolean;
      /** Where the records are when the document is an object (default: the object itself is one record). */
      readonly objectPaths?: readonly string[];
      /** Top-level keys read as context of the records. */
      readonly contextKeys?: readonly string[];
    }
  | {
      readonly kind: "csv";
      readonly delimiter: "," | ";";
      readonly requiredColumns: readonly string[];
    };

/** The identifier of a supported format (`prowler-ocsf`, `nuclei`, `testssl-csv` …). */
export type FormatId =
  | "prowler-ocsf"
  | "prowler-json"
  | "prowler-v2-json"
  | "prowler-csv"
  | "prowler-v2-csv"
  | "asff"
  | "nuclei"
  | "sslyze"
  | "testssl-csv"
  | "testssl-json"
  | "humble"
  | "drheader"
  | "observatory";

/** What detection sees: the first KiB as text, and its first non-blank character. */
export interface FormatHead {
  readonly text: string;
  readonly first: string;
}

/** One supported format: how to recognise it from the first KiB, how its records are laid out, how they map. */
export interface FormatDefinition {
  readonly id: FormatId;
  readonly tool: IngestTool;
  readonly collection: IngestCollection;
  /** For the list of supported formats: tool, versions and shape. */
  readonly title: string;
  readonly layout: RecordLayout;
  sniff(head: FormatHead): boolean;
  createMapper(options: MapperOptions): RecordMapper;
}

/** A mapper for formats where each record maps on its own to at most one document. */
export function perRecordMapper(
  map: (value: unknown, record: RawRecord) => { document: IngestDocument } | { rejections: { path: string; message: string }[] },
): RecordMapper {
  return {
    map(record) {
      const outcome = map(record.value, record);
      if ("document" in outcome) return { documents: [outcome.document], rejections: [] };
      return {
        documents: [],
        rejections: outcome.rejections.map((r) => ({
          record: record.index,
          ...(record.line === undefined ? {} : { line: record.line }),
          ...r,
        })),
      };
    },
  };
}

import type { FormatDefinition, FormatHead } from "../formats/formatDefinition";
import { SUPPORTED_FORMATS } from "../formats/supportedFormats";
import { inputError } from "../ingestErrors";

/** How the records of a detected input are read. */
export type Container = "array" | "lines" | "object" | "values" | "csv";

/** What detection found: the format and how its records are laid out in this input. */
export interface Detection {
  readonly format: FormatDefinition;
  readonly container: Container;
}

/** The bytes detection looks at: the first KiB. */
export const DETECTION_BYTES = 1024;

/** What the head looks like, for the unknown-format message: its first keys, or its first line. */
function describe(text: string, first: string): string {
  if (first === "{" || first === "[") {
    const keys = [...text.matchAll(/"([^"\\]{1,40})"\s*:/g)].map((m) => m[1] as string);
    const distinct = [...new Set(keys)].slice(0, 8);
    return distinct.length > 0 ? `JSON with keys ${distinct.map((k) => `"${k}"`).join(", ")}` : "JSON without recognisable keys";
  }
  const line = (text.split(/\r?\n/, 1)[0] ?? "").slice(0, 80).replace(/[^\x20-\x7e]/g, "?");
  return `text starting "${line}"`;
}

/** True when the first line of the head is a JSON value on its own (JSON Lines), or longer than the head. */
function looksLikeLines(text: string): boolean {
  const end = text.indexOf("\n");
  if (end < 0) return true;
  try {
    JSON.parse(text.slice(0, end));
    return true;
  } catch {
    return false;
  }
}

/**
 * Detects the format of an input from its first KiB only (never from a file name): text encoding, then the
 * markers of each supported format, then how the records are laid out (array, JSON Lines, an object with
 * nested records, CSV). Throws `VALIDATION_FAILED` with `details.reason` `EMPTY_INPUT`, `BINARY_INPUT` (NUL
 * bytes) or `UNKNOWN_FORMAT` (listing the supported formats and what was seen).
 */
export function detectFormat(head: Uint8Array, label = "input"): Detection {
  const bytes = Buffer.from(head).subarray(0, DETECTION_BYTES);
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw inputError("BINARY_INPUT", `${label} contains NUL bytes (first at byte ${nul}): it is binary, not a scanner's text output.`, {
      byte: nul,
    });
  }
  const text = bytes.toString("utf8").replace(/^\uFEFF/, "");
  const trimmed = text.trimStart();
  if (trimmed === "") throw inputError("EMPTY_INPUT", `${label} is empty.`, { record: 0 });
  if (/^\[\s*\]\s*$/.test(trimmed))
    throw inputError("NO_IMPORTABLE_RECORD", `${label} is an empty JSON array: there is no record to import.`, { record: 0 });
  const first = trimmed.charAt(0);
  const sniffed: FormatHead = { text: trimmed, first };
  const format = SUPPORTED_FORMATS.find((candidate) => candidate.sniff(sniffed));
  if (format === undefined) {
    throw inputError(
      "UNKNOWN_FORMAT",
      `${label} is not a supported scanner output (seen: ${describe(trimmed, first)}). Supported: ${SUPPORTED_FORMATS.map((f) => `${f.id} (${f.title})`).join("; ")}.`,
      { seen: describe(trimmed, first), supported: SUPPORTED_FORMATS.map((f) => f.id) },
    );
  }
  const layout = format.layout;
  if (layout.kind === "csv") return { format, container: "csv" };
  if (first === "[") return { format, container: "array" };
  const envelope = layout.objectPaths?.some((path) => {
    const key = /^\$\.([^.*]+)/.exec(path)?.[1];
    return key !== undefined && new RegExp(`^\\{\\s*"${key}"\\s*:`).test(trimmed);
  });
  if (layout.lines && !envelope && looksLikeLines(trimmed)) return { format, container: "lines" };
  if (layout.objectPaths !== undefined && (envelope || !layout.lines)) return { format, container: "object" };
  return { format, container: "values" };
}

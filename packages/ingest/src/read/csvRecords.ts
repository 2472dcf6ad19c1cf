import { Readable } from "node:stream";
import { parse } from "csv-parse";
import { inputError } from "../ingestErrors";

/** One row of a CSV input, by header name, or a row that does not fit the header. */
export type CsvItem =
  | { readonly kind: "record"; readonly index: number; readonly line: number; readonly value: Readonly<Record<string, string>> }
  | { readonly kind: "bad"; readonly index: number; readonly line: number; readonly message: string };

/** How to read a CSV input. */
export interface CsvReadOptions {
  readonly delimiter: string;
  /** Header names that must be present (a missing one refuses the whole input). */
  readonly requiredColumns: readonly string[];
  readonly maxRecordBytes: number;
  readonly label: string;
}

/**
 * Streams a CSV input with `csv-parse` (quotes, embedded delimiters and newlines, BOM), one row at a time, as
 * objects keyed by the header. A row with a different number of fields is one bad record (with its line);
 * broken quoting stops the input. Throws `VALIDATION_FAILED` (`MISSING_COLUMN` naming the columns,
 * `MALFORMED_INPUT` with the line, `RECORD_TOO_LARGE`).
 */
export async function* csvRecords(chunks: AsyncIterable<Uint8Array>, options: CsvReadOptions): AsyncGenerator<CsvItem> {
  const parser = Readable.from(chunks).pipe(
    parse({
      delimiter: options.delimiter,
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
      max_record_size: options.maxRecordBytes,
    }),
  );
  let header: string[] | undefined;
  let index = 0;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record, info } = item;
      if (header === undefined) {
        header = record.map((name) => name.trim());
        const missing = options.requiredColumns.filter((column) => !header?.includes(column));
        if (missing.length > 0) {
          throw inputError(
            "MISSING_COLUMN",
            `${options.label}: the header (line 1) has no ${missing.join(", ")} column${missing.length > 1 ? "s" : ""}; it has ${header.slice(0, 12).join(", ")}${header.length > 12 ? ", …" : ""}.`,
            { line: 1, missing },
          );
        }
        continue;
      }
      const line = info.lines;
      if (record.length !== header.length) {
        yield { kind: "bad", index: index++, line, message: `has ${record.length} fields; the header has ${header.length}` };
        continue;
      }
      const value: Record<string, string> = {};
      header.forEach((name, i) => {
        value[name] = record[i] ?? "";
      });
      yield { kind: "record", index: index++, line, value };
    }
  } catch (error) {
    if ((error as { details?: unknown }).details !== undefined) throw error;
    const csv = error as { code?: string; lines?: number; message?: string };
    if (csv.code === "CSV_MAX_RECORD_SIZE") {
      throw inputError(
        "RECORD_TOO_LARGE",
        `${options.label}: the row at line ${csv.lines ?? "?"} is larger than ${options.maxRecordBytes} bytes.`,
        {
          record: index,
          line: csv.lines,
        },
        error,
      );
    }
    throw inputError(
      "MALFORMED_INPUT",
      `${options.label} is not valid CSV at line ${csv.lines ?? "?"} (record ${index}): ${(csv.message ?? "parse error").slice(0, 200)}`,
      { record: index, line: csv.lines },
      error,
    );
  }
  if (header === undefined) throw inputError("EMPTY_INPUT", `${options.label} has no header line.`, { line: 1 });
}

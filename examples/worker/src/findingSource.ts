import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { isCspmError, NotFoundError, ValidationError } from "@cspm/errors";
import { readJsonElements } from "./readJsonElements";

/** Where an import reads raw findings from; `elements()` may be called more than once (each call starts over). */
export interface FindingSource {
  /** For messages: the file name, or `request body`. */
  readonly label: string;
  /** Size in bytes when known (progress of reading). */
  readonly sizeBytes?: number;
  /** The raw elements (not yet mapped); `onBytes` reports bytes read so far. */
  elements(onBytes?: (bytesRead: number) => void): AsyncIterable<unknown>;
}

/**
 * A Prowler output file on disk (a JSON array, or JSON Lines), streamed: each pass reads the file again in
 * 1 MiB chunks, so memory stays flat for 100k findings. Throws `NOT_FOUND` (no such file) or `VALIDATION_FAILED`
 * (unreadable); reading throws `VALIDATION_FAILED` (malformed JSON, read error).
 */
export async function fileFindingSource(path: string): Promise<FindingSource> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ValidationError(`${path} is not a file.`, [{ path: "file", message: "must be a regular file" }]);
    size = info.size;
  } catch (error) {
    if (isCspmError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new NotFoundError(`No such file: ${path}.`, { details: { file: path } });
    throw new ValidationError(`Cannot read ${path} (${code ?? "error"}).`, [{ path: "file", message: "must be a readable file" }], {
      cause: error,
    });
  }
  return {
    label: basename(path),
    sizeBytes: size,
    elements(onBytes) {
      const stream = createReadStream(path, { highWaterMark: 1 << 20 });
      async function* counted(): AsyncGenerator<Uint8Array> {
        let read = 0;
        try {
          for await (const chunk of stream as AsyncIterable<Buffer>) {
            read += chunk.length;
            onBytes?.(read);
            yield chunk;
          }
        } catch (error) {
          // A read error mid-file is a bad source for the importer, like malformed JSON.
          throw new ValidationError(
            `Reading ${path} failed after ${read} bytes (${(error as NodeJS.ErrnoException).code ?? "error"}).`,
            [{ path: "file", message: "could not be read to the end" }],
            { cause: error },
          );
        }
      }
      return readJsonElements(counted());
    },
  };
}

/**
 * Findings already parsed from JSON (an HTTP request body): an array is its elements; any other value is
 * one element (so a single finding object imports as one).
 */
export function valueFindingSource(value: unknown, label = "request body"): FindingSource {
  const items: readonly unknown[] = Array.isArray(value) ? value : [value];
  return {
    label,
    elements() {
      return (async function* () {
        yield* items;
      })();
    },
  };
}

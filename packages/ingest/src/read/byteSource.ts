import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { Readable } from "node:stream";
import { NotFoundError, ValidationError } from "@cspm/errors";

/** Bytes to ingest: a file, a stream (an HTTP request body) or any async iterable of chunks. */
export interface ByteSource {
  /** For messages: the file name, or `request body`. */
  readonly label: string;
  /** Size in bytes when known (progress). */
  readonly sizeBytes?: number;
  /** The bytes, read once. */
  readonly chunks: AsyncIterable<Uint8Array>;
}

/** The first bytes of a source and the whole source again (those bytes first), for detection without buffering it. */
export interface PeekedSource {
  readonly head: Buffer;
  readonly chunks: AsyncIterable<Buffer>;
}

/**
 * A file on disk as a `ByteSource`, read in 256 KiB chunks. Throws `NOT_FOUND` (no such file) or
 * `VALIDATION_FAILED` (not a regular file, unreadable).
 */
export async function fileSource(path: string): Promise<ByteSource> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ValidationError(`${path} is not a file.`, [{ path: "file", message: "must be a regular file" }]);
    size = info.size;
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new NotFoundError(`No such file: ${path}.`, { details: { file: path } });
    throw new ValidationError(`Cannot read ${path} (${code ?? "error"}).`, [{ path: "file", message: "must be a readable file" }], {
      cause: error,
    });
  }
  return { label: basename(path), sizeBytes: size, chunks: createReadStream(path, { highWaterMark: 256 * 1024 }) };
}

/** A stream or iterable of chunks (an HTTP request body) as a `ByteSource`. */
export function streamSource(
  chunks: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  label = "request body",
  sizeBytes?: number,
): ByteSource {
  const iterable = Symbol.asyncIterator in chunks ? (chunks as AsyncIterable<Uint8Array>) : Readable.from(chunks as NodeJS.ReadableStream);
  return { label, chunks: iterable, ...(sizeBytes === undefined ? {} : { sizeBytes }) };
}

/** Text or bytes already in memory as a `ByteSource` (tests, small request bodies). */
export function bufferSource(data: string | Uint8Array, label = "input"): ByteSource {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
  return {
    label,
    sizeBytes: bytes.length,
    chunks: (async function* () {
      yield bytes;
    })(),
  };
}

/**
 * Reads up to `size` bytes of `source` for detection and gives back an iterable over the whole source
 * (those bytes first, then the rest as it streams), so nothing beyond one chunk is ever buffered.
 */
export async function peek(source: ByteSource, size = 1024): Promise<PeekedSource> {
  const iterator = source.chunks[Symbol.asyncIterator]();
  const taken: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < size) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.from(next.value);
    taken.push(chunk);
    length += chunk.length;
  }
  const buffered = Buffer.concat(taken);
  return {
    head: buffered.subarray(0, size),
    chunks: (async function* () {
      if (buffered.length > 0) yield buffered;
      if (done) return;
      while (true) {
        const next = await iterator.next();
        if (next.done) return;
        yield Buffer.from(next.value);
      }
    })(),
  };
}

import { randomBytes } from "node:crypto";

/**
 * Generation names and stamped entries of `RedisCache`.
 *
 * Every tag has a generation: a token in Redis at `<keyPrefix><name>` where the name is `g:<tag>`; one more
 * generation, `epoch`, covers every entry under the key prefix. An entry is stored as
 * `<JSON array [name, token, name, token, ...]>\n<EJSON value>`: the generations of its tags (and the epoch)
 * as they were before its value was computed. Invalidation replaces a generation's token with a new one, so an
 * entry stamped with the old token can never be read again — whether or not the invalidation's reply arrived.
 */

/** The generation every entry carries: bumping it invalidates the whole key prefix. */
export const EPOCH_GENERATION = "epoch";

/** The generation name of a tag. */
export function tagGeneration(tag: string): string {
  return `g:${tag}`;
}

/** The generations an entry with these tags carries: the epoch first, then one per tag. */
export function generationsOf(tags: readonly string[]): string[] {
  return [EPOCH_GENERATION, ...tags.map(tagGeneration)];
}

/** Pairs generation names with the tokens observed for them, as stored in an entry's header. */
export function stampsOf(generations: readonly string[], tokens: readonly string[]): string[] {
  return generations.flatMap((name, i) => [name, tokens[i] as string]);
}

/** The stored form of an entry: its stamps as a JSON header line, then the EJSON text of the value. */
export function encodeEntry(stamps: readonly string[], body: string): string {
  return `${JSON.stringify(stamps)}\n${body}`;
}

/** Splits a stored entry into stamps and body; `undefined` for anything `encodeEntry` did not produce. */
export function decodeEntry(raw: string): { readonly stamps: readonly string[]; readonly body: string } | undefined {
  const newline = raw.indexOf("\n");
  if (newline < 0) return undefined;
  let stamps: unknown;
  try {
    stamps = JSON.parse(raw.slice(0, newline));
  } catch {
    return undefined;
  }
  if (!Array.isArray(stamps) || stamps.length % 2 !== 0 || !stamps.every((s) => typeof s === "string")) return undefined;
  return { stamps, body: raw.slice(newline + 1) };
}

/**
 * Generation tokens that never repeat: a random per-instance part and a counter. A token only has to differ
 * from every token the same generation held before, so uniqueness (not secrecy) is what counts.
 */
export class GenerationTokens {
  private readonly instance = randomBytes(9).toString("base64url");
  private counter = 0;

  /** A token no generation has held before. */
  next(): string {
    this.counter += 1;
    return `${this.instance}.${this.counter.toString(36)}`;
  }
}

/**
 * Test and benchmark helper (not exported): a large scanner file built by repeating the records of a real
 * one with distinct resource ids, so every repeated record is its own finding.
 */
import { readFileSync } from "node:fs";

/** The records of a real JSON-array fixture repeated to `count`, each with a distinct resource id (`…#<n>`). */
export function repeatWithDistinctResources(
  path: string,
  count: number,
  distinct: (record: Record<string, unknown>, n: number) => Record<string, unknown>,
): Record<string, unknown>[] {
  const base = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>[];
  return Array.from({ length: count }, (_, n) => distinct(structuredClone(base[n % base.length] as Record<string, unknown>), n));
}

/** An ASFF record with its resource id made unique by `n`. */
export function distinctAsffResource(record: Record<string, unknown>, n: number): Record<string, unknown> {
  const resources = record["Resources"] as { Id: string }[];
  if (resources[0]) resources[0].Id = `${resources[0].Id}#${n}`;
  return record;
}

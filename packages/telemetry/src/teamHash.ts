import { createHash } from "node:crypto";

const cache = new Map<string, string>();
const MAX_CACHED = 10_000;

/**
 * A team id as telemetry carries it: the first 16 hex characters of its SHA-256, so spans and metrics can be
 * grouped by tenant without naming one (`cspm.team.hash`). Memoised for the hot path.
 */
export function hashTeamId(teamId: string): string {
  let hash = cache.get(teamId);
  if (hash === undefined) {
    hash = createHash("sha256").update(`cspm-team:${teamId}`).digest("hex").slice(0, 16);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(teamId, hash);
  }
  return hash;
}

import { createHash } from "node:crypto";
import type { Cluster, Redis } from "ioredis";

/** A Lua script and its SHA1, sent with EVALSHA (EVAL once when the server does not know it yet). */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

function lua(source: string): LuaScript {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

/** Reads a generation's token, creating it with `token` when missing, and keeps it alive for at least `ttl` ms. */
const OBSERVE_FN = `
local function observe(key, token, ttl)
  local current = redis.call('GET', key)
  if not current then
    redis.call('SET', key, token, 'PX', ttl)
    return token
  end
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
  return current
end`;

/** Replaces a generation's token, keeping its TTL; a missing generation stays missing (nothing can match it). */
const BUMP_FN = `
local function bump(key, token)
  local ttl = redis.call('PTTL', key)
  if ttl > 0 then redis.call('SET', key, token, 'PX', ttl)
  elseif ttl == -1 then redis.call('SET', key, token) end
end`;

/**
 * Single node. KEYS[1] entry, KEYS[2..] generations to observe (for a `wrap` miss). ARGV[1] key prefix,
 * ARGV[2] token for generations that do not exist yet, ARGV[3] their TTL in ms.
 * Returns {'hit', body} when every stamped generation still holds its token; otherwise {'miss'|'stale'|'corrupt',
 * observed tokens...}. A stale entry is deleted. Reads the stamped generations, which are not in KEYS: single node only.
 */
export const READ_SCRIPT = lua(`${OBSERVE_FN}
local raw = redis.call('GET', KEYS[1])
local state = 'miss'
if raw then
  local newline = string.find(raw, '\\n', 1, true)
  local ok, stamps = false, nil
  if newline then ok, stamps = pcall(cjson.decode, string.sub(raw, 1, newline - 1)) end
  if ok and type(stamps) == 'table' then
    state = 'hit'
    for i = 1, #stamps, 2 do
      if redis.call('GET', ARGV[1] .. stamps[i]) ~= stamps[i + 1] then state = 'stale' break end
    end
    if state == 'hit' then return {'hit', string.sub(raw, newline + 1)} end
    redis.call('DEL', KEYS[1])
  else
    state = 'corrupt'
  end
end
local reply = {state}
for i = 2, #KEYS do reply[#reply + 1] = observe(KEYS[i], ARGV[2], tonumber(ARGV[3])) end
return reply`);

/**
 * Single node `set`. KEYS[1] entry, KEYS[2..] its generations. ARGV[1] token for missing generations,
 * ARGV[2] their TTL, ARGV[3] entry TTL in ms, ARGV[4] EJSON body, ARGV[5..] generation names (parallel to KEYS[2..]).
 * Stamps the entry with the generations current at this moment.
 */
export const SET_SCRIPT = lua(`${OBSERVE_FN}
local stamps = {}
for i = 2, #KEYS do
  stamps[#stamps + 1] = ARGV[i + 3]
  stamps[#stamps + 1] = observe(KEYS[i], ARGV[1], tonumber(ARGV[2]))
end
redis.call('SET', KEYS[1], cjson.encode(stamps) .. '\\n' .. ARGV[4], 'PX', ARGV[3])
return 1`);

/** Cluster: one generation per call. KEYS[1] generation; ARGV[1] token if missing, ARGV[2] TTL. Returns the token. */
export const OBSERVE_SCRIPT = lua(`${OBSERVE_FN}
return observe(KEYS[1], ARGV[1], tonumber(ARGV[2]))`);

/** KEYS generations (one per call on a Cluster); ARGV[1] the new token. */
export const BUMP_SCRIPT = lua(`${BUMP_FN}
for i = 1, #KEYS do bump(KEYS[i], ARGV[1]) end
return #KEYS`);

/**
 * A `wrap` store by the recompute lock's holder. KEYS[1] entry, KEYS[2] lock (same hash slot); ARGV[1] lock
 * token, ARGV[2] TTL in ms, ARGV[3] stamped entry. Stores and releases the lock only while the lock is still
 * ours: `del` and lock expiry both take it away, so a loader that outlived either stores nothing. Returns 1 or 0.
 */
export const STORE_AND_UNLOCK_SCRIPT = lua(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2])
redis.call('DEL', KEYS[2])
return 1`);

/** KEYS[1] lock; ARGV[1] our token. Deletes the lock only if it is still ours. */
export const RELEASE_LOCK_SCRIPT = lua(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/**
 * The restart/failover fence. KEYS[1] marker, KEYS[2] epoch; ARGV[1] the server's run_id, ARGV[2] a new token.
 * When the marker names another server (a restart that restored a snapshot, a promoted replica, or no marker
 * yet), records this one and bumps the epoch: nothing written before can be read from this server. Returns 1 if
 * it bumped.
 */
export const FENCE_SCRIPT = lua(`${BUMP_FN}
if redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
bump(KEYS[2], ARGV[2])
return 1`);

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}

/** Runs a script by SHA, sending its source once when the server answers NOSCRIPT (after a restart). */
export function evalScript(
  client: Redis | Cluster,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  return client.evalsha(script.sha, keys.length, ...keys, ...args).catch((error: unknown) => {
    if (!isNoScript(error)) throw error;
    return client.eval(script.source, keys.length, ...keys, ...args);
  });
}

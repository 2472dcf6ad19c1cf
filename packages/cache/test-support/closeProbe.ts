/**
 * Run as a child process by the integration test: uses caches (a live Redis, a dead port, memory), closes
 * them and returns from the module without calling process.exit. If any handle stays open, the process
 * never exits by itself and the test fails. Usage: closeProbe.ts <redisUrl> <keyPrefix> <deadPort>
 */
import { Redis } from "ioredis";
import { MemoryCache, RedisCache } from "../src/index";

const [url, prefix, deadPort] = process.argv.slice(2);
if (!url || !prefix || !deadPort) throw new Error("usage: closeProbe.ts <redisUrl> <keyPrefix> <deadPort>");

const owned = new RedisCache({ redis: url, keyPrefix: prefix });
let loads = 0;
await owned.wrap("k", 60, () => ({ loads: ++loads, at: new Date() }));
await owned.wrap("k", 60, () => ({ loads: ++loads, at: new Date() }));
await owned.set("tagged", 1, { ttlSeconds: 60, tags: ["t"] });
await owned.invalidateTags("t");
await owned.del("k");
await owned.health();
await owned.close();

const passedIn = new RedisCache({ redis: new Redis(url), keyPrefix: prefix, closeClient: true });
await passedIn.wrap("p", 60, () => "p");
await passedIn.del("p");
await passedIn.close();

// A Redis that is not there: reconnect timers are running when close() is called.
const dead = new RedisCache({ redis: `redis://127.0.0.1:${deadPort}`, keyPrefix: prefix, commandTimeoutMs: 50 });
const fromDead = await dead.wrap("d", 60, () => "loader value");
await dead.close();

const memory = new MemoryCache();
await memory.wrap("m", 60, () => "m");
await memory.close();

console.log(JSON.stringify({ loads, fromDead }));

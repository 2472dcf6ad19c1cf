import { parseTeamId } from "@cspm/repository";
/**
 * Fault: MongoDB is unreachable when the application starts. Start-up, health and service calls must
 * answer UNAVAILABLE with a hint (never a raw driver error), and the same container must recover once a
 * server appears on that port — without being rebuilt.
 */
import { createServiceContainer, type ServiceContainer, TOKENS } from "@cspm/container";
import { generateKey } from "@cspm/crypto";
import { isCspmError } from "@cspm/errors";
import { CSPMDatabaseManager } from "@cspm/mongo";
import { type CompatServer, startCompatServer } from "@cspm/mongo-engine";
import { dropDatabasesWithPrefix, freePort } from "@cspm/testkit";
import { afterAll, describe, expect, it } from "vitest";

const TEAM = "team_fault";
let server: CompatServer | undefined;
let container: ServiceContainer | undefined;
let manager: CSPMDatabaseManager | undefined;

async function failure(promise: Promise<unknown>): Promise<{ code: string; hint: unknown; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (!isCspmError(error)) return { code: `raw ${String(error)}`, hint: undefined, message: String(error) };
    return { code: error.code, hint: error.details?.hint, message: error.message };
  }
  return { code: "resolved", hint: undefined, message: "" };
}

afterAll(async () => {
  await container?.dispose().catch(() => undefined);
  if (manager) {
    if (!manager.closed && server) await dropDatabasesWithPrefix(manager.client, manager.prefix).catch(() => undefined);
    await manager.close();
  }
  await server?.stop();
});

describe("MongoDB unreachable at start, then back", () => {
  it("answers UNAVAILABLE with a hint while down and recovers in place when the server comes up", async () => {
    const port = await freePort();
    const uri = `mongodb://127.0.0.1:${port}/?directConnection=true`;
    container = createServiceContainer({
      mongodb: { uri, prefix: `r_down_${port}`, serverSelectionTimeoutMS: 800 },
      encryptionKeys: `k1:${generateKey()}`,
    });

    // Start-up fails cleanly.
    const start = await failure(container.initialize());
    expect(start.code).toBe("UNAVAILABLE");
    expect(typeof start.hint).toBe("string");
    expect(String(start.hint).length).toBeGreaterThan(10);
    expect(start.message).toContain(`127.0.0.1:${port}`);

    // Health says so without throwing.
    const down = await container.health();
    expect(down.ok).toBe(false);
    expect(down.mongodb.ok).toBe(false);
    expect(down.mongodb.error?.code).toBe("UNAVAILABLE");
    expect(down.mongodb.error?.hint).toEqual(expect.any(String));

    // Service calls fail with the taxonomy too (no raw driver error escapes).
    const accounts = container.resolve(TOKENS.CentralAccountService);
    const call = await failure(accounts.listAccounts(parseTeamId(TEAM)));
    expect(call.code).toBe("UNAVAILABLE");
    expect(call.hint).toEqual(expect.any(String));

    // The server appears on the port the app was configured with.
    server = await startCompatServer({ port });

    // The same container recovers: initialize again, then real work.
    await container.initialize({ ensureIndexes: true });
    const up = await container.health();
    expect(up.mongodb.ok).toBe(true);
    const created = await accounts.registerAccount(parseTeamId(TEAM), {
      provider: "aws",
      accountId: "123456789012",
      name: "After recovery",
    });
    expect(created.team_id).toBe(TEAM);
    const page = await accounts.listAccounts(parseTeamId(TEAM));
    expect(page.items.map((a) => a.id)).toEqual([created.id]);
  }, 30_000);

  it("a bare CSPMDatabaseManager: connect() fails with UNAVAILABLE naming the host, a retry succeeds once the server is up", async () => {
    const port = await freePort();
    manager = new CSPMDatabaseManager({
      uri: `mongodb://127.0.0.1:${port}/?directConnection=true`,
      prefix: `r_down2_${port}`,
      serverSelectionTimeoutMS: 800,
    });
    const first = await failure(manager.connect());
    expect(first.code).toBe("UNAVAILABLE");
    expect(first.hint).toEqual(expect.any(String));
    const ping = await manager.ping();
    expect(ping.ok).toBe(false);
    expect(ping.error?.code).toBe("UNAVAILABLE");

    await server?.stop();
    server = await startCompatServer({ port });
    await manager.connect();
    expect((await manager.ping()).ok).toBe(true);
    const coll = manager.getCollection("PLATFORM", "settings");
    await coll.insertOne({ team_id: TEAM, key: "recovered", value: true });
    expect(await coll.countDocuments({ key: "recovered" })).toBe(1);
  }, 30_000);
});

import { systemActor } from "@cspm/identity";
import { parseTeamId } from "@cspm/repository";
import { randomUUID } from "node:crypto";
import { inspect } from "node:util";
import { NoCache } from "@cspm/cache";
import { isCspmError } from "@cspm/errors";
import { CommandMonitor } from "@cspm/mongo";
import { CloudAccountRepository, ProwlerFindingRepository } from "@cspm/domain";
import { dropDatabasesWithPrefix, testDatabasePrefix, testMongoUri } from "@cspm/testkit";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServiceContainer, type ServiceContainer, TOKENS } from "./index";

const KEY = Buffer.alloc(32, 9).toString("base64");
const prefixes: string[] = [];

function build(options: { redis?: boolean; cache?: boolean; monitor?: CommandMonitor } = {}): ServiceContainer {
  const prefix = testDatabasePrefix("container");
  prefixes.push(prefix);
  return createServiceContainer(
    {
      mongodb: { uri: testMongoUri(), prefix, serverSelectionTimeoutMS: 3000 },
      encryptionKeys: `k1:${KEY}`,
      ...(options.redis ? { redis: { url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379", keyPrefix: `${prefix}cache:` } } : {}),
      ...(options.cache === false ? { cache: { enabled: false } } : {}),
    },
    options.monitor ? { commandMonitor: options.monitor } : {},
  );
}

const AWS_CREDENTIALS = { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };

describe("ServiceContainer", () => {
  let client: MongoClient;
  beforeAll(async () => {
    client = await MongoClient.connect(testMongoUri());
  });
  afterAll(async () => {
    for (const prefix of prefixes) await dropDatabasesWithPrefix(client, prefix);
    await client.close();
  });

  it("two containers share no client and no counter: disposing one leaves the other working", async () => {
    const a = build({ monitor: new CommandMonitor() });
    const b = build({ monitor: new CommandMonitor() });
    try {
      await a.initialize();
      await b.initialize();
      const clientA = a.resolve(TOKENS.DatabaseManager).client;
      expect(clientA).not.toBe(b.resolve(TOKENS.DatabaseManager).client);
      const monitorA = a.resolve(TOKENS.CommandMonitor);
      monitorA.reset();
      await b.services.accounts.listAccounts(parseTeamId("team-b"));
      expect(monitorA.count()).toBe(0);
      await a.dispose();
      expect((await b.health()).mongodb.ok).toBe(true);
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });

  it("takes a clock and a cache as overrides; every service uses them", async () => {
    const fixed = new Date("2024-03-01T10:00:00.000Z");
    const { MemoryCache } = await import("@cspm/cache");
    const cache = new MemoryCache();
    const prefix = testDatabasePrefix("container");
    prefixes.push(prefix);
    const services = createServiceContainer(
      { mongodb: { uri: testMongoUri(), prefix, serverSelectionTimeoutMS: 3000 }, encryptionKeys: `k1:${KEY}` },
      { clock: () => fixed, cache },
    );
    try {
      await services.initialize();
      expect(services.resolve(TOKENS.Cache)).toBe(cache);
      const summary = await services.resolve(TOKENS.AggregationService).getDashboardSummary(parseTeamId("team-clock"));
      expect(summary.generated_at).toEqual(fixed);
      expect((await services.health()).cache.kind).toBe("custom");
    } finally {
      await services.dispose();
    }
  });

  it("wires every token and repository, and a request scope shares the singletons", async () => {
    const services = build();
    try {
      await services.initialize();
      const notHere: string[] = [TOKENS.RequestContext, TOKENS.Actor, TOKENS.ActorServices, TOKENS.CommandMonitor];
      for (const token of Object.values(TOKENS).filter((t) => !notHere.includes(t))) {
        expect(services.resolve(token), token).toBeDefined();
      }
      expect(services.resolve(TOKENS.AggregationService)).toBe(services.resolve(TOKENS.AggregationService));
      expect(services.resolve(ProwlerFindingRepository)).toBeInstanceOf(ProwlerFindingRepository);
      const scope = services.createRequestScope({ teamId: "team-a", requestId: "r1" });
      expect(scope.context).toEqual({ teamId: "team-a", requestId: "r1" });
      expect(scope.resolve(TOKENS.CentralAccountService)).toBe(services.resolve(TOKENS.CentralAccountService));
      const other = services.createRequestScope({ teamId: "team-b" });
      expect(other.context.teamId).toBe("team-b");
      // Without an actor a scope has no actor-bound services; with one, they act for the actor's team only.
      expect(() => other.services).toThrow(/no authenticated actor/);
      const actor = systemActor(parseTeamId("team-a"), "test", "viewer");
      const bound = services.createRequestScope({ actor, requestId: "r2" });
      expect(bound.services.actor).toBe(actor);
      // The child container behind resolve is made on first use, with the same registrations as ever.
      expect(bound.resolve(TOKENS.Actor)).toBe(actor);
      expect(bound.resolve(TOKENS.ActorServices)).toBe(bound.services);
      expect(bound.resolve(TOKENS.RequestContext)).toBe(bound.context);
      expect(bound.context).toEqual({ actor, requestId: "r2" });
      // A method group is built once per view, on first use.
      expect(bound.services.accounts).toBe(bound.services.accounts);
      expect((await bound.services.accounts.listAccounts(parseTeamId("team-a"))).items).toEqual([]);
      await expect(bound.services.accounts.listAccounts(parseTeamId("team-b"))).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(
        bound.services.accounts.registerAccount(parseTeamId("team-a"), { provider: "aws", accountId: "123456789012", name: "x" }),
      ).rejects.toMatchObject({ code: "FORBIDDEN", details: { reason: "PERMISSION_DENIED", permission: "manage_accounts" } });
    } finally {
      await services.dispose();
    }
  });

  it("keeps two containers in one process apart: own databases, caches and instances", async () => {
    const first = build();
    const second = build();
    try {
      await Promise.all([first.initialize(), second.initialize()]);
      expect(first.resolve(TOKENS.Cache)).not.toBe(second.resolve(TOKENS.Cache));
      expect(first.resolve(TOKENS.CentralAccountService)).not.toBe(second.resolve(TOKENS.CentralAccountService));
      const team = `team-${randomUUID().slice(0, 8)}`;
      const accounts = first.resolve(TOKENS.CentralAccountService);
      await accounts.registerAccount(parseTeamId(team), {
        provider: "aws",
        accountId: "123456789012",
        name: "prod",
        credentials: AWS_CREDENTIALS,
      });
      expect((await accounts.listAccounts(parseTeamId(team))).items).toHaveLength(1);
      expect((await second.resolve(TOKENS.CentralAccountService).listAccounts(parseTeamId(team))).items).toHaveLength(0);
      const stored = await client
        .db(first.resolve(TOKENS.DatabaseManager).databaseName("CLOUD_SECURITY"))
        .collection("enhanced_cloud_accounts")
        .findOne({ team_id: team });
      expect(JSON.stringify(stored)).not.toContain(AWS_CREDENTIALS.secret_access_key);
      expect(second.resolve(CloudAccountRepository)).not.toBe(first.resolve(CloudAccountRepository));
    } finally {
      await Promise.all([first.dispose(), second.dispose()]);
    }
  });

  it("monitors commands only when given a monitor: the driver emits no command events otherwise", async () => {
    const monitor = new CommandMonitor();
    const watched = build({ monitor });
    const silent = build();
    try {
      await Promise.all([watched.initialize(), silent.initialize()]);
      expect(watched.resolve(TOKENS.DatabaseManager).client.options.monitorCommands).toBe(true);
      expect(watched.resolve(TOKENS.CommandMonitor)).toBe(monitor);
      monitor.reset();
      await watched.services.accounts.listAccounts(parseTeamId("team-m"));
      expect(monitor.count({ name: "find" })).toBe(1);

      const client = silent.resolve(TOKENS.DatabaseManager).client;
      expect(client.options.monitorCommands).toBe(false);
      let events = 0;
      client.on("commandStarted", () => {
        events += 1;
      });
      await silent.services.accounts.listAccounts(parseTeamId("team-m"));
      expect(events).toBe(0);
      expect(() => silent.resolve(TOKENS.CommandMonitor)).toThrow(
        expect.objectContaining({ code: "VALIDATION_FAILED", message: expect.stringContaining("overrides.commandMonitor") }),
      );
    } finally {
      await Promise.all([watched.dispose(), silent.dispose()]);
    }
  });

  it("switches the cache off by configuration: every read goes to MongoDB, Redis is never connected", async () => {
    const monitor = new CommandMonitor();
    const services = build({ cache: false, redis: true, monitor });
    try {
      await services.initialize();
      expect(services.resolve(TOKENS.Cache)).toBeInstanceOf(NoCache);
      const team = parseTeamId("team-nocache");
      monitor.reset();
      await services.services.accounts.listAccounts(team);
      await services.services.accounts.listAccounts(team);
      await services.services.aggregation.getDashboardSummary(team);
      await services.services.aggregation.getDashboardSummary(team);
      // Two account lists and, per dashboard, its rollup marks read; two dashboard aggregations.
      expect(monitor.count({ name: "find" })).toBe(4);
      expect(monitor.count({ name: "aggregate" })).toBe(2);
      const health = await services.health();
      expect(health.cache).toEqual({ ok: true, kind: "none" });
      expect(services.resolve(TOKENS.Cache).stats()).toMatchObject({ backend: "none", hits: 0, loads: 4 });
    } finally {
      await services.dispose();
    }
  });

  it("ensures indexes on demand and reports health for MongoDB and Redis", async () => {
    const services = build({ redis: true });
    try {
      await services.initialize({ ensureIndexes: true });
      const again = await services.ensureIndexes();
      expect(again.created).toHaveLength(0);
      const health = await services.health();
      expect(health.mongodb.ok).toBe(true);
      expect(health.cache.kind).toBe("redis");
      expect(health.ok).toBe(true);
    } finally {
      await services.dispose();
    }
  });

  it("exposes its configuration with every secret redacted", async () => {
    const services = createServiceContainer({
      mongodb: { uri: "mongodb://svc:hunter2@127.0.0.1:1/?directConnection=true", serverSelectionTimeoutMS: 300 },
      encryptionKeys: `k1:${KEY}`,
      cursorSecret: "a-cursor-secret-of-some-length",
      redis: { url: "redis://:redispass@127.0.0.1:6379" },
    });
    try {
      const visible = JSON.stringify([services.config, services.resolve(TOKENS.Config)]) + inspect(services, { depth: 6 });
      for (const secret of ["hunter2", KEY, "a-cursor-secret-of-some-length", "redispass"]) expect(visible).not.toContain(secret);
      expect(services.config.mongodb.uri).toContain("127.0.0.1:1");
    } finally {
      await services.dispose();
    }
  });

  it("dispose is idempotent and a disposed container refuses to start again", async () => {
    const services = build();
    await services.initialize();
    await Promise.all([services.dispose(), services.dispose()]);
    await services.dispose();
    const error = await services.initialize().catch((e: unknown) => e);
    expect(isCspmError(error) && error.code).toBe("UNAVAILABLE");
  });

  it("fails initialize with UNAVAILABLE and a hint when MongoDB is unreachable, without the password", async () => {
    const services = createServiceContainer({
      mongodb: { uri: "mongodb://admin:hunter2@127.0.0.1:1/?directConnection=true", serverSelectionTimeoutMS: 300 },
      encryptionKeys: `k1:${KEY}`,
    });
    try {
      const error = await services.initialize().catch((e: unknown) => e);
      expect(isCspmError(error) && error.code).toBe("UNAVAILABLE");
      expect(String((error as Error).message)).toContain("127.0.0.1:1");
      expect(JSON.stringify(error)).not.toContain("hunter2");
      expect(String((error as Error).message)).not.toContain("hunter2");
    } finally {
      await services.dispose();
    }
  });
});

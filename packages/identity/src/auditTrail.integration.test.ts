import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { AuditLogRepository, AuditOutboxRepository, SettingRepository } from "@cspm/domain";
import { isCspmError, NotFoundError } from "@cspm/errors";
import { parseTeamId } from "@cspm/repository";
import { openTestDatabases, type TestDatabases } from "@cspm/test-fixtures";
import { testMongoUri } from "@cspm/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemActor } from "./actor";
import { AuditTrail } from "./auditTrail";

const TEAM = parseTeamId("team-audit");
const OTHER = parseTeamId("team-other");

let db: TestDatabases;
let audit: AuditTrail;
const errors: unknown[] = [];

beforeAll(async () => {
  db = await openTestDatabases({ label: "idaudit" });
  await db.manager.ensureIndexes({ databases: ["PLATFORM"] });
  audit = new AuditTrail({ manager: db.manager, repositories: db.repositories, clock: db.clock, onError: (e) => errors.push(e) });
});

afterAll(async () => {
  await db?.close();
});

const entries = (action: string) => db.repositories.get(AuditLogRepository).listRecent(TEAM, { action, limit: 100 });
const settings = () => db.repositories.get(SettingRepository);

describe("AuditTrail.run: one entry per mutation", () => {
  it("transaction mode: the change and its entry commit together; a failure rolls the change back and is recorded", async () => {
    const admin = systemActor(TEAM, "tx-admin", "admin");
    const result = await audit.run(
      { actor: admin, teamId: TEAM, requestId: "req-tx-1", ip: "fe80::1%eth0" },
      {
        action: "setting.create",
        permission: "manage_accounts",
        target: { type: "setting" },
        targetIdOf: (r: { key: string }) => r.key,
        mode: "transaction",
        changes: { key: "tx.ok", token: "hunter2" },
      },
      async ({ session }) => {
        expect(session).toBeDefined();
        return settings()
          .forTeam(TEAM)
          .insertOne({ key: "tx.ok", value: 1 }, session === undefined ? {} : { session });
      },
    );
    expect(result.key).toBe("tx.ok");
    const [ok] = await entries("setting.create");
    expect(ok).toMatchObject({
      team_id: TEAM,
      actor: { type: "system", id: "tx-admin", via: "system", role: "admin" },
      target: { type: "setting", id: "tx.ok" },
      outcome: "success",
      request_id: "req-tx-1",
      changes: { fields: ["key", "token"] },
    });
    expect(JSON.stringify(ok)).not.toContain("hunter2");
    expect(ok).not.toHaveProperty("ip");

    const failed = await audit
      .run(
        { actor: admin, teamId: TEAM },
        { action: "setting.remove", permission: "manage_accounts", target: { type: "setting", id: "tx.fail" }, mode: "transaction" },
        async ({ session }) => {
          await settings()
            .forTeam(TEAM)
            .insertOne({ key: "tx.fail", value: 1 }, session === undefined ? {} : { session });
          throw new NotFoundError("gone");
        },
      )
      .catch((e: unknown) => e);
    expect(isCspmError(failed) && failed.code).toBe("NOT_FOUND");
    expect(await settings().get(TEAM, "tx.fail")).toBeUndefined();
    expect((await entries("setting.remove")).map((e) => [e.outcome, e.error_code])).toEqual([["failure", "NOT_FOUND"]]);
  });

  it("a missing permission or another team is denied before anything runs, and recorded in the actor's own team", async () => {
    let ran = 0;
    const viewer = systemActor(TEAM, "viewer-1", "viewer");
    for (const teamId of [TEAM, OTHER]) {
      const error = await audit
        .run(
          { actor: teamId === TEAM ? viewer : systemActor(TEAM, "admin-x", "admin"), teamId },
          { action: "setting.deny", permission: "manage_accounts", target: { type: "setting", id: "x" }, mode: "outbox" },
          async () => {
            ran += 1;
          },
        )
        .catch((e: unknown) => e);
      expect(isCspmError(error) && error.code).toBe("FORBIDDEN");
    }
    expect(ran).toBe(0);
    expect((await entries("setting.deny")).map((e) => e.outcome)).toEqual(["denied", "denied"]);
    expect(await db.repositories.get(AuditLogRepository).listRecent(OTHER)).toEqual([]);
    expect(await db.repositories.get(AuditOutboxRepository).shared().count()).toBe(0);
  });

  it("outbox mode: success and failure each leave one entry and an empty outbox", async () => {
    const admin = systemActor(TEAM, "ob-admin", "admin");
    await audit.run(
      { actor: admin, teamId: TEAM },
      {
        action: "setting.put",
        permission: "manage_accounts",
        target: { type: "setting", id: "ob.ok" },
        mode: "outbox",
        metadataOf: () => ({ count: 3 }),
      },
      () => settings().set(TEAM, "ob.ok", 1),
    );
    await audit
      .run(
        { actor: admin, teamId: TEAM },
        { action: "setting.put", permission: "manage_accounts", target: { type: "setting", id: "ob.bad" }, mode: "outbox" },
        async () => {
          throw new Error("boom");
        },
      )
      .catch(() => undefined);
    const found = await entries("setting.put");
    expect(found.map((e) => [e.target.id, e.outcome, e.error_code ?? null, e.metadata ?? null])).toEqual([
      ["ob.bad", "failure", "INTERNAL", null],
      ["ob.ok", "success", null, { count: 3 }],
    ]);
    expect(await db.repositories.get(AuditOutboxRepository).shared().count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it("a crash between the change and its entry loses nothing: the relay records it as interrupted, exactly once", async () => {
    const root = fileURLToPath(new URL("../../../", import.meta.url));
    const probe = fileURLToPath(new URL("../test-support/crashProbe.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", probe, testMongoUri(), db.prefix, TEAM], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 25_000);
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, s) => resolve(s)));
    clearTimeout(killer);
    expect(stderr).toBe("");
    expect(stdout).toBe("changed\n");
    expect(signal).toBe("SIGKILL");
    // The change happened, its entry is not in the log yet, but it waits in the outbox.
    expect(await settings().get(TEAM, "crash.marker")).toBe(1);
    expect(await entries("setting.update")).toEqual([]);
    expect(await db.repositories.get(AuditOutboxRepository).shared().count()).toBe(1);
    // A fresh entry is left to its own process; an old one is relayed.
    expect(await audit.relayOutbox({ olderThanMs: 60_000 })).toBe(0);
    expect(await audit.relayOutbox({ olderThanMs: 0 })).toBe(1);
    expect(await audit.relayOutbox({ olderThanMs: 0 })).toBe(0);
    const [entry, ...more] = await entries("setting.update");
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      outcome: "interrupted",
      request_id: "crash-1",
      actor: { id: "crash-probe" },
      target: { type: "setting", id: "crash.marker" },
    });
  }, 40_000);

  it("a relay racing a settled entry (same _id) does not write it twice", async () => {
    const outbox = db.repositories.get(AuditOutboxRepository);
    const admin = systemActor(TEAM, "race", "admin");
    await audit.run(
      { actor: admin, teamId: TEAM },
      { action: "setting.race", permission: "manage_accounts", target: { type: "setting", id: "r" }, mode: "outbox" },
      async () => {
        // Simulates a relay that already moved this entry while the change ran.
        const [pending] = await outbox.listOlderThan(new Date(Date.now() + 60_000));
        expect(pending?.entry.action).toBe("setting.race");
        await new AuditTrail({
          manager: db.manager,
          repositories: db.repositories,
          clock: () => new Date(Date.now() + 600_000),
        }).relayOutbox();
      },
    );
    expect((await entries("setting.race")).map((e) => e.outcome)).toEqual(["interrupted"]);
    expect(await outbox.shared().count()).toBe(0);
  });
});

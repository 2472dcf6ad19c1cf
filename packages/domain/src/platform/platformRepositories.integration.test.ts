import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectCspmError } from "../testing/expectCspmError";
import { type DomainTestContext, openDomainTestContext } from "../testing/openDomainTestContext";
import { SessionRepository } from "./sessionRepository";
import { SettingRepository } from "./settingRepository";
import { TeamRepository } from "./teamRepository";
import { UserRepository } from "./userRepository";

const A = "team-a";
const B = "team-b";

let ctx: DomainTestContext;

beforeAll(async () => {
  ctx = await openDomainTestContext(["PLATFORM"]);
});

afterAll(async () => {
  await ctx?.dispose();
});

describe("platform repositories", () => {
  it("settings are per team", async () => {
    const settings = ctx.factory.get(SettingRepository);
    await settings.set(A, "scans.default_regions", ["us-east-1"]);
    await settings.set(A, "scans.default_regions", ["eu-west-1"]);
    await settings.set(B, "scans.default_regions", ["ap-south-1"]);
    expect(await settings.get(A, "scans.default_regions")).toEqual(["eu-west-1"]);
    expect(await settings.get(B, "scans.default_regions")).toEqual(["ap-south-1"]);
    expect(await settings.listAll(A)).toEqual({ "scans.default_regions": ["eu-west-1"] });
    expect(await settings.remove(B, "scans.default_regions")).toBe(true);
    expect(await settings.get(B, "scans.default_regions")).toBeUndefined();
    await expectCspmError(settings.set(A, "ui.theme", { $set: "dark" }), "VALIDATION_FAILED");
  });

  it("users: email is case-insensitive and unique per team; teams by slug", async () => {
    const users = ctx.factory.get(UserRepository);
    await users.create(A, { email: "Ann@Example.com", name: "Ann", role: "admin", status: "active" });
    await expectCspmError(users.create(A, { email: "ann@example.com", name: "Ann 2", role: "analyst", status: "active" }), "CONFLICT");
    await users.create(B, { email: "ann@example.com", name: "Other Ann", role: "analyst", status: "active" });
    expect((await users.findByEmail(A, "ANN@example.com"))?.name).toBe("Ann");
    expect((await users.findByEmail(B, "ann@example.com"))?.name).toBe("Other Ann");

    const teams = ctx.factory.get(TeamRepository);
    await teams.create({ name: "Acme", slug: "acme", status: "active" });
    await expectCspmError(teams.create({ name: "Acme 2", slug: "acme", status: "active" }), "CONFLICT");
    expect((await teams.findBySlug("acme"))?.name).toBe("Acme");
  });

  it("lists active teams and users by role within the find limits; streamActive reads every team", async () => {
    const teams = ctx.factory.get(TeamRepository);
    await teams.create({ name: "Zeta", slug: "zeta", status: "active" });
    await teams.create({ name: "Beta", slug: "beta", status: "suspended" });
    const active = (await teams.listActive()).map((t) => t.slug);
    expect(active).toContain("zeta");
    expect(active).not.toContain("beta");
    const streamed: string[] = [];
    for await (const team of teams.streamActive()) streamed.push(team.slug);
    expect(streamed).toEqual(active);

    const users = ctx.factory.get(UserRepository);
    for (const name of ["cy", "bo", "al"]) await users.create(A, { email: `${name}@example.com`, name, role: "analyst", status: "active" });
    expect((await users.listByRole(A, "analyst")).map((u) => u.name)).toEqual(["al", "bo", "cy"]);
    expect((await users.listByRole(A, "analyst", 2)).map((u) => u.name)).toEqual(["al", "bo"]);
    await expectCspmError(users.listByRole(A, "analyst", 0), "VALIDATION_FAILED");
  });

  it("sessions are found by token hash only while live and only in their team", async () => {
    const sessions = ctx.factory.get(SessionRepository);
    const hash = createHash("sha256").update("token-1").digest("hex");
    // The sessions collection has a TTL index on expires_at and the engine's TTL monitor runs every second,
    // so the session must expire in the real future, not relative to the fixed T0, or it can vanish mid-test.
    const now = new Date();
    await sessions.create(A, { user_id: "u1", token_hash: hash, expires_at: new Date(now.getTime() + 3_600_000) });
    expect(await sessions.findActive(A, hash, now)).not.toBeNull();
    expect(await sessions.findActive(B, hash, now)).toBeNull();
    expect(await sessions.findActive(A, hash, new Date(now.getTime() + 7_200_000))).toBeNull();
    expect(await sessions.revokeAllForUser(B, "u1")).toBe(0);
    expect(await sessions.revoke(A, hash)).toBe(true);
    expect(await sessions.findActive(A, hash, now)).toBeNull();
  });
});

import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiKeyRepository, SessionRepository } from "@cspm/domain";
import { isCspmError } from "@cspm/errors";
import { parseTeamId } from "@cspm/repository";
import { openTestDatabases, type TestDatabases } from "@cspm/test-fixtures";
import { exportJWK, generateKeyPair, type JWTPayload, type KeyLike, SignJWT } from "jose";
import type { CommandStartedEvent } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemActor } from "./actor";
import { createIdentity, type Identity } from "./createIdentity";
import { hashToken } from "./credentialTokens";

const TEAM = parseTeamId("team-auth");
const OTHER = parseTeamId("team-auth-b");
const ISSUER = "https://idp.test.example";
const AUDIENCE = "cspm-api";

let db: TestDatabases;
let identity: Identity;
let now = new Date("2030-01-01T00:00:00Z");
let signingKey: KeyLike;
let strangerKey: KeyLike;

async function jwt(
  claims: JWTPayload,
  options: { key?: KeyLike; audience?: string; expiresIn?: string; kid?: string } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: options.kid ?? "k1" })
    .setIssuer(ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setSubject(typeof claims.sub === "string" ? claims.sub : "idp-user-1")
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "5m")
    .sign(options.key ?? signingKey);
}

async function refusal(token: string | undefined): Promise<string | undefined> {
  try {
    await identity.authenticator.authenticateHeader(token === undefined ? undefined : `Bearer ${token}`);
    return "accepted";
  } catch (error) {
    return isCspmError(error) ? `${error.code}:${error.reason}` : String(error);
  }
}

beforeAll(async () => {
  db = await openTestDatabases({ label: "idauth", clock: () => now });
  await db.manager.ensureIndexes({ databases: ["PLATFORM"] });
  const pair = await generateKeyPair("RS256");
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair("RS256")).privateKey;
  const jwksFile = join(mkdtempSync(join(tmpdir(), "cspm-jwks-")), "jwks.json");
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" }] }));
  identity = createIdentity({
    manager: db.manager,
    repositories: db.repositories,
    clock: () => now,
    options: {
      jwt: { jwksFile, issuer: ISSUER, audience: AUDIENCE, roleMap: { "idp-security-team": "analyst" } },
      lastUsedFlushMs: 3_600_000,
    },
  });
});

afterAll(async () => {
  await identity?.lastUsed.close();
  await db?.close();
});

describe("API keys", () => {
  it("authenticate as their role in their team; the token is stored only as its hash", async () => {
    const owner = systemActor(TEAM, "seed");
    const { token, key } = await identity.apiKeys.createKey(TEAM, { name: "ci", role: "analyst" }, owner);
    expect(key).not.toHaveProperty("key_hash");
    const actor = await identity.authenticator.authenticateHeader(`Bearer ${token}`);
    expect(actor).toMatchObject({
      type: "api_key",
      id: key.id,
      teamId: TEAM,
      via: "api_key",
      role: "analyst",
      label: key.prefix,
      credentialId: `api_key:${key.id}`,
    });
    expect([...actor.permissions].sort()).toEqual(["manage_assessments", "manage_mute_rules", "manage_scans", "read"]);
    const stored = await db.manager.getCollection("PLATFORM", "api_keys").find({}).toArray();
    expect(JSON.stringify(stored)).not.toContain(token.split(".")[2]);
    expect(stored.map((d) => d.key_hash)).toContain(hashToken(token));
  });

  it("scopes narrow the role; revoked and expired keys answer UNAUTHENTICATED", async () => {
    const owner = systemActor(TEAM, "seed");
    const scoped = await identity.apiKeys.createKey(TEAM, { name: "read-only", role: "admin", scopes: ["read"] }, owner);
    expect([...(await identity.authenticator.authenticate(scoped.token)).permissions]).toEqual(["read"]);
    const revoked = await identity.apiKeys.createKey(TEAM, { name: "old", role: "viewer" }, owner);
    expect((await identity.apiKeys.revokeKey(TEAM, revoked.key.id)).status).toBe("revoked");
    expect((await identity.apiKeys.revokeKey(TEAM, revoked.key.id)).status).toBe("revoked");
    expect(await refusal(revoked.token)).toBe("UNAUTHENTICATED:CREDENTIAL_INVALID");
    const expiring = await identity.apiKeys.createKey(TEAM, { name: "short", role: "viewer", expiresInDays: 1 }, owner);
    expect(await refusal(expiring.token)).toBe("accepted");
    now = new Date(now.getTime() + 86_400_000);
    expect(await refusal(expiring.token)).toBe("UNAUTHENTICATED:CREDENTIAL_INVALID");
    const listed = await identity.apiKeys.listKeys(TEAM);
    expect(listed.items.find((k) => k.id === expiring.key.id)?.status).toBe("expired");
  });

  it("a token never acts for another team: the team it names is only where the hash is looked for", async () => {
    const { token } = await identity.apiKeys.createKey(TEAM, { name: "a", role: "owner" }, systemActor(TEAM, "seed"));
    const forged = token.replace(`.${TEAM}.`, `.${OTHER}.`);
    expect(await refusal(forged)).toBe("UNAUTHENTICATED:CREDENTIAL_INVALID");
    expect((await identity.authenticator.authenticate(token)).teamId).toBe(TEAM);
  });

  it("1,000 random tokens are refused, each looked up by the hash of the whole token and nothing else", async () => {
    const filters: unknown[] = [];
    const listen = (event: CommandStartedEvent) => {
      if (event.commandName === "find" && String(event.command.find) === "api_keys") filters.push(event.command.filter);
    };
    db.manager.client.on("commandStarted", listen);
    const tokens: string[] = [];
    try {
      for (let i = 0; i < 1000; i++) {
        const secret = randomBytes(32).toString("base64url");
        const token = i % 4 === 3 ? randomBytes(24).toString("base64url") : `cspm-ak.${i % 2 === 0 ? TEAM : OTHER}.${secret}`;
        tokens.push(token);
        expect(await refusal(token)).toBe("UNAUTHENTICATED:CREDENTIAL_INVALID");
      }
    } finally {
      db.manager.client.off("commandStarted", listen);
    }
    const wellFormed = tokens.filter((t) => t.startsWith("cspm-ak."));
    expect(filters).toHaveLength(wellFormed.length);
    filters.forEach((filter, i) => {
      const text = JSON.stringify(filter);
      expect(text).toContain(hashToken(wellFormed[i] as string));
      expect(text).not.toContain((wellFormed[i] as string).split(".")[2]);
      expect(text).not.toMatch(/prefix|\$regex/);
    });
  }, 120_000);

  it("last use is written in batches, not per request", async () => {
    const { token, key } = await identity.apiKeys.createKey(TEAM, { name: "busy", role: "viewer" }, systemActor(TEAM, "seed"));
    await identity.lastUsed.flush();
    for (let i = 0; i < 20; i++) await identity.authenticator.authenticate(token);
    expect(identity.lastUsed.pending).toBe(1);
    expect((await db.repositories.get(ApiKeyRepository).forTeam(TEAM).findById(key.id))?.last_used_at).toBeUndefined();
    const { commands, result } = await db.monitor.measure(() => identity.lastUsed.flush());
    expect(result).toBe(1);
    expect(commands.filter((c) => c.name === "update")).toHaveLength(1);
    expect((await db.repositories.get(ApiKeyRepository).forTeam(TEAM).findById(key.id))?.last_used_at).toEqual(now);
  });
});

describe("sessions", () => {
  it("authenticate as the user's current role; expire, rotate and revoke", async () => {
    const owner = systemActor(TEAM, "seed");
    const member = await identity.members.addMember(TEAM, { email: "Sam@Example.com", name: "Sam", role: "viewer" }, owner);
    const { token, session } = await identity.sessions.createSession(TEAM, member.id, { ttlSeconds: 3600 });
    expect(await identity.authenticator.authenticate(token)).toMatchObject({
      type: "user",
      id: member.id,
      via: "session",
      role: "viewer",
      label: "sam@example.com",
    });
    await identity.members.changeRole(TEAM, member.id, "analyst", owner);
    expect((await identity.authenticator.authenticate(token)).role).toBe("analyst");

    const rotated = await identity.sessions.rotateSession(TEAM, session.id);
    expect(await refusal(token)).toBe("UNAUTHENTICATED:CREDENTIAL_INVALID");
    expect(await refusal(rotated.token)).toBe("accepted");
    now = new Date(now.getTime() + 12 * 3_600_000 + 1000);
    expect(await refusal(rotated.token)).toBe("UNAUTHENTICATED:CREDENTIAL_INVALID");

    const again = await identity.sessions.createSession(TEAM, member.id);
    await identity.sessions.revokeSession(TEAM, again.session.id);
    expect(await refusal(again.token)).toBe("UNAUTHENTICATED:CREDENTIAL_INVALID");
    const last = await identity.sessions.createSession(TEAM, member.id);
    await identity.members.removeMember(TEAM, member.id, owner);
    expect(await refusal(last.token)).toBe("UNAUTHENTICATED:CREDENTIAL_INVALID");
    const stored = await db.repositories.get(SessionRepository).forTeam(TEAM).findMany({});
    expect(JSON.stringify(stored)).not.toContain(last.token.split(".")[2]);
  });
});

describe("JWT bearer tokens (OIDC)", () => {
  it("verify against the JWKS file and map claims to team and role", async () => {
    const actor = await identity.authenticator.authenticate(
      await jwt({ team_id: TEAM, role: ["unknown-group", "idp-security-team"], email: "ida@example.com" }),
    );
    expect(actor).toMatchObject({ type: "user", id: "idp-user-1", teamId: TEAM, via: "jwt", role: "analyst", label: "ida@example.com" });
  });

  it("refuse another signing key, another audience, an expired token, no team and an unknown role — all alike", async () => {
    const claims = { team_id: TEAM, role: "viewer" };
    expect(await refusal(await jwt(claims))).toBe("accepted");
    expect(await refusal(await jwt(claims, { key: strangerKey }))).toBe("UNAUTHENTICATED:CREDENTIAL_INVALID");
    expect(await refusal(await jwt(claims, { audience: "another-api" }))).toBe("UNAUTHENTICATED:CREDENTIAL_INVALID");
    expect(await refusal(await jwt(claims, { expiresIn: "-1h" }))).toBe("UNAUTHENTICATED:CREDENTIAL_INVALID");
    expect(await refusal(await jwt({ role: "viewer" }))).toBe("UNAUTHENTICATED:CREDENTIAL_INVALID");
    expect(await refusal(await jwt({ team_id: TEAM, role: "superuser" }))).toBe("UNAUTHENTICATED:CREDENTIAL_INVALID");
    expect(await refusal(undefined)).toBe("UNAUTHENTICATED:CREDENTIAL_MISSING");
  });
});

describe("members and custom roles", () => {
  it("custom roles grant what they list; nobody escalates; the last owner stays; roles in use stay", async () => {
    const owner = systemActor(TEAM, "seed");
    const admin = systemActor(TEAM, "admin-1", "admin");
    const viewer = systemActor(TEAM, "viewer-1", "viewer");
    await identity.roles.createRole(TEAM, { name: "auditor", permissions: ["read", "read_audit_log"] }, admin);
    const reason = async (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: unknown) => (isCspmError(e) ? (e.reason ?? e.code) : String(e)),
      );
    expect(await reason(identity.roles.createRole(TEAM, { name: "admin", permissions: ["read"] }, owner))).toBe("VALIDATION_FAILED");
    expect(await reason(identity.roles.createRole(TEAM, { name: "sneaky", permissions: ["manage_members"] }, viewer))).toBe(
      "ROLE_ESCALATION",
    );
    expect(await reason(identity.apiKeys.createKey(TEAM, { name: "x", role: "admin" }, viewer))).toBe("ROLE_ESCALATION");
    expect(await reason(identity.apiKeys.createKey(TEAM, { name: "x", role: "owner" }, admin))).toBe("ROLE_ESCALATION");
    const key = await identity.apiKeys.createKey(TEAM, { name: "audit", role: "auditor" }, admin);
    expect([...(await identity.authenticator.authenticate(key.token)).permissions].sort()).toEqual(["read", "read_audit_log"]);
    expect(await reason(identity.roles.deleteRole(TEAM, "auditor"))).toBe("ROLE_IN_USE");
    await identity.apiKeys.revokeKey(TEAM, key.key.id);
    expect(await reason(identity.roles.deleteRole(TEAM, "auditor"))).toBe("ok");

    const solo = await identity.members.addMember(TEAM, { email: "owner@example.com", name: "Olga", role: "owner" }, owner);
    expect(await reason(identity.members.addMember(TEAM, { email: "o2@example.com", name: "O2", role: "owner" }, admin))).toBe(
      "ROLE_ESCALATION",
    );
    expect(await reason(identity.members.changeRole(TEAM, solo.id, "admin", owner))).toBe("LAST_OWNER");
    expect(await reason(identity.members.removeMember(TEAM, solo.id, admin))).toBe("ROLE_ESCALATION");
    expect(await reason(identity.members.addMember(TEAM, { email: "OWNER@example.com", name: "Dup", role: "viewer" }, owner))).toBe(
      "DUPLICATE_KEY",
    );
  });
});

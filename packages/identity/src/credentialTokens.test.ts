import { parseTeamId } from "@cspm/repository";
import { describe, expect, it } from "vitest";
import { hashesEqual, hashToken, issueToken, parseToken, TOKEN_KINDS } from "./credentialTokens";

const TEAM = parseTeamId("team_a-1");

describe("credential tokens", () => {
  it("issues 256-bit tokens naming their team, stored as SHA-256 with a visible prefix", () => {
    const issued = issueToken(TOKEN_KINDS.apiKey, TEAM);
    expect(issued.token).toMatch(/^cspm-ak\.team_a-1\.[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(issued.token.split(".")[2] as string, "base64url")).toHaveLength(32);
    expect(issued.hash).toBe(hashToken(issued.token));
    expect(issued.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(issued.token.startsWith(issued.prefix)).toBe(true);
    expect(issued.token.length - issued.prefix.length).toBe(35);
    expect(issueToken(TOKEN_KINDS.apiKey, TEAM).token).not.toBe(issued.token);
  });

  it("parses only well-formed tokens of our kinds", () => {
    const session = issueToken(TOKEN_KINDS.session, TEAM);
    expect(parseToken(session.token)).toEqual({ kind: "cspm-st", teamId: TEAM, hash: session.hash });
    const secret = session.token.split(".")[2] as string;
    for (const bad of [
      "",
      "cspm-ak",
      `cspm_xx.team_a-1.${secret}`,
      `cspm-ak.team a.${secret}`,
      `cspm-ak.team_a-1.${secret.slice(1)}`,
      `cspm-ak.team_a-1.${secret}.extra`,
      `cspm-ak.${"t".repeat(129)}.${secret}`,
      "eyJhbGciOiJSUzI1NiJ9.e30.sig",
      `cspm-ak.team_a-1.${secret.slice(0, 42)}!`,
    ]) {
      expect(parseToken(bad), bad).toBeNull();
    }
  });

  it("compares hashes in constant time and by value", () => {
    const a = hashToken("x");
    expect(hashesEqual(a, hashToken("x"))).toBe(true);
    expect(hashesEqual(a, hashToken("y"))).toBe(false);
    expect(hashesEqual(a, a.slice(1))).toBe(false);
  });
});

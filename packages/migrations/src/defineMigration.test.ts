import { isCspmError } from "@cspm/errors";
import { describe, expect, it } from "vitest";
import { defineMigration, migrationChecksum } from "./defineMigration";

describe("defineMigration", () => {
  it("computes a sha256 checksum that is stable for the same definition", () => {
    const a = defineMigration({ id: "0001-a", description: "first", up: async () => ({ n: 1 }) });
    const b = defineMigration({ id: "0001-a", description: "first", up: async () => ({ n: 1 }) });
    expect(a.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(a.checksum).toBe(b.checksum);
  });

  it("changes the checksum when the source of up changes and no version is declared", () => {
    const a = defineMigration({ id: "0001-a", description: "first", up: async () => ({ n: 1 }) });
    const b = defineMigration({ id: "0001-a", description: "first", up: async () => ({ n: 2 }) });
    expect(a.checksum).not.toBe(b.checksum);
  });

  it("ignores whitespace-only reformatting of the source", () => {
    const a = defineMigration({ id: "0001-a", description: "d", up: async () => ({ n: 1 }) });
    // prettier-ignore
    const b = defineMigration({ id: "0001-a", description: "d", up: async () => ({ n: 1 }) });
    expect(a.checksum).toBe(b.checksum);
  });

  it("with a version hashes id, description and version only, so builds do not change it", () => {
    const a = defineMigration({ id: "0001-a", description: "d", version: 3, up: async () => ({ n: 1 }) });
    const b = defineMigration({ id: "0001-a", description: "d", version: 3, up: async () => ({ other: "body" }) });
    const c = defineMigration({ id: "0001-a", description: "d", version: 4, up: async () => ({ n: 1 }) });
    expect(a.checksum).toBe(b.checksum);
    expect(a.checksum).not.toBe(c.checksum);
    expect(migrationChecksum(a)).toBe(a.checksum);
  });

  it("rejects an empty or malformed id, a missing description and a missing up with VALIDATION_FAILED", () => {
    for (const bad of [
      { id: "", description: "d", up: async () => undefined },
      { id: "has space", description: "d", up: async () => undefined },
      { id: "0001-ok", description: " ", up: async () => undefined },
      { id: "0001-ok", description: "d" },
    ]) {
      let thrown: unknown;
      try {
        defineMigration(bad as never);
      } catch (error) {
        thrown = error;
      }
      expect(isCspmError(thrown) && thrown.code).toBe("VALIDATION_FAILED");
    }
  });

  it("returns a frozen migration", () => {
    const migration = defineMigration({ id: "0001-a", description: "d", up: async () => undefined });
    expect(Object.isFrozen(migration)).toBe(true);
  });
});

import type { IndexDefinition } from "@cspm/registry";
import { describe, expect, it } from "vitest";
import { indexDifferences } from "./syncIndexes";

const declared: IndexDefinition = {
  name: "team_email_unique",
  key: { team_id: 1, email: 1 },
  unique: true,
};

describe("indexDifferences", () => {
  it("finds none for the server's form of the same index", () => {
    expect(indexDifferences(declared, { v: 2, name: "team_email_unique", key: { team_id: 1, email: 1 }, unique: true })).toEqual([]);
  });

  it("compares key order and direction", () => {
    expect(indexDifferences(declared, { name: "x", key: { email: 1, team_id: 1 }, unique: true })).toEqual(["key"]);
    expect(indexDifferences(declared, { name: "x", key: { team_id: 1, email: -1 }, unique: true })).toEqual(["key"]);
  });

  it("compares unique, sparse, partial filter and TTL", () => {
    expect(indexDifferences(declared, { name: "x", key: { team_id: 1, email: 1 } })).toEqual(["unique"]);
    expect(indexDifferences(declared, { name: "x", key: { team_id: 1, email: 1 }, unique: true, sparse: true })).toEqual(["sparse"]);
    const partial: IndexDefinition = { ...declared, partialFilterExpression: { deleted_at: null, status: "active" } };
    expect(
      indexDifferences(partial, {
        name: "x",
        key: { team_id: 1, email: 1 },
        unique: true,
        partialFilterExpression: { status: "active", deleted_at: null },
      }),
    ).toEqual([]);
    expect(
      indexDifferences(partial, {
        name: "x",
        key: { team_id: 1, email: 1 },
        unique: true,
        partialFilterExpression: { status: "archived", deleted_at: null },
      }),
    ).toEqual(["partialFilterExpression"]);
    expect(indexDifferences(partial, { name: "x", key: { team_id: 1, email: 1 }, unique: true })).toEqual(["partialFilterExpression"]);
    const ttl: IndexDefinition = { name: "expires_at_ttl", key: { expires_at: 1 }, expireAfterSeconds: 0 };
    expect(indexDifferences(ttl, { name: "expires_at_ttl", key: { expires_at: 1 }, expireAfterSeconds: 0 })).toEqual([]);
    expect(indexDifferences(ttl, { name: "expires_at_ttl", key: { expires_at: 1 }, expireAfterSeconds: 3600 })).toEqual([
      "expireAfterSeconds",
    ]);
    expect(indexDifferences(ttl, { name: "expires_at_ttl", key: { expires_at: 1 } })).toEqual(["expireAfterSeconds"]);
  });

  it("reads a text index as stored by the server", () => {
    const text: IndexDefinition = { name: "search", key: { team_id: 1, title: "text", body: "text" } };
    expect(indexDifferences(text, { name: "search", key: { team_id: 1, _fts: "text", _ftsx: 1 }, weights: { body: 1, title: 1 } })).toEqual(
      [],
    );
    expect(indexDifferences(text, { name: "search", key: { team_id: 1, _fts: "text", _ftsx: 1 }, weights: { body: 1 } })).toEqual(["key"]);
  });
});

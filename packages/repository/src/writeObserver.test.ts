import { describe, expect, it } from "vitest";
import { trustedFilter } from "./trustedFilter";
import { partitionsOfDocuments, partitionsOfFilters } from "./writeObserver";

describe("write observer partitions", () => {
  it("reads the partitions a filter pins by equality, $eq, $in or inside $and", () => {
    expect(partitionsOfFilters([{ filter: { account_id: "b" } }, { filter: { account_id: "a" } }], "account_id")).toEqual(["a", "b"]);
    expect(partitionsOfFilters([{ filter: { account_id: { $eq: "a" } } }], "account_id")).toEqual(["a"]);
    expect(partitionsOfFilters([{ filter: { account_id: { $in: ["c", "a", "c"] } } }], "account_id")).toEqual(["a", "c"]);
    expect(partitionsOfFilters([{ filter: trustedFilter({ $and: [{ status: "FAIL" }, { account_id: "x" }] }) }], "account_id")).toEqual([
      "x",
    ]);
  });

  it("is null when any filter does not pin the partition", () => {
    expect(partitionsOfFilters([{ filter: { account_id: "a" } }, { filter: { status: "FAIL" } }], "account_id")).toBeNull();
    expect(partitionsOfFilters([{ filter: { account_id: { $ne: "a" } } }], "account_id")).toBeNull();
    expect(partitionsOfFilters([{ filter: { account_id: { $in: [] } } }], "account_id")).toBeNull();
    expect(partitionsOfFilters([{ filter: { $or: [{ account_id: "a" }] } }], "account_id")).toBeNull();
  });

  it("is null when the update may move a document to another partition", () => {
    const filter = { account_id: "a" };
    expect(partitionsOfFilters([{ filter, update: { $set: { status: "PASS" } } }], "account_id")).toEqual(["a"]);
    expect(partitionsOfFilters([{ filter, update: [{ $set: { account_id: "a", status: "PASS" } }] }], "account_id")).toEqual(["a"]);
    expect(partitionsOfFilters([{ filter, update: { $set: { account_id: "b" } } }], "account_id")).toBeNull();
    expect(partitionsOfFilters([{ filter, update: [{ $set: { account_id: "$other" } }] }], "account_id")).toBeNull();
    expect(partitionsOfFilters([{ filter, update: { $unset: { account_id: "" } } }], "account_id")).toBeNull();
    expect(partitionsOfFilters([{ filter, update: [{ $unset: ["account_id"] }] }], "account_id")).toBeNull();
    expect(partitionsOfFilters([{ filter, update: { $rename: { status: "state" } } }], "account_id")).toEqual(["a"]);
    expect(partitionsOfFilters([{ filter, update: { $rename: { status: "account_id" } } }], "account_id")).toBeNull();
    expect(partitionsOfFilters([{ filter, update: { $rename: { account_id: "x" } } }], "account_id")).toBeNull();
  });

  it("reads the partitions of documents; null when one lacks it", () => {
    expect(partitionsOfDocuments([{ account_id: "b" }, { account_id: "a" }, { account_id: "b" }], "account_id")).toEqual(["a", "b"]);
    expect(partitionsOfDocuments([{ account_id: "a" }, { status: "FAIL" }], "account_id")).toBeNull();
    expect(partitionsOfDocuments([{ account_id: 7 }], "account_id")).toBeNull();
    expect(partitionsOfDocuments([], "account_id")).toEqual([]);
  });
});

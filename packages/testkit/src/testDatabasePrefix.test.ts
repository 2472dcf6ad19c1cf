import { describe, expect, it } from "vitest";
import { testDatabasePrefix } from "./testDatabasePrefix";

describe("testDatabasePrefix", () => {
  it("is unique, short and safe for database names", () => {
    const a = testDatabasePrefix();
    const b = testDatabasePrefix();
    expect(a).toMatch(/^t_[a-z0-9]{8}_$/);
    expect(a).not.toBe(b);
    expect(testDatabasePrefix("Repo Layer!")).toMatch(/^t_repolayer_[a-z0-9]{8}_$/);
  });
});

import { ConflictError, InternalError, NotFoundError } from "@cspm/errors";
import { describe, expect, it } from "vitest";
import { mapDriverError } from "./mapDriverError";

describe("mapDriverError", () => {
  it("reports conflict reasons in UPPER_SNAKE, as @cspm/mongo emits them, and keeps the fields", () => {
    const error = mapDriverError({
      name: "MongoServerError",
      code: 11000,
      keyPattern: { team_id: 1, email: 1 },
      errmsg: "E11000 duplicate key error",
    });
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.details).toMatchObject({ reason: "DUPLICATE_KEY", fields: ["team_id", "email"] });
    expect(mapDriverError({ name: "MongoServerError", code: 112 }).details).toMatchObject({ reason: "WRITE_CONFLICT" });
  });

  it("names the fields from the message when keyPattern is missing, never the values", () => {
    const raw = {
      code: 11000,
      errmsg: 'E11000 duplicate key error collection: db.users index: team_email_unique dup key: { team_id: "a, b: c", email: "x@y.z" }',
    };
    const error = mapDriverError(raw);
    expect(error.details).toMatchObject({ reason: "DUPLICATE_KEY", fields: ["team_id", "email"] });
    expect(error.message).toContain("team_id, email");
    expect(error.message).not.toContain("x@y.z");
  });

  it("passes taxonomy errors through and hides anything else behind INTERNAL", () => {
    const notFound = new NotFoundError("x");
    expect(mapDriverError(notFound)).toBe(notFound);
    const internal = mapDriverError(new Error("connect mongodb://user:pw@host failed"));
    expect(internal).toBeInstanceOf(InternalError);
    expect(JSON.stringify(internal)).not.toContain("pw@");
  });
});

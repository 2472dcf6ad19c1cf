import { ConflictError, InternalError, NotFoundError, PayloadTooLargeError, UnavailableError, ValidationError } from "@cspm/errors";
import {
  MongoBulkWriteError,
  MongoClientClosedError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoParseError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type BulkWriteResult,
  type TopologyDescription,
} from "mongodb";
import { describe, expect, it } from "vitest";
import { mapMongoError } from "./mapMongoError";

/** The driver does not export TopologyDescription's constructor; this has the one field the mapper reads. */
function topologyWith(...addresses: string[]): TopologyDescription {
  return { servers: new Map(addresses.map((address) => [address, { address }])) } as unknown as TopologyDescription;
}

describe("mapMongoError", () => {
  it("maps a duplicate key to CONFLICT naming the fields, never a value in the message", () => {
    const error = new MongoServerError({
      message:
        'E11000 duplicate key error collection: cspm_platform.users index: team_email_unique dup key: { team_id: "t1", email: "a@b.c" }',
      errmsg:
        'E11000 duplicate key error collection: cspm_platform.users index: team_email_unique dup key: { team_id: "t1", email: "a@b.c" }',
      code: 11000,
      keyPattern: { team_id: 1, email: 1 },
      keyValue: { team_id: "t1", email: "a@b.c" },
    });
    const mapped = mapMongoError(error, { operation: "insertOne", database: "x_platform", collection: "users" });
    expect(mapped).toBeInstanceOf(ConflictError);
    expect(mapped.code).toBe("CONFLICT");
    expect(mapped.message).toContain("team_id, email");
    expect(mapped.message).not.toContain("a@b.c");
    expect(mapped.details).toEqual({ operation: "insertOne", reason: "DUPLICATE_KEY", fields: ["team_id", "email"] });
    // Collection, index and key values are for the logs only: never in the JSON a client gets.
    expect(mapped.logContext).toEqual({
      index: "team_email_unique",
      keyValue: { team_id: "t1", email: "a@b.c" },
      database: "x_platform",
      collection: "users",
    });
    for (const name of ["users", "team_email_unique", "x_platform", "a@b.c"]) expect(JSON.stringify(mapped)).not.toContain(name);
    expect(mapped.cause).toBe(error);
  });

  it("reads the key field names (never the values) from the message when keyPattern and keyValue are missing", () => {
    const raw = {
      code: 11000,
      errmsg: 'E11000 duplicate key error collection: db.users index: team_email_unique dup key: { team_id: "a, b: c", email: "x@y.z" }',
    };
    const mapped = mapMongoError(raw, { collection: "users" });
    expect(mapped).toBeInstanceOf(ConflictError);
    expect(mapped.details).toMatchObject({ reason: "DUPLICATE_KEY", fields: ["team_id", "email"] });
    expect(mapped.logContext).toMatchObject({ index: "team_email_unique", collection: "users" });
    expect(mapped.message).toBe("A record with the same team_id, email already exists.");
    expect(JSON.stringify({ message: mapped.message, details: mapped.details })).not.toContain("x@y.z");
    const bare = mapMongoError({ code: 11000, errmsg: "E11000 duplicate key error" });
    expect(bare.details).toMatchObject({ reason: "DUPLICATE_KEY", fields: [] });
    expect(bare.message).toContain("the same unique key");
  });

  it("masks values of secret-looking key fields", () => {
    const error = new MongoServerError({
      message: "E11000 duplicate key error",
      code: 11000,
      keyPattern: { token_hash: 1, "credentials.api_key": 1, slug: 1 },
      keyValue: { token_hash: "deadbeef", "credentials.api_key": "sk-live-123", slug: "acme" },
    });
    const mapped = mapMongoError(error);
    const json = JSON.stringify(mapped);
    expect(json).not.toContain("deadbeef");
    expect(json).not.toContain("sk-live-123");
    expect(mapped.logContext?.keyValue).toEqual({ token_hash: "[redacted]", "credentials.api_key": "[redacted]", slug: "acme" });
    expect(mapped.details?.keyValue).toBeUndefined();
  });

  it("finds a duplicate key inside a bulk write error", () => {
    const bulk = new MongoBulkWriteError(
      {
        message: "E11000 duplicate key error",
        code: 11000,
        writeErrors: [],
      },
      {} as BulkWriteResult,
    );
    // The driver fills writeErrors from the server reply; the raw write error carries keyPattern.
    Object.assign(bulk, {
      writeErrors: [
        {
          code: 11000,
          err: { index: 0, code: 11000, errmsg: "E11000 index: slug_unique dup key", keyPattern: { slug: 1 }, keyValue: { slug: "acme" } },
        },
      ],
    });
    const mapped = mapMongoError(bulk, { collection: "teams" });
    expect(mapped).toBeInstanceOf(ConflictError);
    expect(mapped.details).toMatchObject({ fields: ["slug"] });
    expect(mapped.logContext).toMatchObject({ index: "slug_unique", collection: "teams" });
  });

  it("maps server selection failures to UNAVAILABLE with hosts and a hint", () => {
    const error = new MongoServerSelectionError("connect ECONNREFUSED 127.0.0.1:1", topologyWith("127.0.0.1:1", "127.0.0.2:27017"));
    const mapped = mapMongoError(error, { operation: "find", serverSelectionTimeoutMS: 500 });
    expect(mapped).toBeInstanceOf(UnavailableError);
    expect(mapped.code).toBe("UNAVAILABLE");
    expect(mapped.message).toContain("127.0.0.1:1");
    expect(mapped.details?.hosts).toEqual(["127.0.0.1:1", "127.0.0.2:27017"]);
    expect(String(mapped.details?.hint)).toContain("500 ms");
    expect(mapped.details?.driverMessage).toBe("connect ECONNREFUSED 127.0.0.1:1");
  });

  it("prefers the hosts given in the context and scrubs connection strings from the reason", () => {
    const error = new MongoNetworkError("failed to connect to mongodb://admin:hunter2@db.internal:27017/x?authSource=admin");
    const mapped = mapMongoError(error, { hosts: ["db.internal:27017"] });
    expect(mapped).toBeInstanceOf(UnavailableError);
    expect(mapped.message).toContain("db.internal:27017");
    expect(JSON.stringify(mapped)).not.toContain("hunter2");
    expect(JSON.stringify(mapped)).not.toContain("admin:");
    expect(mapped.details?.retryable).toBe(true);
  });

  it.each([
    ["network timeout", new MongoNetworkTimeoutError("connection timed out")],
    ["closed topology", new MongoTopologyClosedError()],
    ["closed client", new MongoClientClosedError()],
    ["primary stepped down", new MongoServerError({ message: "not primary", code: 10107 })],
    ["max time", new MongoServerError({ message: "operation exceeded time limit", code: 50 })],
    ["auth failed", new MongoServerError({ message: "Authentication failed.", code: 18 })],
    ["DNS failure of +srv", Object.assign(new Error("querySrv ENOTFOUND _mongodb._tcp.cluster0.example.net"), { code: "ENOTFOUND" })],
  ])("maps %s to UNAVAILABLE with a hint", (_label, error) => {
    const mapped = mapMongoError(error);
    expect(mapped.code).toBe("UNAVAILABLE");
    expect(typeof mapped.details?.hint).toBe("string");
  });

  it("never keeps a parse error's message (it can quote the whole connection string)", () => {
    const error = new MongoParseError('Invalid connection string "mongodb://root:s3cret@host:27017/"');
    const mapped = mapMongoError(error, { hosts: ["host:27017"] });
    expect(mapped.code).toBe("UNAVAILABLE");
    expect(mapped.message).toContain("host:27017");
    expect(JSON.stringify(mapped)).not.toContain("s3cret");
    expect(String((mapped.cause as Error).message)).not.toContain("s3cret");
  });

  it("maps a standalone server's refusal of transactions to UNAVAILABLE explaining replica sets", () => {
    const error = new MongoServerError({
      message: "Transaction numbers are only allowed on a replica set member or mongos",
      code: 20,
      codeName: "IllegalOperation",
    });
    const mapped = mapMongoError(error, { hosts: ["127.0.0.1:27017"] });
    expect(mapped.code).toBe("UNAVAILABLE");
    expect(String(mapped.details?.hint)).toMatch(/replica set/);
  });

  it("maps write conflicts and transient transaction errors to a retryable CONFLICT", () => {
    const writeConflict = new MongoServerError({ message: "WriteConflict", code: 112, codeName: "WriteConflict" });
    const transient = new MongoServerError({ message: "NoSuchTransaction", code: 251, errorLabels: ["TransientTransactionError"] });
    for (const error of [writeConflict, transient]) {
      const mapped = mapMongoError(error);
      expect(mapped).toBeInstanceOf(ConflictError);
      expect(mapped.details).toMatchObject({ reason: "WRITE_CONFLICT", retryable: true });
    }
  });

  it("treats a network error inside a transaction as UNAVAILABLE, not CONFLICT", () => {
    const error = new MongoNetworkError("socket closed");
    error.addErrorLabel("TransientTransactionError");
    expect(mapMongoError(error).code).toBe("UNAVAILABLE");
  });

  it("maps oversized documents and validator rejections", () => {
    expect(mapMongoError(new MongoServerError({ message: "object to insert too large", code: 10334 }))).toBeInstanceOf(
      PayloadTooLargeError,
    );
    const rejected = mapMongoError(new MongoServerError({ message: "Document failed validation", code: 121 }));
    expect(rejected).toBeInstanceOf(ValidationError);
  });

  it("maps everything else to INTERNAL with a generic message and the original as cause", () => {
    const error = new MongoServerError({
      message: "not authorized... { find: 'users', filter: { email: 'a@b.c' } } mongodb://u:p@h",
      code: 2,
      codeName: "BadValue",
    });
    const mapped = mapMongoError(error, { operation: "find", database: "db1", collection: "users" });
    expect(mapped).toBeInstanceOf(InternalError);
    expect(mapped.message).toBe("A database operation failed during find.");
    expect(mapped.logContext).toEqual({ database: "db1", collection: "users" });
    expect(mapped.cause).toBe(error);
    expect(JSON.stringify(mapped)).not.toContain("a@b.c");
    expect(mapMongoError(new TypeError("x is not a function")).code).toBe("INTERNAL");
    expect(mapMongoError("a string").code).toBe("INTERNAL");
  });

  it("passes CSPM errors through unchanged", () => {
    const error = new NotFoundError("nope");
    expect(mapMongoError(error)).toBe(error);
  });
});

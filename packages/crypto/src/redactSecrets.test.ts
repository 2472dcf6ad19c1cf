import { describe, expect, it } from "vitest";
import { REDACTED, redactConnectionString, redactSecrets } from "./index";

describe("redactSecrets", () => {
  it("redacts secret-looking keys in nested objects and arrays without touching the input", () => {
    const input = {
      name: "prod",
      team_id: "t1",
      password: "hunter2",
      credentials: { access_key_id: "AKIA", secret_access_key: "s3cr3t" },
      accounts: [
        { id: 1, client_secret: "cs-1", tenant_id: "tn" },
        { id: 2, nested: { privateKey: "-----BEGIN PRIVATE KEY-----", apiKey: "ak", "X-Api-Key": "xk" } },
      ],
      headers: { Authorization: "Bearer abc", Cookie: "sid=1" },
      session_token: "tok",
      refresh_token: null,
      connection_string: "Server=x;Password=y",
      count: 3,
      enabled: true,
    };
    const snapshot = structuredClone(input);
    const out = redactSecrets(input);
    expect(out).toEqual({
      name: "prod",
      team_id: "t1",
      password: REDACTED,
      credentials: REDACTED,
      accounts: [
        { id: 1, client_secret: REDACTED, tenant_id: "tn" },
        { id: 2, nested: { privateKey: REDACTED, apiKey: REDACTED, "X-Api-Key": REDACTED } },
      ],
      headers: { Authorization: REDACTED, Cookie: REDACTED },
      session_token: REDACTED,
      refresh_token: null,
      connection_string: REDACTED,
      count: 3,
      enabled: true,
    });
    expect(input).toEqual(snapshot);
    expect(out.accounts).not.toBe(input.accounts);
  });

  it("hides passwords of connection strings under any key", () => {
    const out = redactSecrets({
      uri: "mongodb://admin:p%40ss@db-1:27017,db-2:27017/app?authSource=admin",
      redis: "redis://:onlypass@127.0.0.1:6379/0",
      list: ["postgres://u:pw@h/db", "no secret here"],
    });
    expect(out).toEqual({
      uri: `mongodb://admin:${REDACTED}@db-1:27017,db-2:27017/app?authSource=admin`,
      redis: `redis://:${REDACTED}@127.0.0.1:6379/0`,
      list: [`postgres://u:${REDACTED}@h/db`, "no secret here"],
    });
  });

  it("takes extra secret keys and a custom replacement", () => {
    expect(redactSecrets({ tenant_pin: "1234", other: "x", password: "p" }, { keys: ["tenantPin"], replacement: "***" })).toEqual({
      tenant_pin: "***",
      other: "x",
      password: "***",
    });
  });

  it("copies Dates, Maps, Sets and binary values, flattens Errors and marks cycles", () => {
    const when = new Date("2024-01-02T03:04:05Z");
    const error = Object.assign(new Error("failed on mongodb://u:pw@h"), { token: "t", code: 11000 });
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic["self"] = cyclic;
    const bytes = new Uint8Array([1, 2, 3]);
    const out = redactSecrets({
      when,
      map: new Map<string, unknown>([
        ["api_key", "k"],
        ["region", "eu"],
      ]),
      set: new Set(["redis://:p@h"]),
      error,
      cyclic,
      bytes,
      shared: [when, when],
    });
    expect(out.when).toEqual(when);
    expect(out.when).not.toBe(when);
    expect(out.map).toEqual(
      new Map([
        ["api_key", REDACTED],
        ["region", "eu"],
      ]),
    );
    expect(out.set).toEqual(new Set([`redis://:${REDACTED}@h`]));
    expect(out.error).toEqual({ name: "Error", message: `failed on mongodb://u:${REDACTED}@h`, token: REDACTED, code: 11000 });
    expect(out.cyclic).toEqual({ name: "loop", self: "[Circular]" });
    expect(out.bytes).toEqual(bytes);
    expect(out.bytes).not.toBe(bytes);
    expect(out.shared).toEqual([when, when]);
  });

  it("leaves primitives and non-secret strings alone", () => {
    expect(redactSecrets("plain")).toBe("plain");
    expect(redactSecrets(42)).toBe(42);
    expect(redactSecrets(null)).toBe(null);
    expect(redactSecrets(undefined)).toBe(undefined);
    expect(redactSecrets(["a=b", "https://example.com:8443/x"])).toEqual(["a=b", "https://example.com:8443/x"]);
  });
});

describe("redactConnectionString", () => {
  it.each([
    ["mongodb://user:pass@host/db", `mongodb://user:${REDACTED}@host/db`],
    [
      "mongodb+srv://user:p@ss@cluster.example.net/?retryWrites=true",
      `mongodb+srv://user:${REDACTED}@cluster.example.net/?retryWrites=true`,
    ],
    ["amqp://guest:guest@localhost:5672", `amqp://guest:${REDACTED}@localhost:5672`],
    ["https://api.example.com/v1?api_key=abc&region=eu", `https://api.example.com/v1?api_key=${REDACTED}&region=eu`],
    ["mongodb://h/?tlsCertificateKeyFilePassword=pw", `mongodb://h/?tlsCertificateKeyFilePassword=${REDACTED}`],
    ["Server=db;User Id=sa;Password=Pa55;Encrypt=true", `Server=db;User Id=sa;Password=${REDACTED};Encrypt=true`],
    ["mongodb://localhost:27017/db", "mongodb://localhost:27017/db"],
    ["connect a://x:1@h and b://y:2@k", `connect a://x:${REDACTED}@h and b://y:${REDACTED}@k`],
  ])("%s", (input, expected) => {
    expect(redactConnectionString(input)).toBe(expected);
  });
});

describe("redactConnectionString with awkward URIs", () => {
  const cases: Array<[string, string, string]> = [
    ["unescaped @ and / in the password", "mongodb://admin:p@ss/w0rd@db.example:27017", "p@ss/w0rd"],
    ["unescaped ? in the password", "mongodb://admin:pa?ss@db.example/app", "pa?ss"],
    ["a token as the user name", "mongodb://s3cr3tT0ken@db.example/app", "s3cr3tT0ken"],
    ["a password with a colon", "redis://default:a:b:c@cache.example:6379", "a:b:c"],
    ["inside a sentence", "connect to mongodb+srv://svc:hunter2@cluster0.example.net failed", "hunter2"],
  ];

  it.each(cases)("hides the secret when %s", (_name, input, secret) => {
    const out = redactConnectionString(input);
    expect(out).not.toContain(secret);
    expect(out).toContain("[REDACTED]@");
  });

  it("keeps a plain user name and the hosts", () => {
    expect(redactConnectionString("mongodb://admin:pw@a:27017,b:27017/db")).toBe("mongodb://admin:[REDACTED]@a:27017,b:27017/db");
    expect(redactConnectionString("mongodb://a:27017/db?replicaSet=rs0")).toBe("mongodb://a:27017/db?replicaSet=rs0");
  });
});
